/* swb_slots: dates, slots from English and Indonesian text, context, reply formatting.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swb_mem.h"
#include "swb_slots.h"

/* Monday 2 March 2026: every test reads relative dates from here. */
static const swb_date_t TODAY = {2026, 3, 2};

static struct swb_slots parse(const char *text, const char *locale)
{
        struct swb_slots s;
        swb_slots_parse(text, locale, TODAY, &s);
        return s;
}

static void expect_date(swb_date_t d, const char *want, const char *text)
{
        char got[16];
        swb_date_iso(d, got);
        if (strcmp(got, want))
                fail_msg("\"%s\": date %s, expected %s", text, got[0] ? got : "(none)",
                         want[0] ? want : "(none)");
}

/* One phrase: its first date, second date and nights. */
static void dates(const char *text, const char *from, const char *to, int nights)
{
        struct swb_slots s = parse(text, "en");
        expect_date(s.date, from, text);
        expect_date(s.date_end, to, text);
        if (s.nights != nights)
                fail_msg("\"%s\": %d nights, expected %d", text, s.nights, nights);
}

static void test_calendar(void **state)
{
        swb_date_t d = {2024, 2, 28}, e = {2026, 12, 31}, bad = {2026, 2, 29};
        char iso[16];
        assert_int_equal(swb_date_weekday(TODAY), 1);
        assert_int_equal(swb_date_weekday((swb_date_t){1970, 1, 1}), 4);
        assert_int_equal(swb_date_weekday((swb_date_t){2026, 3, 8}), 7);
        swb_date_iso(swb_date_add(d, 1), iso);
        assert_string_equal(iso, "2024-02-29"); /* leap year */
        swb_date_iso(swb_date_add(d, 2), iso);
        assert_string_equal(iso, "2024-03-01");
        swb_date_iso(swb_date_add(e, 1), iso);
        assert_string_equal(iso, "2027-01-01");
        swb_date_iso(swb_date_add(e, -365), iso);
        assert_string_equal(iso, "2025-12-31");
        assert_int_equal(swb_date_diff(TODAY, e), 304);
        assert_int_equal(swb_date_diff(e, TODAY), -304);
        assert_false(swb_date_valid(bad));
        assert_false(swb_date_valid((swb_date_t){0, 0, 0}));
        assert_true(swb_date_valid((swb_date_t){2000, 2, 29}));
        assert_false(swb_date_valid((swb_date_t){1900, 2, 29}));
        swb_date_iso(bad, iso);
        assert_string_equal(iso, "");
        assert_true(swb_date_valid(swb_date_today()));
}

static void test_language(void **state)
{
        assert_true(swb_slots_is_indonesian("carikan hotel di Bandung", "en"));
        assert_true(swb_slots_is_indonesian("tiket ke Bali besok", "en"));
        assert_true(swb_slots_is_indonesian("batalkan pesanan 42", "en"));
        assert_true(swb_slots_is_indonesian("bayar pesanan 42", NULL));
        assert_true(swb_slots_is_indonesian("kurs dolar", "en"));
        assert_true(swb_slots_is_indonesian("bagaimana kebijakan refund", "en"));
        assert_true(swb_slots_is_indonesian("Find me a hotel in Bali",
                                            "id")); /* the locale wins */
        assert_true(swb_slots_is_indonesian("hotel", "id-ID"));
        assert_false(swb_slots_is_indonesian("Find me a hotel in Bali", "en"));
        assert_false(
            swb_slots_is_indonesian("flights from Jakarta to Denpasar tomorrow", "en"));
        assert_false(swb_slots_is_indonesian("what is the baggage allowance", "en"));
        assert_false(swb_slots_is_indonesian("hotel 12", "en"));
        assert_false(swb_slots_is_indonesian("", NULL));
        assert_false(swb_slots_is_indonesian(NULL, "en"));
}

static void test_sample_requests(void **state)
{
        struct swb_slots s;

        s = parse("Find me a hotel in Bali", "en");
        assert_string_equal(s.place, "Bali");
        assert_false(s.id);
        assert_false(s.book || s.cancel || s.pay);

        s = parse("flights from Jakarta to Denpasar tomorrow", "en");
        assert_string_equal(s.origin, "Jakarta");
        assert_string_equal(s.destination, "Denpasar");
        expect_date(s.date, "2026-03-03", "tomorrow");

        s = parse("what tours do you have in Yogyakarta", "en");
        assert_string_equal(s.place, "Yogyakarta");
        assert_true(s.question);

        s = parse("cancel booking 42", "en");
        assert_true(s.cancel);
        assert_int_equal(s.booking_id, 42);
        assert_false(s.pay);

        s = parse("show my bookings", "en");
        assert_true(s.history);
        assert_int_equal(s.booking_id, 0);

        s = parse("carikan hotel di Bandung", "en");
        assert_true(s.id);
        assert_string_equal(s.place, "Bandung");
        assert_string_equal(s.kind, "hotel");
}

static void test_dates(void **state)
{
        dates("today", "2026-03-02", "", 0);
        dates("hotel for tonight", "2026-03-02", "", 0);
        dates("tomorrow", "2026-03-03", "", 0);
        dates("the day after tomorrow", "2026-03-04", "", 0);
        dates("hari ini", "2026-03-02", "", 0);
        dates("besok", "2026-03-03", "", 0);
        dates("lusa", "2026-03-04", "", 0);
        dates("besok lusa", "2026-03-04", "", 0);
        dates("next friday", "2026-03-06", "", 0);
        dates("on Monday", "2026-03-02", "", 0);   /* today is a Monday */
        dates("next monday", "2026-03-09", "", 0); /* ... so next one is a week on */
        dates("jumat depan", "2026-03-06", "", 0);
        dates("hari minggu", "2026-03-08", "", 0);
        dates("minggu depan", "2026-03-09", "", 0); /* next week: its Monday */
        dates("next week", "2026-03-09", "", 0);
        dates("3 March", "2026-03-03", "", 0);
        dates("3 Maret", "2026-03-03", "", 0);
        dates("March 3rd, 2027", "2027-03-03", "", 0);
        dates("the 3rd of March", "2026-03-03", "", 0);
        dates("1 March", "2027-03-01", "", 0); /* passed: next year */
        dates("5 januari", "2027-01-05", "", 0);
        dates("29 Feb", "2028-02-29", "", 0); /* the next 29 February */
        dates("2026-03-05", "2026-03-05", "", 0);
        dates("2026/03/05", "2026-03-05", "", 0);
        dates("20/12", "2026-12-20", "", 0);
        dates("12/20", "2026-12-20", "", 0); /* only month/day fits */
        dates("20/12/2027", "2027-12-20", "", 0);
        dates("this weekend", "2026-03-07", "2026-03-09", 2);
        dates("akhir pekan ini", "2026-03-07", "2026-03-09", 2);
        dates("weekend", "2026-03-07", "2026-03-09", 2);
        dates("next weekend", "2026-03-14", "2026-03-16", 2);
        dates("akhir pekan depan", "2026-03-14", "2026-03-16", 2);
        dates("in 3 days", "2026-03-05", "", 0);
        dates("dalam 3 hari", "2026-03-05", "", 0);
        dates("3 hari lagi", "2026-03-05", "", 0);
        dates("tanggal 20", "2026-03-20", "", 0);
        dates("tanggal 1", "2026-04-01", "", 0); /* passed this month */
        dates("on the 15th", "2026-03-15", "", 0);
        /* ranges and nights */
        dates("from 2026-12-20 to 2026-12-22", "2026-12-20", "2026-12-22", 2);
        dates("from 3 to 5 March", "2026-03-03", "2026-03-05", 2);
        dates("3 sampai 5 Maret", "2026-03-03", "2026-03-05", 2);
        dates("tanggal 20 sampai 22 Desember", "2026-12-20", "2026-12-22", 2);
        dates("tanggal 20 sampai 22", "2026-03-20", "2026-03-22", 2);
        dates("20-22 December", "2026-12-20", "2026-12-22", 2);
        dates("Dec 20-22", "2026-12-20", "2026-12-22", 2);
        dates("March 10 to 12", "2026-03-10", "2026-03-12", 2);
        dates("from 28 Dec to 2 Jan", "2026-12-28", "2027-01-02", 5);
        dates("20/12 to 22/12", "2026-12-20", "2026-12-22", 2);
        dates("check in 2026-04-01 check out 2026-04-03", "2026-04-01", "2026-04-03",
              2);
        dates("tomorrow for 3 nights", "2026-03-03", "2026-03-06", 3);
        dates("3 Maret 3 malam", "2026-03-03", "2026-03-06", 3);
        dates("besok 2 malam", "2026-03-03", "2026-03-05", 2);
        dates("next friday for a week", "2026-03-06", "2026-03-13", 7);
        dates("besok seminggu", "2026-03-03", "2026-03-10", 7);
        dates("a 3-night stay", "", "", 3);
        dates("for 2 nights", "", "", 2);
        dates("menginap semalam", "", "", 1);
        /* a second date before the first is dropped */
        dates("2026-05-05 to 2026-05-01", "2026-05-05", "", 0);
        /* not dates */
        dates("31/02", "", "", 0);
        dates("2026-02-30", "", "", 0);
        dates("may I book", "", "", 0);
        dates("hotel 12", "", "", 0);
        dates("10:30", "", "", 0);
}

static void test_ambiguous_date(void **state)
{
        struct swb_slots s = parse("flights Jakarta to Bali on 03/05", "en");
        expect_date(s.date, "2026-05-03", "03/05"); /* day/month */
        assert_true(s.date_assumed);
        assert_string_equal(s.date_raw, "03/05");
        s = parse("20/12", "en");
        assert_false(s.date_assumed); /* only one reading */
        s = parse("5/5", "en");
        assert_false(s.date_assumed); /* both readings agree */
}

static void test_people_rooms_stars(void **state)
{
        struct {
                const char *text;
                int guests, rooms, stars, nights;
        } c[] = {
            {"2 guests", 2, 0, 0, 0},
            {"2 orang", 2, 0, 0, 0},
            {"for two", 2, 0, 0, 0},
            {"for 2", 2, 0, 0, 0},
            {"untuk 3 orang", 3, 0, 0, 0},
            {"berdua", 2, 0, 0, 0},
            {"bertiga ke Bali", 3, 0, 0, 0},
            {"4 passengers", 4, 0, 0, 0},
            {"dua penumpang", 2, 0, 0, 0},
            {"2 adults and 1 child", 3, 0, 0, 0},
            {"2 orang dewasa", 2, 0, 0, 0},
            {"party of 5", 5, 0, 0, 0},
            {"a room for a couple", 2, 0, 0, 0},
            {"just me, solo trip", 1, 0, 0, 0},
            {"2 rooms for 4 guests", 4, 2, 0, 0},
            {"2 kamar", 0, 2, 0, 0},
            {"5 star hotel", 0, 0, 5, 0},
            {"4-star hotel", 0, 0, 4, 0},
            {"hotel bintang 4", 0, 0, 4, 0},
            {"for 2 nights", 0, 0, 0, 2},
            {"for 3 days", 0, 0, 0, 3},
            {"0 guests", 0, 0, 0, 0},
            {"100 guests", 0, 0, 0, 0},
        };
        size_t i;
        for (i = 0; i < SWB_ARRAY_LEN(c); i++) {
                struct swb_slots s = parse(c[i].text, "en");
                if (s.guests != c[i].guests || s.rooms != c[i].rooms ||
                    s.min_stars != c[i].stars || s.nights != c[i].nights)
                        fail_msg("\"%s\": guests %d rooms %d stars %d nights %d",
                                 c[i].text, s.guests, s.rooms, s.min_stars, s.nights);
        }
}

static void test_ids(void **state)
{
        struct {
                const char *text;
                long long booking, hotel, flight, tour, room_type;
        } c[] = {
            {"booking 42", 42, 0, 0, 0, 0},
            {"booking #42", 42, 0, 0, 0, 0},
            {"booking id: 42", 42, 0, 0, 0, 0},
            {"#42", 42, 0, 0, 0, 0},
            {"pesanan 42", 42, 0, 0, 0, 0},
            {"bayar pesanan 42", 42, 0, 0, 0, 0},
            {"batalkan pesanan saya nomor 77", 77, 0, 0, 0, 0},
            {"cancel 42", 42, 0, 0, 0, 0},
            {"reservation no. 9", 9, 0, 0, 0, 0},
            {"pay hotel booking 42", 42, 0, 0, 0, 0},
            {"bayar booking hotel 42", 42, 0, 0, 0, 0},
            {"pesanan tur 7", 7, 0, 0, 0, 0},
            {"bayar booking kamar hotel 42", 42, 0, 0, 0, 0},
            {"pay the hotel room booking 42", 42, 0, 0, 0, 0},
            {"bayar tiket penerbangan booking 2", 2, 0, 0, 0, 0},
            {"book tour package 3 on 2026-12-03", 0, 0, 0, 3, 0},
            {"pesan paket tur 3 tanggal 2026-12-03", 0, 0, 0, 3, 0},
            {"hotel 12", 0, 12, 0, 0, 0},
            {"rooms at hotel 12", 0, 12, 0, 0, 0},
            {"hotel #5", 0, 5, 0, 0, 0},
            {"hotel 5 stars", 0, 0, 0, 0, 0},
            {"hotel 3 nights", 0, 0, 0, 0, 0},
            {"flight 120", 0, 0, 120, 0, 0},
            {"penerbangan 120", 0, 0, 120, 0, 0},
            {"tour 7", 0, 0, 0, 7, 0},
            {"tur 7", 0, 0, 0, 7, 0},
            {"paket 7", 0, 0, 0, 7, 0},
            {"room type 3 at hotel 12", 0, 12, 0, 0, 3},
            {"tipe kamar 3 di hotel 12", 0, 12, 0, 0, 3},
            {"pesan kamar tipe 3 di hotel 12", 0, 12, 0, 0, 3},
            {"room 4 at hotel 2", 0, 2, 0, 0, 4},
            {"book 2 rooms type 5 hotel 3", 0, 3, 0, 0, 5},
            {"flight GA402", 0, 0, 0, 0, 0},
            {"42", 0, 0, 0, 0, 0},
            {"booking 99999999999999999999", 0, 0, 0, 0, 0},
            {"booking -5", 0, 0, 0, 0, 0},
        };
        size_t i;
        for (i = 0; i < SWB_ARRAY_LEN(c); i++) {
                struct swb_slots s = parse(c[i].text, "en");
                if (s.booking_id != c[i].booking || s.hotel_id != c[i].hotel ||
                    s.flight_id != c[i].flight || s.tour_id != c[i].tour ||
                    s.room_type_id != c[i].room_type)
                        fail_msg("\"%s\": booking %lld hotel %lld flight %lld tour "
                                 "%lld room type %lld",
                                 c[i].text, s.booking_id, s.hotel_id, s.flight_id,
                                 s.tour_id, s.room_type_id);
        }
}

static void test_places(void **state)
{
        struct {
                const char *text, *place, *origin, *destination;
        } c[] = {
            {"hotels in Nusa Dua this weekend", "Nusa Dua", "", ""},
            {"hotel in Kuala Lumpur for 2 guests", "Kuala Lumpur", "", ""},
            {"akhir pekan ini hotel di Ubud", "Ubud", "", ""},
            {"hotel di kota Bandung", "Bandung", "", ""},
            {"tours in Labuan Bajo tomorrow", "Labuan Bajo", "", ""},
            {"what tours do you have in Yogyakarta?", "Yogyakarta", "", ""},
            {"rooms at hotel 12 from 2026-12-20 to 2026-12-22", "", "", ""},
            {"penerbangan dari Surabaya ke Makassar lusa", "", "Surabaya", "Makassar"},
            {"flights Jakarta to Bali", "", "Jakarta", "Bali"},
            {"cheap flights from CGK to DPS on Friday", "", "CGK", "DPS"},
            {"tiket pesawat CGK-DPS", "", "CGK", "DPS"},
            {"flights Jakarta - Bali", "", "Jakarta", "Bali"},
            {"flight to Singapore next friday", "", "", "Singapore"},
            {"from 3 to 5 March", "", "", ""},
            {"USD to IDR rate", "", "", ""},
            {"one-way flight to Tokyo", "", "", "Tokyo"},
        };
        size_t i;
        struct swb_slots s;
        for (i = 0; i < SWB_ARRAY_LEN(c); i++) {
                s = parse(c[i].text, "en");
                if (strcmp(s.place, c[i].place) || strcmp(s.origin, c[i].origin) ||
                    strcmp(s.destination, c[i].destination))
                        fail_msg("\"%s\": place [%s] origin [%s] destination [%s]",
                                 c[i].text, s.place, s.origin, s.destination);
        }
        /* what nothing else took: a place said without a preposition */
        s = parse("Bali hotels please", "en");
        assert_string_equal(s.place_guess, "Bali");
        s = parse("hotel murah Bandung", "id");
        assert_string_equal(s.place_guess, "Bandung");
        s = parse("find me a hotel", "en");
        assert_string_equal(s.place_guess, "");
}

static void test_money(void **state)
{
        struct {
                const char *text, *base, *quote;
                double amount;
        } c[] = {
            {"USD to IDR rate", "USD", "IDR", 0},
            {"kurs dolar", "USD", "IDR", 0},
            {"kurs rupiah", "USD", "IDR", 0},
            {"euro rate", "EUR", "IDR", 0},
            {"kurs yen", "JPY", "IDR", 0},
            {"ringgit to baht", "MYR", "THB", 0},
            {"sgd to idr", "SGD", "IDR", 0},
            {"dolar singapura", "SGD", "IDR", 0},
            {"australian dollar", "AUD", "IDR", 0},
            {"exchange rate euro to rupiah", "EUR", "IDR", 0},
            {"convert 100 USD to IDR", "USD", "IDR", 100},
            {"$50 in rupiah", "USD", "IDR", 50},
            {"Rp 500.000 ke dolar", "IDR", "USD", 500000},
            {"berapa rp500.000 dalam usd", "IDR", "USD", 500000},
            {"berapa rupiah 100 dolar", "USD", "IDR", 100},
            {"berapa 1,5 juta rupiah dalam dolar singapura", "IDR", "SGD", 1500000},
            {"1,000,000 IDR to EUR", "IDR", "EUR", 1000000},
            {"korean won", "KRW", "IDR", 0},
            {"won the lottery", "", "", 0},
            {"hotel dong", "", "", 0},
            {"hotel in Bali", "", "", 0},
        };
        size_t i;
        for (i = 0; i < SWB_ARRAY_LEN(c); i++) {
                struct swb_slots s = parse(c[i].text, "en");
                if (strcmp(s.base, c[i].base) || strcmp(s.quote, c[i].quote) ||
                    s.amount != c[i].amount)
                        fail_msg("\"%s\": %s -> %s amount %g", c[i].text, s.base,
                                 s.quote, s.amount);
        }
        assert_true(parse("kurs dolar", "en").rate);
        assert_true(parse("exchange rate", "en").rate);
}

static void test_intents_and_filters(void **state)
{
        struct swb_slots s;

        s = parse(
            "book room type 3 at hotel 12 from 2026-12-20 to 2026-12-22 for 2 guests",
            "en");
        assert_true(s.book);
        assert_int_equal(s.guests, 2);
        assert_int_equal(s.nights, 2);
        s = parse("pesan kamar tipe 3 di hotel 12 tanggal 20 sampai 22 Desember untuk "
                  "2 orang",
                  "en");
        assert_true(s.book && s.id);
        assert_int_equal(s.room_type_id, 3);
        expect_date(s.date_end, "2026-12-22", "pesan kamar");
        s = parse("book flight 120 for 2 passengers", "en");
        assert_true(s.book);
        assert_int_equal(s.flight_id, 120);
        assert_int_equal(s.guests, 2);
        s = parse("is hotel 5 available next weekend", "en");
        assert_true(s.avail && s.question);
        assert_int_equal(s.hotel_id, 5);
        expect_date(s.date, "2026-03-14", "next weekend");
        s = parse("pay booking #15 with e-wallet", "en");
        assert_true(s.pay);
        assert_string_equal(s.payment_method, "e_wallet");
        s = parse("bayar pesanan 42 pakai gopay", "en");
        assert_true(s.pay && s.id);
        assert_string_equal(s.payment_method, "e_wallet");
        s = parse("pay 42 by bank transfer", "en");
        assert_string_equal(s.payment_method, "bank_transfer");
        assert_int_equal(s.booking_id, 42);
        s = parse("bayar dengan kartu kredit pesanan 3", "id");
        assert_string_equal(s.payment_method, "credit_card");
        s = parse("I want to pay with a debit card for booking 3", "en");
        assert_string_equal(s.payment_method, "debit_card");
        s = parse("payment for booking 7", "en");
        assert_true(s.pay);
        s = parse("what payment methods do you accept", "en");
        assert_false(s.pay);
        assert_true(s.question);
        s = parse("how do I cancel a booking?", "en");
        assert_true(s.cancel && s.question);
        assert_int_equal(s.booking_id, 0);
        s = parse("what is the baggage allowance", "en");
        assert_true(s.kb_topic && s.question);
        s = parse("bagaimana kebijakan refund", "en");
        assert_true(s.kb_topic && s.question && s.id);
        s = parse("my hotel bookings that are paid", "en");
        assert_true(s.history);
        assert_string_equal(s.kind, "hotel");
        assert_string_equal(s.status, "paid");
        s = parse("riwayat pesanan saya yang belum dibayar", "id");
        assert_true(s.history);
        assert_string_equal(s.status, "pending");
        s = parse("cheap 4 star hotel in Kuala Lumpur", "en");
        assert_true(s.cheap);
        assert_int_equal(s.min_stars, 4);
        s = parse("food tours in Bali", "en");
        assert_string_equal(s.category, "food");
        s = parse("wisata kuliner di Yogyakarta", "id");
        assert_string_equal(s.category, "food");
        s = parse("list all tours", "en");
        assert_true(s.list_all);
}

static void test_nonsense(void **state)
{
        static const char *const texts[] = {
            "",
            " ",
            "?????",
            "#",
            "asdf qwerty",
            "99999999999999999999",
            "----",
            "//",
            "3-",
            "-3",
            "1.2.3.4.5",
            "1,,2",
            "booking",
            "hotel in",
            "from to",
            "di ke dari",
            "\xff\xfe\xfd",
            "caf\xc3\xa9 \xe2\x80\x93 3\xe2\x80\x93"
            "5 March",
            "#########42",
            "tanggal",
            "the",
            "next",
            "akhir",
            "3 to",
            "March",
            "20-",
            "-20 December",
            "2026-13-45",
            "99/99",
            "0/0",
            "00/12",
            "32 March",
            "0 March",
            "Rp",
            "$",
            "$$$100",
            "1e400 USD",
            "booking 0",
            "hotel 0",
            "room type",
            "kamar tipe",
            "nomor",
        };
        struct swb_slots s;
        size_t i;
        char *big = swb_malloc(20001);

        for (i = 0; i < SWB_ARRAY_LEN(texts); i++) {
                s = parse(texts[i], "en");
                assert_true(s.guests >= 0 && s.guests <= 50);
                assert_true(s.nights >= 0);
                assert_true(s.booking_id >= 0 && s.hotel_id >= 0);
                assert_true(!s.date.year || swb_date_valid(s.date));
                assert_true(strlen(s.place) < SWB_SLOTS_PLACE_MAX);
        }
        swb_slots_parse(NULL, NULL, TODAY, &s);
        assert_false(s.id);
        assert_int_equal(s.booking_id, 0);
        /* long text: thousands of tokens, a very long word */
        for (i = 0; i < 20000; i++)
                big[i] = i % 7 == 6 ? ' ' : (char)('a' + i % 26);
        big[20000] = '\0';
        s = parse(big, "en");
        memset(big, 'x', 20000);
        s = parse(big, "en");
        assert_string_equal(s.place, "");
        for (i = 0; i < 20000; i += 3)
                memcpy(big + i, "in ", 3 <= 20000 - i ? 3 : 20000 - i);
        s = parse(big, "en");
        swb_free(big);
        /* 03/05 is in place of a guess only when nothing better is said */
        s = parse("hotel in Bali 03/05 to 05/05", "en");
        expect_date(s.date, "2026-05-03", "03/05");
        expect_date(s.date_end, "2026-05-05", "05/05");
}

static void test_context(void **state)
{
        json_t *turns = json_pack(
            "[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}, {s:s, s:s}]", "role", "user", "text",
            "Find me a hotel in Bali from 20 to 22 December for 2 guests", "role",
            "assistant", "text", "Hotels in Bali: ... (hotel 8) ...", "role", "user",
            "text", "rooms at hotel 8", "role", "user", "text", "book room type 22");
        struct swb_slots earlier, s;

        swb_slots_context(turns, "book room type 22", "en", TODAY, &earlier);
        assert_string_equal(earlier.place, "Bali");
        assert_int_equal(earlier.hotel_id, 8);
        assert_int_equal(earlier.room_type_id, 0); /* the current turn is skipped */
        expect_date(earlier.date, "2026-12-20", "context");
        assert_int_equal(earlier.guests, 2);

        s = parse("book room type 22", "en");
        swb_slots_merge(&s, &earlier);
        assert_true(s.book);
        assert_int_equal(s.room_type_id, 22);
        assert_int_equal(s.hotel_id, 8);
        expect_date(s.date_end, "2026-12-22", "merged");
        assert_int_equal(s.nights, 2);

        /* what is said now wins; a new number of nights moves the end */
        s = parse("hotels in Lombok for 3 nights", "en");
        swb_slots_merge(&s, &earlier);
        assert_string_equal(s.place, "Lombok");
        expect_date(s.date, "2026-12-20", "merged");
        expect_date(s.date_end, "2026-12-23", "merged");
        assert_int_equal(s.nights, 3);

        /* no booking ids, intents or currencies from before */
        earlier.booking_id = 5;
        earlier.cancel = true;
        s = parse("2 nights please", "en");
        swb_slots_merge(&s, &earlier);
        assert_int_equal(s.booking_id, 0);
        assert_false(s.cancel);
        assert_string_equal(s.place, "Bali");
        json_decref(turns);

        swb_slots_context(NULL, "x", "en", TODAY, &earlier);
        assert_string_equal(earlier.place, "");
}

static void test_elsewhere(void **state)
{
        json_t *req = json_pack("{s:s}", "text", "x"), *esc;
        assert_true(swb_slots_elsewhere(req, "show my bookings", "flight"));
        assert_true(swb_slots_elsewhere(req, "Find me a hotel in Bali", "flight"));
        assert_false(swb_slots_elsewhere(req, "Find me a hotel in Bali", "hotel"));
        /* not sure: stays */
        assert_false(swb_slots_elsewhere(req, "cancel my hotel booking", "hotel"));
        assert_false(swb_slots_elsewhere(req, "hello there", "hotel"));
        assert_false(swb_slots_was_escalated(req));
        esc = json_pack("{s:{s:s}}", "metadata", "swb.escalated_from", "hotel");
        assert_true(swb_slots_was_escalated(esc));
        assert_false(
            swb_slots_elsewhere(esc, "show my bookings", "flight")); /* never twice */
        json_decref(esc);
        json_decref(req);
}

static void test_formatting(void **state)
{
        char buf[64], *e;
        swb_slots_buf_t b = {0};
        json_t *r;

        assert_string_equal(swb_slots_money(3200000, "IDR", false, buf, sizeof(buf)),
                            "IDR 3,200,000");
        assert_string_equal(swb_slots_money(3200000, "IDR", true, buf, sizeof(buf)),
                            "IDR 3.200.000");
        assert_string_equal(swb_slots_money(85.5, "USD", false, buf, sizeof(buf)),
                            "USD 85.50");
        assert_string_equal(swb_slots_money(85.5, "USD", true, buf, sizeof(buf)),
                            "USD 85,50");
        assert_string_equal(swb_slots_money(420, "USD", false, buf, sizeof(buf)),
                            "USD 420");
        assert_string_equal(swb_slots_money(1234.4, "IDR", false, buf, sizeof(buf)),
                            "IDR 1,234");
        assert_string_equal(swb_slots_money(999, "USD", false, buf, sizeof(buf)),
                            "USD 999");
        assert_string_equal(swb_slots_money(-1500, "USD", false, buf, sizeof(buf)),
                            "USD -1,500");
        assert_string_equal(swb_slots_number(16250, false, buf, sizeof(buf)), "16,250");
        assert_string_equal(swb_slots_number(16250, true, buf, sizeof(buf)), "16.250");
        assert_string_equal(swb_slots_number(0.92, false, buf, sizeof(buf)), "0.92");
        assert_string_equal(swb_slots_number(0.0000615385, false, buf, sizeof(buf)),
                            "0.00006154");
        assert_string_equal(swb_slots_number(1.34, true, buf, sizeof(buf)), "1,34");
        assert_string_equal(swb_slots_method_name("e_wallet", true), "dompet digital");
        assert_string_equal(swb_slots_method_name("credit_card", false), "credit card");

        r = json_pack("{s:{s:s, s:s}}", "error", "code", "forbidden", "message",
                      "booking 42 belongs to another user");
        e = swb_slots_tool_error(r, "booking 42", false);
        assert_non_null(strstr(e, "belongs to another user"));
        swb_free(e);
        e = swb_slots_tool_error(r, "pesanan 42", true);
        assert_non_null(strstr(e, "milik pengguna lain"));
        swb_free(e);
        json_decref(r);
        r = json_pack("{s:{s:s, s:s}}", "error", "code", "not_found", "message",
                      "no booking 9");
        e = swb_slots_tool_error(r, "booking 9", false);
        assert_non_null(strstr(e, "couldn't find booking 9"));
        swb_free(e);
        json_decref(r);
        e = swb_slots_tool_error(NULL, "x", false);
        assert_non_null(strstr(e, "went wrong"));
        swb_free(e);

        r = json_pack("{s:i, s:s, s:s, s:{s:s, s:s, s:i, s:s}}", "booking_id", 7,
                      "kind", "flight", "status", "paid", "payment", "transaction_id",
                      "TX-0123456789ABCDEF", "method", "e_wallet", "amount", 1500000,
                      "currency", "IDR");
        swb_slots_add_paid(&b, r, true);
        json_decref(r);
        r = json_pack("{s:i, s:s, s:s, s:n}", "booking_id", 7, "kind", "tour", "status",
                      "cancelled", "refund");
        swb_slots_add(&b, " | ");
        swb_slots_add_cancelled(&b, r, false);
        json_decref(r);
        e = swb_slots_take(&b);
        assert_non_null(strstr(e, "pesanan 7 (penerbangan) sebesar IDR 1.500.000"));
        assert_non_null(strstr(e, "dompet digital, transaksi TX-0123456789ABCDEF"));
        assert_non_null(
            strstr(e, "Booking 7 (tour) is cancelled. Nothing had been paid"));
        assert_null(b.s);
        swb_free(e);
        e = swb_slots_take(&b);
        assert_string_equal(e, "");
        swb_free(e);
        /* a long append grows the buffer */
        for (int i = 0; i < 200; i++)
                swb_slots_add(&b, "%s", "0123456789012345678901234567890123456789");
        assert_int_equal(b.len, 8000);
        e = swb_slots_take(&b);
        assert_int_equal(strlen(e), 8000);
        swb_free(e);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_calendar),
            cmocka_unit_test(test_language),
            cmocka_unit_test(test_sample_requests),
            cmocka_unit_test(test_dates),
            cmocka_unit_test(test_ambiguous_date),
            cmocka_unit_test(test_people_rooms_stars),
            cmocka_unit_test(test_ids),
            cmocka_unit_test(test_places),
            cmocka_unit_test(test_money),
            cmocka_unit_test(test_intents_and_filters),
            cmocka_unit_test(test_nonsense),
            cmocka_unit_test(test_context),
            cmocka_unit_test(test_elsewhere),
            cmocka_unit_test(test_formatting),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
