-- 005_booking_hold: the payment window of pending bookings.
--
-- A pending (unpaid) booking holds its rooms, seats or tour places for
-- booking.hold.minutes after it was made (created_at). Past that the pay
-- tools refuse it, and every agent runs bookings_expire() about once a minute
-- (lib/tools/booking.c, swb_tools_booking_expire), which cancels it and puts
-- its inventory back on sale, as a cancellation does: both go through
-- bookings_release(), the one copy of that logic.

-- Pending bookings by age: what bookings_expire() scans.
CREATE INDEX bookings_pending_idx ON bookings (created_at) WHERE status = 'pending';

-- When the hold of a booking made at `created` ends; NULL when holds never
-- expire (minutes <= 0).
CREATE FUNCTION bookings_hold_end(created timestamptz, minutes int) RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT CASE WHEN minutes > 0 THEN created + make_interval(mins => minutes) END
$$;

-- Put the inventory of the bookings `ids` back on sale: the room nights of a
-- hotel booking, the seats of a flight booking, the places of a tour booking.
-- The caller holds the bookings' row locks and marks them cancelled in the
-- same transaction (a booking released twice would sell its inventory twice).
-- Each inventory row changes once, by the sum over `ids`, and the rows are
-- changed in one order (nights by room type and date, then flights, then
-- departures) so that releases and bookings never deadlock.
CREATE FUNCTION bookings_release(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
        r record;
BEGIN
        FOR r IN SELECT ri.room_type_id, ri.stay_date, sum(b.rooms) AS n
                 FROM bookings b JOIN room_inventory ri ON ri.room_type_id = b.room_type_id
                         AND ri.stay_date >= b.check_in AND ri.stay_date < b.check_out
                 WHERE b.booking_id = ANY (ids) GROUP BY 1, 2 ORDER BY 1, 2 LOOP
                UPDATE room_inventory SET available = available + r.n
                WHERE room_type_id = r.room_type_id AND stay_date = r.stay_date;
        END LOOP;
        FOR r IN SELECT b.kind, coalesce(b.flight_id, b.departure_id) AS id,
                        sum(b.party_size) AS n
                 FROM bookings b WHERE b.booking_id = ANY (ids) AND b.kind <> 'hotel'
                 GROUP BY 1, 2 ORDER BY 1, 2 LOOP
                IF r.kind = 'flight' THEN
                        UPDATE flights SET seats_available = seats_available + r.n
                        WHERE flight_id = r.id;
                ELSE
                        UPDATE tour_departures SET available = available + r.n
                        WHERE departure_id = r.id;
                END IF;
        END LOOP;
END $$;

-- Cancel up to `batch` pending bookings whose hold of `minutes` has ended
-- (oldest first), with cancel_reason `reason`, and put their inventory back
-- on sale. One statement, so one transaction: the bookings are locked with
-- SKIP LOCKED, so concurrent runs (agent replicas) take disjoint bookings and
-- never release one twice, and a booking being paid or cancelled right now
-- is left to that call (and to the next run, when still pending). Does
-- nothing when minutes <= 0.
-- @returns the bookings cancelled, with what a cache needs to forget.
CREATE FUNCTION bookings_expire(minutes int, batch int, reason text)
RETURNS TABLE (booking_id bigint, user_id text, kind text, hotel_id int,
               flight_id bigint, tour_id int)
LANGUAGE plpgsql AS $$
DECLARE
        ids bigint[];
BEGIN
        IF minutes <= 0 THEN
                RETURN;
        END IF;
        SELECT array_agg(d.booking_id) INTO ids FROM (
                SELECT b.booking_id FROM bookings b
                WHERE b.status = 'pending'
                  AND b.created_at <= now() - make_interval(mins => minutes)
                ORDER BY b.created_at LIMIT batch FOR UPDATE SKIP LOCKED) d;
        IF ids IS NULL THEN
                RETURN;
        END IF;
        PERFORM bookings_release(ids);
        RETURN QUERY
        UPDATE bookings b SET status = 'cancelled', cancelled_at = now(),
                cancel_reason = reason
        WHERE b.booking_id = ANY (ids)
        RETURNING b.booking_id, b.user_id, b.kind, b.hotel_id, b.flight_id, b.tour_id;
END $$;
