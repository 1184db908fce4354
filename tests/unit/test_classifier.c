#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "swb_classifier.h"
#include "swb_mem.h"
#include "swb_train.h"

#define MODEL SWB_SOURCE_DIR "/models/router.swbm"

static swb_classifier_t *shipped;

static int setup_shipped(void **state)
{
        char errstr[512];
        shipped = swb_classifier_load(MODEL, errstr, sizeof(errstr));
        if (!shipped)
                fprintf(stderr, "cannot load %s: %s\n", MODEL, errstr);
        return shipped ? 0 : -1;
}

static int teardown_shipped(void **state)
{
        swb_classifier_destroy(shipped);
        shipped = NULL;
        return 0;
}

static void check_route(const char *text, const char *domain)
{
        struct swb_classification c;
        swb_classifier_classify(shipped, text, &c);
        if (strcmp(c.domain, domain))
                fprintf(stderr, "\"%s\": expected %s, got %s/%s (%.3f)\n", text, domain,
                        c.domain, c.intent, c.confidence);
        assert_string_equal(c.domain, domain);
        assert_true(c.confidence >= 0.0 && c.confidence <= 1.0);
        assert_non_null(c.intent);
        assert_int_equal(swb_classifier_route_parse(c.domain), c.route);
}

/* The sample requests of the issue and the README, English and Indonesian. */
static void test_sample_requests(void **state)
{
        check_route("Find me a hotel in Bali", "hotel");
        check_route("flights from Jakarta to Denpasar tomorrow", "flight");
        check_route("what tours do you have in Yogyakarta", "tour");
        check_route("cancel booking 42", "customer_service");
        check_route("show my bookings", "customer_service");
        check_route("carikan hotel di Bandung", "hotel");
        check_route("tiket pesawat ke Medan", "flight");
        /* paying is a customer-service request unless an agent is active (sticky) */
        check_route("bayar sekarang", "customer_service");
        check_route("I want to pay", "customer_service");
        check_route("riwayat pesanan saya", "customer_service");
        check_route("paket wisata ke Bali", "tour");
        check_route("kurs dolar hari ini", "customer_service");
        check_route("what is the capital of France", "out_of_scope");
        check_route("how do I change my car's oil", "out_of_scope");
        check_route("tell me a joke", "out_of_scope");
        check_route("siapa presiden pertama amerika", "out_of_scope");
}

static void test_odd_input(void **state)
{
        struct swb_classification c;
        char *big = swb_malloc(200001);
        double sum = 0;
        int r;

        memset(big, 'a', 200000);
        big[200000] = '\0';
        swb_classifier_classify(shipped, NULL, &c);
        assert_string_equal(c.domain, "out_of_scope");
        swb_classifier_classify(shipped, "", &c);
        assert_string_equal(c.domain, "out_of_scope");
        swb_classifier_classify(shipped, "   !!! ??? ...", &c);
        assert_string_equal(c.domain, "out_of_scope");
        swb_classifier_classify(shipped, big, &c);
        assert_true(c.confidence >= 0 && c.confidence <= 1);
        for (r = 0; r < 200000; r += 7)
                big[r] = ' ';
        swb_classifier_classify(shipped, big, &c);
        assert_true(c.confidence >= 0 && c.confidence <= 1);
        swb_free(big);
        /* invalid UTF-8, accents, emoji, curly apostrophes */
        swb_classifier_classify(shipped, "\xff\xfe\xc3 h\xc3\xb4tel \xf0\x9f\x8f\xa8 in bali", &c);
        assert_string_equal(c.domain, "hotel");
        swb_classifier_classify(shipped, "FIND ME A H\xC3\x94TEL IN BALI\xe2\x80\x99S NORTH", &c);
        assert_string_equal(c.domain, "hotel");
        for (r = 0; r < SWB_CLASSIFIER_ROUTE__CNT; r++)
                sum += c.route_prob[r];
        assert_true(sum > 0.999 && sum < 1.001);
        assert_true(c.n_top >= 1 && c.top[0].prob >= c.top[c.n_top - 1].prob);
}

struct thr_arg {
        const char *const *texts;
        size_t n;
        int mismatches;
};

static void *thr_main(void *p)
{
        struct thr_arg *a = p;
        struct swb_classification c, ref;
        size_t i;
        int rep;
        for (rep = 0; rep < 200; rep++)
                for (i = 0; i < a->n; i++) {
                        swb_classifier_classify(shipped, a->texts[i], &c);
                        swb_classifier_classify(shipped, a->texts[(i + 1) % a->n], &ref);
                        swb_classifier_classify(shipped, a->texts[i], &ref);
                        if (strcmp(c.intent, ref.intent) || c.confidence != ref.confidence)
                                a->mismatches++;
                }
        return NULL;
}

static void test_threads(void **state)
{
        static const char *const texts[] = {"find me a hotel in bali", "tiket pesawat ke medan",
                                            "cancel booking 42", "what is the meaning of life"};
        struct thr_arg a[4];
        pthread_t t[4];
        int i;
        for (i = 0; i < 4; i++) {
                a[i].texts = texts;
                a[i].n = SWB_ARRAY_LEN(texts);
                a[i].mismatches = 0;
                assert_int_equal(pthread_create(&t[i], NULL, thr_main, &a[i]), 0);
        }
        for (i = 0; i < 4; i++) {
                pthread_join(t[i], NULL);
                assert_int_equal(a[i].mismatches, 0);
        }
}

/* ---- trainer ------------------------------------------------------------- */

static const char *const tiny[][2] = {
        {"find a hotel in paris", "hotel_search"},     {"hotel rooms in rome", "hotel_search"},
        {"cheap hotel near the station", "hotel_search"}, {"i need a hotel in oslo", "hotel_search"},
        {"any hotels in lima", "hotel_search"},        {"carikan hotel di bogor", "hotel_search"},
        {"flights to tokyo", "flight_search"},         {"a flight from paris to rome", "flight_search"},
        {"plane tickets to oslo", "flight_search"},    {"cheap flights to lima", "flight_search"},
        {"tiket pesawat ke bali", "flight_search"},    {"when is the next flight to rome", "flight_search"},
        {"cancel my booking", "cancel_booking"},       {"please cancel reservation 12", "cancel_booking"},
        {"batalkan pesanan saya", "cancel_booking"},   {"i want to cancel the booking", "cancel_booking"},
        {"cancel booking 7", "cancel_booking"},        {"tell me a joke", "oos"},
        {"what is two plus two", "oos"},               {"how tall is a giraffe", "oos"},
        {"who wrote hamlet", "oos"},                   {"play some music", "oos"},
        {"what's the weather like", "oos"},            {"sing me a song", "oos"},
};

static swb_classifier_t *train_tiny(unsigned seed, int folds)
{
        swb_dataset_t *td = swb_dataset_new();
        struct swb_train_opts o;
        struct swb_train_report rep;
        swb_classifier_t *clf;
        char errstr[256];
        size_t i;

        swb_dataset_set_route(td, "hotel_search", SWB_CLASSIFIER_HOTEL);
        swb_dataset_set_route(td, "flight_search", SWB_CLASSIFIER_FLIGHT);
        swb_dataset_set_route(td, "cancel_booking", SWB_CLASSIFIER_CUSTOMER_SERVICE);
        swb_dataset_set_route(td, "oos", SWB_CLASSIFIER_OUT_OF_SCOPE);
        for (i = 0; i < SWB_ARRAY_LEN(tiny); i++)
                swb_dataset_add(td, tiny[i][0], tiny[i][1]);
        swb_train_opts_default(&o);
        o.seed = seed;
        o.folds = folds;
        o.epochs = 30;
        o.feat.dim_log2 = 12;
        clf = swb_train(td, &o, &rep, errstr, sizeof(errstr));
        assert_non_null(clf);
        assert_int_equal(rep.n_examples, SWB_ARRAY_LEN(tiny));
        assert_int_equal(rep.n_classes, 4);
        assert_true(rep.train_route_acc > 0.99);
        assert_true(rep.temperature > 0);
        swb_dataset_destroy(td);
        return clf;
}

static char *tmp_path(void)
{
        char *p = swb_strdup("/tmp/swb_test_clf_XXXXXX");
        int fd = mkstemp(p);
        assert_true(fd >= 0);
        close(fd);
        return p;
}

static unsigned char *slurp(const char *path, size_t *len)
{
        FILE *fp = fopen(path, "rb");
        unsigned char *b;
        long n;
        assert_non_null(fp);
        fseek(fp, 0, SEEK_END);
        n = ftell(fp);
        fseek(fp, 0, SEEK_SET);
        b = swb_malloc((size_t)n + 1);
        assert_int_equal(fread(b, 1, (size_t)n, fp), (size_t)n);
        fclose(fp);
        *len = (size_t)n;
        return b;
}

static void spit(const char *path, const unsigned char *b, size_t len)
{
        FILE *fp = fopen(path, "wb");
        assert_non_null(fp);
        assert_int_equal(fwrite(b, 1, len, fp), len);
        fclose(fp);
}

static void test_train_save_load(void **state)
{
        swb_classifier_t *clf = train_tiny(7, 3), *again = train_tiny(7, 3), *loaded;
        struct swb_classification c, d;
        char *p1 = tmp_path(), *p2 = tmp_path(), errstr[256];
        unsigned char *b1, *b2;
        size_t l1, l2;
        int q;

        swb_classifier_classify(clf, "find me a hotel in madrid", &c);
        assert_string_equal(c.domain, "hotel");
        swb_classifier_classify(clf, "tiket pesawat ke jakarta", &c);
        assert_string_equal(c.domain, "flight");
        swb_classifier_classify(clf, "cancel booking 99", &c);
        assert_string_equal(c.domain, "customer_service");
        assert_string_equal(c.intent, "cancel_booking");

        /* same seed, same bytes */
        assert_int_equal(swb_classifier_save(clf, p1, true, errstr, sizeof(errstr)), SWB_OK);
        assert_int_equal(swb_classifier_save(again, p2, true, errstr, sizeof(errstr)), SWB_OK);
        b1 = slurp(p1, &l1);
        b2 = slurp(p2, &l2);
        assert_int_equal(l1, l2);
        assert_memory_equal(b1, b2, l1);
        swb_free(b1);
        swb_free(b2);

        /* float and int8 files classify like the in-memory model */
        for (q = 0; q < 2; q++) {
                assert_int_equal(swb_classifier_save(clf, p1, q, errstr, sizeof(errstr)), SWB_OK);
                loaded = swb_classifier_load(p1, errstr, sizeof(errstr));
                assert_non_null(loaded);
                swb_classifier_classify(clf, "cheap flights to rome please", &c);
                swb_classifier_classify(loaded, "cheap flights to rome please", &d);
                assert_string_equal(c.domain, d.domain);
                assert_string_equal(c.intent, d.intent);
                assert_true(c.confidence - d.confidence < 0.02 &&
                            d.confidence - c.confidence < 0.02);
                swb_classifier_destroy(loaded);
        }
        unlink(p1);
        unlink(p2);
        swb_free(p1);
        swb_free(p2);
        swb_classifier_destroy(clf);
        swb_classifier_destroy(again);
}

static void expect_reject(const char *path, swb_err_t want)
{
        char errstr[256] = "";
        swb_err_t err = SWB_OK;
        swb_classifier_t *clf = swb_classifier_load2(path, &err, errstr, sizeof(errstr));
        assert_null(clf);
        assert_int_equal(err, want);
        assert_true(strlen(errstr) > 0);
}

static void test_corrupt_files(void **state)
{
        swb_classifier_t *clf = train_tiny(3, 0);
        char *p = tmp_path(), *bad = tmp_path(), errstr[256];
        unsigned char *b, *m;
        size_t len, cut, i;

        assert_int_equal(swb_classifier_save(clf, p, true, errstr, sizeof(errstr)), SWB_OK);
        b = slurp(p, &len);
        m = swb_malloc(len);

        expect_reject("/nonexistent/router.swbm", SWB_ERR_NOT_FOUND);
        spit(bad, b, 0);
        expect_reject(bad, SWB_ERR_DECODE);
        /* every kind of truncation */
        for (cut = 1; cut < len; cut += cut < 200 ? 1 : 997) {
                spit(bad, b, cut);
                expect_reject(bad, SWB_ERR_DECODE);
        }
        /* single flipped bytes, in the header, the names, the weights, the checksum */
        for (i = 0; i < len; i += i < 300 ? 1 : 1009) {
                memcpy(m, b, len);
                m[i] ^= 0x5a;
                spit(bad, m, len);
                expect_reject(bad, SWB_ERR_DECODE);
        }
        /* foreign file */
        memset(m, 'x', len);
        spit(bad, m, len);
        expect_reject(bad, SWB_ERR_DECODE);
        /* an extra byte */
        memcpy(m, b, len);
        spit(bad, m, len);
        {
                FILE *fp = fopen(bad, "ab");
                fputc(0, fp);
                fclose(fp);
        }
        expect_reject(bad, SWB_ERR_DECODE);
        /* the intact file still loads */
        spit(bad, b, len);
        swb_classifier_destroy(swb_classifier_load(bad, errstr, sizeof(errstr)));

        unlink(p);
        unlink(bad);
        swb_free(p);
        swb_free(bad);
        swb_free(b);
        swb_free(m);
        swb_classifier_destroy(clf);
}

static void test_route_names(void **state)
{
        assert_string_equal(swb_classifier_route_name(SWB_CLASSIFIER_HOTEL), "hotel");
        assert_string_equal(swb_classifier_route_name(SWB_CLASSIFIER_OUT_OF_SCOPE),
                            "out_of_scope");
        assert_null(swb_classifier_route_name(SWB_CLASSIFIER_ROUTE__CNT));
        assert_int_equal(swb_classifier_route_parse("customer_service"),
                         SWB_CLASSIFIER_CUSTOMER_SERVICE);
        assert_int_equal(swb_classifier_route_parse("nope"), -1);
        swb_classifier_destroy(NULL);
        swb_dataset_destroy(NULL);
}

int main(void)
{
        const struct CMUnitTest shipped_tests[] = {
                cmocka_unit_test(test_sample_requests),
                cmocka_unit_test(test_odd_input),
                cmocka_unit_test(test_threads),
        };
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_route_names),
                cmocka_unit_test(test_train_save_load),
                cmocka_unit_test(test_corrupt_files),
        };
        int rc = cmocka_run_group_tests(tests, NULL, NULL);
        return rc | cmocka_run_group_tests(shipped_tests, setup_shipped, teardown_shipped);
}
