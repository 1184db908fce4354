/*
 * Black-box: the four agents without a model (no llm.url) answer with their
 * deterministic planners over the test stack's PostgreSQL: the sample
 * requests in English and Indonesian, a hotel booking from search to
 * cancellation, a flight booking paid in Indonesian, another user's cancel
 * refused, currency and knowledge questions, and a question back for what
 * cannot be parsed. Each request goes in its own session unless it is a
 * follow-up; each test has its own users.
 */
#include "swb_test_pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "swb_mem.h"

static const char *const domains[] = {"hotel", "flight", "tour", "customer_service",
                                      NULL};
static swb_test_pipeline_t *P;
static bool warm; /* the first request also waits for every group to form */

static int setup(void **state)
{
        P = swb_test_pipeline_start(domains, NULL);
        return 0;
}

static int teardown(void **state)
{
        swb_test_pipeline_stop(P);
        return 0;
}

/*
 * Ask `text` as `user` in `session` and check the agent that answered.
 * @returns the reply text (free()).
 */
static char *ask(const char *session, const char *user, const char *text,
                 const char *locale, const char *agent)
{
        json_t *req = swb_test_request(session, text, locale), *reply;
        const char *got, *status;
        char *out;

        json_object_set_new(req, "user_id", json_string(user));
        reply = swb_test_ask(P, req, warm ? 30000 : 90000);
        warm = true;
        got = json_string_value(json_object_get(reply, "agent"));
        status = json_string_value(json_object_get(reply, "status"));
        out = strdup(json_string_value(json_object_get(reply, "text")));
        print_message("> [%s] %s\n< [%s] %s\n\n", locale, text, got, out);
        if (agent && strcmp(got, agent))
                fail_msg("\"%s\" was answered by %s, expected %s:\n%s", text, got,
                         agent, out);
        if (strcmp(status, "ok"))
                fail_msg("\"%s\": status %s", text, status);
        json_decref(reply);
        json_decref(req);
        return out;
}

static void expect(const char *text, const char *needle)
{
        if (!strstr(text, needle))
                fail_msg("expected \"%s\" in:\n%s", needle, text);
}

static void expect_not(const char *text, const char *needle)
{
        if (strstr(text, needle))
                fail_msg("did not expect \"%s\" in:\n%s", needle, text);
}

/* The number after the first `prefix` in `text` ("(hotel " -> 3), or fail. */
static long long number_after(const char *text, const char *prefix)
{
        const char *p = strstr(text, prefix);
        long long v = p ? strtoll(p + strlen(prefix), NULL, 10) : 0;
        if (v <= 0)
                fail_msg("no \"%s<number>\" in:\n%s", prefix, text);
        return v;
}

/* A fresh id for users and sessions: "<what>-<unique>". Static buffer per slot. */
static const char *fresh(const char *what, int slot)
{
        static char buf[8][96];
        snprintf(buf[slot], sizeof(buf[slot]), "%s-%s", what, swb_test_unique());
        return buf[slot];
}

/* today + days as YYYY-MM-DD (the stack's PostgreSQL runs on this host). */
static void day(int days, char out[16])
{
        time_t t = time(NULL) + (time_t)days * 86400;
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(out, 16, "%Y-%m-%d", &tm);
}

static void test_sample_requests(void **state)
{
        const char *user = fresh("u-sample", 0);
        char *r;

        r = ask(fresh("s", 1), user, "Find me a hotel in Bali", "en", "hotel");
        expect(r, "Hotels in Bali");
        expect(r, "(hotel ");
        expect(r, "Ubud Rice Terrace Resort"); /* the seed's best-rated Bali hotel */
        expect(r, "IDR ");
        expect(r, "rooms at hotel ");
        free(r);

        r = ask(fresh("s", 1), user, "flights from Jakarta to Denpasar tomorrow", "en",
                "flight");
        expect(r, "Flights from Jakarta to Denpasar on ");
        expect(r, "(flight ");
        expect(r, "CGK");
        expect(r, "DPS");
        expect(r, "book flight ");
        free(r);

        r = ask(fresh("s", 1), user, "what tours do you have in Yogyakarta", "en",
                "tour");
        expect(r, "Tours in Yogyakarta");
        expect(r, "(tour ");
        expect(r, "Borobudur Sunrise Tour");
        free(r);

        r = ask(fresh("s", 1), user, "show my bookings", "en", "customer_service");
        expect(r, "You have no bookings");
        free(r);

        r = ask(fresh("s", 1), user, "cancel booking 987654321", "en",
                "customer_service");
        expect(r, "couldn't find booking 987654321");
        free(r);

        r = ask(fresh("s", 1), user, "carikan hotel di Bandung", "id", "hotel");
        expect(r, "Hotel di Bandung");
        expect(r, "(hotel ");
        expect(r, "Lembang Pine Forest Lodge");
        expect(r, "/malam");
        expect(r, "Ketik 'kamar di hotel ");
        free(r);
}

static void test_indonesian(void **state)
{
        const char *user = fresh("u-id", 0);
        char *r;

        /* the locale says en, the words say Indonesian */
        r = ask(fresh("s", 1), user, "carikan hotel di Bandung", "en", "hotel");
        expect(r, "Hotel di Bandung");
        expect(r, "mulai IDR ");
        free(r);

        r = ask(fresh("s", 1), user, "penerbangan dari Jakarta ke Denpasar besok", "id",
                "flight");
        expect(r, "Penerbangan dari Jakarta ke Denpasar pada ");
        expect(r, "(flight ");
        expect(r, "per orang");
        free(r);

        r = ask(fresh("s", 1), user, "paket wisata di Yogyakarta", "id", "tour");
        expect(r, "Tur di Yogyakarta");
        expect(r, "(tour ");
        free(r);

        r = ask(fresh("s", 1), user, "riwayat pesanan saya", "id", "customer_service");
        expect(r, "Anda belum memiliki pesanan");
        free(r);

        r = ask(fresh("s", 1), user, "kurs dolar", "id", "customer_service");
        expect(r, "1 USD = ");
        expect(r, " IDR");
        expect(r, "kurs per");
        free(r);

        r = ask(fresh("s", 1), user, "bagaimana kebijakan refund", "id",
                "customer_service");
        expect(r, "Dari pusat bantuan kami");
        expect(r, "efund");
        free(r);

        r = ask(fresh("s", 1), user, "batalkan pesanan 987654321", "id",
                "customer_service");
        expect(r, "pesanan 987654321 tidak ditemukan");
        free(r);
}

/* search -> availability -> book -> pay -> history -> cancel, as follow-ups of one
 * session */
static void test_hotel_booking_flow(void **state)
{
        const char *user = fresh("u-flow", 0), *session = fresh("s-flow", 1);
        char d1[16], d2[16], text[256], want[64], *r;
        long long hotel, room_type, booking;

        day(20, d1);
        day(22, d2);
        r = ask(session, user, "Find me a hotel in Bali", "en", "hotel");
        hotel = number_after(r, "(hotel ");
        free(r);

        snprintf(text, sizeof(text), "rooms at hotel %lld from %s to %s for 2 guests",
                 hotel, d1, d2);
        r = ask(session, user, text, "en", "hotel");
        expect(r, "(2 nights), 2 guest(s)");
        expect(r, "(room type ");
        room_type = number_after(r, "Say 'book room type ");
        free(r);

        snprintf(text, sizeof(text),
                 "book room type %lld at hotel %lld from %s to %s for 2 guests",
                 room_type, hotel, d1, d2);
        r = ask(session, user, text, "en", "hotel");
        expect(r, "Booked! Booking ");
        expect(r, "Status: pending");
        booking = number_after(r, "Booking ");
        free(r);

        /* the hotel desk pays it, or customer service where the router sends payments
         */
        snprintf(text, sizeof(text), "pay the hotel room booking %lld", booking);
        r = ask(session, user, text, "en", NULL);
        expect(r, "Payment done");
        expect(r, "TX-");
        expect(r, "Status: paid");
        free(r);

        r = ask(session, user, "show my bookings", "en", "customer_service");
        snprintf(want, sizeof(want), "Booking %lld: hotel, paid", booking);
        expect(r, want);
        free(r);

        snprintf(text, sizeof(text), "cancel booking %lld", booking);
        r = ask(session, user, text, "en", "customer_service");
        snprintf(want, sizeof(want), "Booking %lld (hotel) is cancelled", booking);
        expect(r, want);
        expect(r, "RF-"); /* paid: refunded */
        free(r);

        /* the same words again: nothing left to cancel */
        r = ask(fresh("s", 2), user, text, "en", "customer_service");
        expect(r, "already cancelled");
        free(r);
}

/* A flight booked and paid in Indonesian; another user's cancel is refused. */
static void test_flight_booking_refusal(void **state)
{
        const char *owner = fresh("u-owner", 0), *other = fresh("u-other", 1);
        char text[256], *r;
        long long flight, booking;

        r = ask(fresh("s", 2), owner, "penerbangan dari Jakarta ke Denpasar lusa", "id",
                "flight");
        flight = number_after(r, "(flight ");
        free(r);

        snprintf(text, sizeof(text), "pesan penerbangan %lld untuk 2 orang", flight);
        r = ask(fresh("s", 2), owner, text, "id", "flight");
        expect(r, "Berhasil dipesan! Pesanan ");
        expect(r, "2 penumpang");
        booking = number_after(r, "Pesanan ");
        free(r);

        snprintf(text, sizeof(text), "bayar tiket penerbangan booking %lld", booking);
        r = ask(fresh("s", 2), owner, text, "id", NULL);
        expect(r, "Pembayaran berhasil");
        expect(r, "kartu kredit");
        free(r);

        /* "bayar pesanan N" goes to customer service: it says how, and it is paid
         * already */
        snprintf(text, sizeof(text), "bayar pesanan %lld", booking);
        r = ask(fresh("s", 2), owner, text, "id", "customer_service");
        expect(r, "lunas");
        free(r);

        snprintf(text, sizeof(text), "cancel booking %lld", booking);
        r = ask(fresh("s", 2), other, text, "en", "customer_service");
        expect(r, "belongs to another user");
        expect_not(r, "is cancelled");
        free(r);

        snprintf(text, sizeof(text), "batalkan pesanan %lld", booking);
        r = ask(fresh("s", 2), other, text, "id", "customer_service");
        expect(r, "milik pengguna lain");
        free(r);

        r = ask(fresh("s", 2), owner, text, "id", "customer_service");
        expect(r, "sudah dibatalkan");
        expect(r, "RF-");
        free(r);
}

static void test_tour_and_services(void **state)
{
        const char *user = fresh("u-tour", 0);
        char text[256], d[16], *r;
        long long tour, booking;

        day(9, d);
        r = ask(fresh("s", 1), user, "food tours in Bali", "en", "tour");
        expect(r, "Tours in Bali (food)");
        tour = number_after(r, "(tour ");
        free(r);

        snprintf(text, sizeof(text), "tour package %lld on %s for 3 people", tour, d);
        r = ask(fresh("s", 1), user, text, "en", "tour");
        expect(r, "places left");
        free(r);

        /* whichever desk the router picks, the tour desk answers (another desk hands it
         * back) */
        snprintf(text, sizeof(text), "is tour %lld available on %s for 3 people", tour,
                 d);
        r = ask(fresh("s", 1), user, text, "en", "tour");
        expect(r, "places left");
        free(r);

        snprintf(text, sizeof(text), "book tour package %lld on %s for 3 people", tour,
                 d);
        r = ask(fresh("s", 1), user, text, "en", "tour");
        expect(r, "Booked! Booking ");
        expect(r, "3 participant(s)");
        booking = number_after(r, "Booking ");
        free(r);

        snprintf(text, sizeof(text), "cancel booking %lld", booking);
        r = ask(fresh("s", 1), user, text, "en", "customer_service");
        expect(r, "(tour) is cancelled");
        expect(r, "no refund");
        free(r);

        r = ask(fresh("s", 1), user, "exchange rate USD to IDR", "en",
                "customer_service");
        expect(r, "1 USD = ");
        expect(r, " IDR (rate of ");
        free(r);

        r = ask(fresh("s", 1), user, "convert 100 USD to IDR with the currency rate",
                "en", "customer_service");
        expect(r, "USD 100 = IDR ");
        free(r);

        r = ask(fresh("s", 1), user, "what is the baggage allowance", "en",
                "customer_service");
        expect(r, "From our help centre");
        expect(r, "aggage");
        free(r);
}

/* What cannot be parsed gets a question back with an example, never an error. */
static void test_questions_back(void **state)
{
        const char *user = fresh("u-q", 0);
        char *r;

        r = ask(fresh("s", 1), user, "I need a hotel", "en", "hotel");
        expect(r, "Which city");
        expect(r, "?");
        expect(r, "hotels in Bali from ");
        free(r);

        r = ask(fresh("s", 1), user, "book a flight please", "en", "flight");
        expect(r, "Which flight?");
        expect(r, "flights from Jakarta to Denpasar tomorrow");
        free(r);

        r = ask(fresh("s", 1), user, "a tour", "en", "tour");
        expect(r, "Which destination");
        free(r);

        r = ask(fresh("s", 1), user, "hotel di xyzzy", "id", "hotel");
        expect(r, "tidak menemukan hotel untuk \"xyzzy\"");
        expect(r, "Bali");
        expect(r, "?");
        free(r);

        r = ask(fresh("s", 1), user, "cancel my bookings", "en", "customer_service");
        expect(r, "Which booking?");
        free(r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_sample_requests),
            cmocka_unit_test(test_indonesian),
            cmocka_unit_test(test_hotel_booking_flow),
            cmocka_unit_test(test_flight_booking_refusal),
            cmocka_unit_test(test_tour_and_services),
            cmocka_unit_test(test_questions_back),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
