-- 002_travel: the travel database the domain agents' tools work on.
--
--   destinations ─┬─ airports ── flight_routes ── flights
--                 ├─ hotels ── room_types ── room_inventory (per night)
--                 └─ tours ── tour_departures (per date)
--   users (001) ── bookings (hotel | flight | tour) ── payments
--   tool_results   idempotency: the first result of every write tool call
--   kb_articles    knowledge base, full-text indexed in English and Indonesian
--   currency_rates rates against a base currency (seeded; refreshed by a provider)
--
-- Dated rows (flights, room_inventory, tour_departures) are generated relative
-- to CURRENT_DATE by travel_extend_horizon(days), which is idempotent: the
-- seed (003) calls it once and the tools call it again once a day, so a
-- long-lived database keeps a bookable window ahead of today.

CREATE TABLE destinations (
        destination_id  serial PRIMARY KEY,
        name            text NOT NULL UNIQUE,      -- "Bali", "Jakarta", "Tokyo"
        aliases         text[] NOT NULL DEFAULT '{}', -- other names people use: Denpasar, Ubud, Jogja
        country         text NOT NULL,
        country_code    char(2) NOT NULL,
        region          text,                      -- province / state
        timezone        text NOT NULL,             -- IANA name, local times of flights
        description     text
);

CREATE TABLE airports (
        code            char(3) PRIMARY KEY CHECK (code ~ '^[A-Z]{3}$'),
        name            text NOT NULL,
        city            text NOT NULL,
        destination_id  int NOT NULL REFERENCES destinations
);
CREATE INDEX airports_destination_idx ON airports (destination_id);

-- ---------------------------------------------------------------- hotels
CREATE TABLE hotels (
        hotel_id        serial PRIMARY KEY,
        name            text NOT NULL,
        destination_id  int NOT NULL REFERENCES destinations,
        city            text NOT NULL,
        area            text,                      -- neighbourhood: Ubud, Seminyak, Malioboro
        address         text NOT NULL,
        stars           int NOT NULL CHECK (stars BETWEEN 1 AND 5),
        rating          numeric(2,1) NOT NULL CHECK (rating BETWEEN 0 AND 5), -- guest score
        base_price      numeric(12,2) NOT NULL CHECK (base_price > 0), -- standard room, per night
        currency        char(3) NOT NULL,
        amenities       text[] NOT NULL DEFAULT '{}',
        description     text NOT NULL,
        check_in_time   time NOT NULL DEFAULT '14:00',
        check_out_time  time NOT NULL DEFAULT '12:00'
);
CREATE INDEX hotels_destination_idx ON hotels (destination_id);

CREATE TABLE room_types (
        room_type_id    serial PRIMARY KEY,
        hotel_id        int NOT NULL REFERENCES hotels ON DELETE CASCADE,
        name            text NOT NULL,
        capacity        int NOT NULL CHECK (capacity BETWEEN 1 AND 10), -- guests per room
        bed             text NOT NULL,
        price_per_night numeric(12,2) NOT NULL CHECK (price_per_night > 0),
        currency        char(3) NOT NULL,
        total_rooms     int NOT NULL CHECK (total_rooms >= 0),
        UNIQUE (hotel_id, name)
);
CREATE INDEX room_types_hotel_idx ON room_types (hotel_id);

-- One row per room type and night: `available` rooms of `total` are free.
-- Bookings take and cancellations return rooms here, in the booking's transaction.
CREATE TABLE room_inventory (
        room_type_id    int NOT NULL REFERENCES room_types ON DELETE CASCADE,
        stay_date       date NOT NULL,
        total           int NOT NULL CHECK (total >= 0),
        available       int NOT NULL,
        PRIMARY KEY (room_type_id, stay_date),
        CHECK (available BETWEEN 0 AND total)
);

-- ---------------------------------------------------------------- flights
-- A route is one scheduled flight number; flights are its dated departures.
CREATE TABLE flight_routes (
        route_id        serial PRIMARY KEY,
        flight_no       text NOT NULL UNIQUE CHECK (flight_no ~ '^[A-Z0-9]{2}[0-9]{1,4}$'),
        airline         text NOT NULL,
        origin          char(3) NOT NULL REFERENCES airports,
        destination     char(3) NOT NULL REFERENCES airports,
        depart_local    time NOT NULL,             -- local time at origin
        duration_min    int NOT NULL CHECK (duration_min BETWEEN 20 AND 1200),
        aircraft        text NOT NULL,
        seats           int NOT NULL CHECK (seats > 0),
        base_fare       numeric(12,2) NOT NULL CHECK (base_fare > 0), -- economy, one way
        currency        char(3) NOT NULL,
        days_of_week    int[] NOT NULL DEFAULT '{1,2,3,4,5,6,7}', -- ISO: 1 = Monday
        CHECK (origin <> destination)
);

CREATE TABLE flights (
        flight_id       bigserial PRIMARY KEY,
        route_id        int NOT NULL REFERENCES flight_routes,
        flight_no       text NOT NULL,
        airline         text NOT NULL,
        origin          char(3) NOT NULL REFERENCES airports,
        destination     char(3) NOT NULL REFERENCES airports,
        depart_date     date NOT NULL,             -- local date at origin
        depart_at       timestamptz NOT NULL,
        arrive_at       timestamptz NOT NULL,
        seats_total     int NOT NULL CHECK (seats_total > 0),
        seats_available int NOT NULL,
        fare            numeric(12,2) NOT NULL CHECK (fare > 0), -- per passenger, economy
        currency        char(3) NOT NULL,
        cabin           text NOT NULL DEFAULT 'economy' CHECK (cabin IN ('economy', 'business')),
        status          text NOT NULL DEFAULT 'scheduled'
                        CHECK (status IN ('scheduled', 'delayed', 'cancelled')),
        UNIQUE (route_id, depart_date),
        CHECK (seats_available BETWEEN 0 AND seats_total),
        CHECK (arrive_at > depart_at)
);
CREATE INDEX flights_route_date_idx ON flights (origin, destination, depart_date);
CREATE INDEX flights_date_idx ON flights (depart_date);

-- ---------------------------------------------------------------- tours
CREATE TABLE tours (
        tour_id         serial PRIMARY KEY,
        name            text NOT NULL UNIQUE,
        destination_id  int NOT NULL REFERENCES destinations,
        city            text NOT NULL,
        category        text NOT NULL CHECK (category IN
                        ('culture', 'nature', 'adventure', 'food', 'water', 'city', 'wildlife')),
        duration_hours  int NOT NULL CHECK (duration_hours BETWEEN 1 AND 240),
        price           numeric(12,2) NOT NULL CHECK (price > 0), -- per participant
        currency        char(3) NOT NULL,
        capacity        int NOT NULL CHECK (capacity > 0),      -- per departure
        rating          numeric(2,1) NOT NULL CHECK (rating BETWEEN 0 AND 5),
        meeting_point   text NOT NULL,
        start_time      time NOT NULL,
        languages       text[] NOT NULL DEFAULT '{en,id}',
        days_of_week    int[] NOT NULL DEFAULT '{1,2,3,4,5,6,7}',
        highlights      text[] NOT NULL DEFAULT '{}',
        description     text NOT NULL
);
CREATE INDEX tours_destination_idx ON tours (destination_id);

CREATE TABLE tour_departures (
        departure_id    bigserial PRIMARY KEY,
        tour_id         int NOT NULL REFERENCES tours ON DELETE CASCADE,
        tour_date       date NOT NULL,
        capacity        int NOT NULL CHECK (capacity > 0),
        available       int NOT NULL,
        UNIQUE (tour_id, tour_date),
        CHECK (available BETWEEN 0 AND capacity)
);

-- ---------------------------------------------------------------- bookings
-- One table for the three kinds; the columns of a kind are required by CHECKs.
-- Lifecycle: pending -> paid -> cancelled, or pending -> cancelled. The tools
-- enforce it; the trigger below refuses anything else as a last line.
CREATE TABLE bookings (
        booking_id      bigserial PRIMARY KEY,
        user_id         text NOT NULL REFERENCES users,
        kind            text NOT NULL CHECK (kind IN ('hotel', 'flight', 'tour')),
        status          text NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'paid', 'cancelled')),
        -- hotel
        hotel_id        int REFERENCES hotels,
        room_type_id    int REFERENCES room_types,
        check_in        date,
        check_out       date,
        rooms           int CHECK (rooms BETWEEN 1 AND 9),
        -- flight
        flight_id       bigint REFERENCES flights,
        -- tour
        departure_id    bigint REFERENCES tour_departures,
        tour_id         int REFERENCES tours,
        -- people: guests (hotel), passengers (flight), participants (tour)
        party_size      int NOT NULL CHECK (party_size BETWEEN 1 AND 20),
        contact_name    text,
        amount          numeric(14,2) NOT NULL CHECK (amount >= 0),
        currency        char(3) NOT NULL,
        created_at      timestamptz NOT NULL DEFAULT now(),
        updated_at      timestamptz NOT NULL DEFAULT now(),
        paid_at         timestamptz,
        cancelled_at    timestamptz,
        cancel_reason   text,
        CHECK (kind <> 'hotel' OR (hotel_id IS NOT NULL AND room_type_id IS NOT NULL
                AND check_in IS NOT NULL AND check_out > check_in AND rooms IS NOT NULL)),
        CHECK (kind <> 'flight' OR flight_id IS NOT NULL),
        CHECK (kind <> 'tour' OR (departure_id IS NOT NULL AND tour_id IS NOT NULL)),
        CHECK (status <> 'paid' OR paid_at IS NOT NULL),
        CHECK (status <> 'cancelled' OR cancelled_at IS NOT NULL)
);
CREATE INDEX bookings_user_idx ON bookings (user_id, created_at DESC);

CREATE FUNCTION bookings_check_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
        IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
                (OLD.status = 'pending' AND NEW.status IN ('paid', 'cancelled')) OR
                (OLD.status = 'paid' AND NEW.status = 'cancelled')) THEN
                RAISE EXCEPTION 'booking %: status % -> % is not allowed',
                        OLD.booking_id, OLD.status, NEW.status
                        USING ERRCODE = 'check_violation';
        END IF;
        IF NEW.user_id <> OLD.user_id OR NEW.kind <> OLD.kind THEN
                RAISE EXCEPTION 'booking %: owner and kind are immutable', OLD.booking_id
                        USING ERRCODE = 'check_violation';
        END IF;
        NEW.updated_at := now();
        RETURN NEW;
END $$;
CREATE TRIGGER bookings_transition BEFORE UPDATE ON bookings
        FOR EACH ROW EXECUTE FUNCTION bookings_check_transition();

-- The simulated payment processor's ledger: a charge when a booking is paid,
-- a refund when a paid booking is cancelled. transaction_id is derived from
-- the tool call's idempotency key, so a replay can never charge twice.
CREATE TABLE payments (
        payment_id      bigserial PRIMARY KEY,
        booking_id      bigint NOT NULL REFERENCES bookings,
        user_id         text NOT NULL REFERENCES users,
        transaction_id  text NOT NULL UNIQUE CHECK (transaction_id ~ '^(TX|RF)-[0-9A-F]{16}$'),
        kind            text NOT NULL CHECK (kind IN ('charge', 'refund')),
        method          text NOT NULL CHECK (method IN
                        ('credit_card', 'debit_card', 'bank_transfer', 'virtual_account', 'e_wallet')),
        amount          numeric(14,2) NOT NULL CHECK (amount >= 0),
        currency        char(3) NOT NULL,
        status          text NOT NULL CHECK (status IN ('succeeded', 'failed')),
        created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_booking_idx ON payments (booking_id);
-- At most one successful charge and one refund per booking.
CREATE UNIQUE INDEX payments_one_charge_idx ON payments (booking_id, kind)
        WHERE status = 'succeeded';

-- Idempotency of write tools: the first result of a call, written in the same
-- transaction as its side effect. idem_key derives from request id, call id,
-- tool name and user (swb_tools_idem_key()).
CREATE TABLE tool_results (
        idem_key        text PRIMARY KEY,
        tool            text NOT NULL,
        user_id         text NOT NULL,
        request_id      text,
        call_id         text,
        result          jsonb NOT NULL,
        created_at      timestamptz NOT NULL DEFAULT now()
);

-- ---------------------------------------------------------------- knowledge base
-- The text search document of an article: title and tags weigh A, body B;
-- stemmed with the article's language (Indonesian or English).
-- IMMUTABLE (array_to_string alone is only STABLE) so a generated column may use it.
CREATE FUNCTION kb_document(lang text, title text, tags text[], body text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT setweight(to_tsvector(CASE lang WHEN 'id' THEN 'indonesian'::regconfig
                                               ELSE 'english'::regconfig END, title), 'A') ||
               setweight(to_tsvector('simple'::regconfig, coalesce(array_to_string(tags, ' '), '')), 'A') ||
               setweight(to_tsvector(CASE lang WHEN 'id' THEN 'indonesian'::regconfig
                                               ELSE 'english'::regconfig END, body), 'B')
$$;

CREATE TABLE kb_articles (
        article_id      serial PRIMARY KEY,
        slug            text NOT NULL,
        lang            text NOT NULL CHECK (lang IN ('en', 'id')),
        category        text NOT NULL CHECK (category IN
                        ('faq', 'baggage', 'refund', 'cancellation', 'visa', 'payment',
                         'booking', 'destination', 'health', 'travel_tips')),
        title           text NOT NULL,
        body            text NOT NULL,
        tags            text[] NOT NULL DEFAULT '{}',
        updated_at      timestamptz NOT NULL DEFAULT now(),
        tsv             tsvector GENERATED ALWAYS AS (kb_document(lang, title, tags, body)) STORED,
        UNIQUE (slug, lang)
);
CREATE INDEX kb_articles_tsv_idx ON kb_articles USING gin (tsv);

-- ---------------------------------------------------------------- currency
-- rate: 1 `base` = rate `quote`. Cross rates are computed through a common base.
CREATE TABLE currency_rates (
        base            char(3) NOT NULL CHECK (base ~ '^[A-Z]{3}$'),
        quote           char(3) NOT NULL CHECK (quote ~ '^[A-Z]{3}$'),
        rate            numeric(20,8) NOT NULL CHECK (rate > 0),
        updated_at      timestamptz NOT NULL DEFAULT now(),
        source          text NOT NULL,
        PRIMARY KEY (base, quote)
);

-- ---------------------------------------------------------------- dated rows
-- Generate flights, room inventory and tour departures from today to
-- today + days, keeping every row that exists (its bookings too).
-- Prices vary by date deterministically (weekends and a per-date wobble).
-- @returns the number of rows inserted.
CREATE FUNCTION travel_extend_horizon(days int) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
        n bigint := 0;
        k bigint;
BEGIN
        INSERT INTO room_inventory (room_type_id, stay_date, total, available)
        SELECT rt.room_type_id, d::date, rt.total_rooms, rt.total_rooms
        FROM room_types rt
        CROSS JOIN generate_series(CURRENT_DATE, CURRENT_DATE + days, interval '1 day') d
        ON CONFLICT DO NOTHING;
        GET DIAGNOSTICS k = ROW_COUNT;
        n := n + k;

        INSERT INTO flights (route_id, flight_no, airline, origin, destination, depart_date,
                             depart_at, arrive_at, seats_total, seats_available, fare, currency)
        SELECT r.route_id, r.flight_no, r.airline, r.origin, r.destination, d::date,
               (d::date + r.depart_local) AT TIME ZONE od.timezone,
               ((d::date + r.depart_local) AT TIME ZONE od.timezone)
                       + make_interval(mins => r.duration_min),
               r.seats, r.seats,
               round(r.base_fare * (CASE WHEN extract(isodow FROM d) IN (5, 7) THEN 1.15 ELSE 1.0 END)
                       * (0.92 + (abs(hashtext(r.flight_no || d::date::text)) % 17) / 100.0),
                     CASE WHEN r.currency = 'IDR' THEN -3 ELSE 0 END),
               r.currency
        FROM flight_routes r
        JOIN airports oa ON oa.code = r.origin
        JOIN destinations od ON od.destination_id = oa.destination_id
        CROSS JOIN generate_series(CURRENT_DATE, CURRENT_DATE + days, interval '1 day') d
        WHERE extract(isodow FROM d)::int = ANY (r.days_of_week)
        ON CONFLICT DO NOTHING;
        GET DIAGNOSTICS k = ROW_COUNT;
        n := n + k;

        INSERT INTO tour_departures (tour_id, tour_date, capacity, available)
        SELECT t.tour_id, d::date, t.capacity, t.capacity
        FROM tours t
        CROSS JOIN generate_series(CURRENT_DATE, CURRENT_DATE + days, interval '1 day') d
        WHERE extract(isodow FROM d)::int = ANY (t.days_of_week)
        ON CONFLICT DO NOTHING;
        GET DIAGNOSTICS k = ROW_COUNT;
        n := n + k;
        RETURN n;
END $$;

-- ---------------------------------------------------------------- search helpers
-- true when `q` (what the user typed: "Bali", "hotel di Bandung", "Jogja")
-- contains one of `names` as whole words, case-insensitively. NULL or blank
-- q matches everything.
CREATE FUNCTION travel_place_match(q text, VARIADIC names text[]) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT q IS NULL OR btrim(q) = '' OR EXISTS (
                SELECT 1 FROM unnest(names) n
                WHERE n IS NOT NULL AND btrim(n) <> ''
                  AND lower(q) ~ ('\m' || regexp_replace(lower(btrim(n)), '([^[:alnum:][:space:]])', '\\\1', 'g') || '\M'))
$$;

-- How well `q` names a place: 4 for the place's own name (a hotel or tour
-- named in q), 2 for its destination or one of the destination's aliases, 1
-- for a more local name (city, area) and 0.5 for its country, plus the
-- length of the longest name matched / 1000 to prefer "Kuta Lombok" over
-- "Kuta". 0 when nothing matches or q is blank. Searches keep the best score.
CREATE FUNCTION travel_place_score(q text, own_name text, dest_names text[],
                                   local_names text[], country text) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE WHEN q IS NULL OR btrim(q) = '' THEN 0 ELSE
                (CASE WHEN travel_place_match(q, own_name) THEN 4 ELSE 0 END) +
                (CASE WHEN travel_place_match(q, VARIADIC dest_names) THEN 2 ELSE 0 END) +
                (CASE WHEN travel_place_match(q, VARIADIC local_names) THEN 1 ELSE 0 END) +
                (CASE WHEN travel_place_match(q, country) THEN 0.5 ELSE 0 END) +
                coalesce((SELECT max(length(n)) FROM unnest(ARRAY[own_name, country] ||
                          dest_names || local_names) n
                          WHERE n IS NOT NULL AND travel_place_match(q, n)), 0) / 1000.0
        END
$$;

-- The airports of a place: an IATA code ("DPS"), a city ("Denpasar"), a
-- destination ("Bali") or one of its aliases.
CREATE FUNCTION travel_airports(q text) RETURNS SETOF char(3)
LANGUAGE sql STABLE AS $$
        SELECT a.code FROM airports a JOIN destinations d USING (destination_id)
        WHERE upper(btrim(q)) = a.code
           OR travel_place_match(q, VARIADIC ARRAY[a.city, d.name] || d.aliases)
$$;

-- A query for kb_articles.tsv from free text: any word, stemmed in English,
-- Indonesian and as-is (tags); ranking rewards articles matching more words.
CREATE FUNCTION kb_query(q text) RETURNS tsquery
LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT replace(plainto_tsquery('english', q)::text, ' & ', ' | ')::tsquery ||
               replace(plainto_tsquery('indonesian', q)::text, ' & ', ' | ')::tsquery ||
               replace(plainto_tsquery('simple', q)::text, ' & ', ' | ')::tsquery
$$;
