#include "swb_router.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "swb_classifier.h"
#include "swb_log.h"
#include "swb_mem.h"

struct swb_router_s {
        swb_classifier_t *clf; /* NULL: the keyword rule */
};

struct swb__kw {
        const char *word; /* matched at a word start, as a prefix */
        const char *domain;
        const char *intent;
        int weight;
};

/* Order matters only for ties: the first domain with the highest score wins. */
static const struct swb__kw swb__kws[] = {
        /* customer service first: "cancel my hotel booking" is a service request */
        {"cancel", "customer_service", "cancel_booking", 4},
        {"batal", "customer_service", "cancel_booking", 4},
        {"refund", "customer_service", "refund", 3},
        {"my booking", "customer_service", "booking_history", 3},
        {"bookings", "customer_service", "booking_history", 2},
        {"pesanan", "customer_service", "booking_history", 3},
        {"riwayat", "customer_service", "booking_history", 3},
        {"exchange rate", "customer_service", "exchange_rate", 3},
        {"currency", "customer_service", "exchange_rate", 3},
        {"kurs", "customer_service", "exchange_rate", 3},
        {"visa", "customer_service", "visa", 3},
        {"luggage", "customer_service", "lost_luggage", 3},
        {"baggage", "customer_service", "lost_luggage", 2},
        {"bagasi", "customer_service", "lost_luggage", 3},
        {"complain", "customer_service", "complaint", 3},
        {"keluhan", "customer_service", "complaint", 3},
        {"customer service", "customer_service", "help", 3},
        {"payment", "customer_service", "payment", 2},
        {"pembayaran", "customer_service", "payment", 2},
        {"hotel", "hotel", "hotel_search", 3},
        {"room", "hotel", "hotel_availability", 2},
        {"resort", "hotel", "hotel_search", 2},
        {"villa", "hotel", "hotel_search", 2},
        {"hostel", "hotel", "hotel_search", 2},
        {"accommodation", "hotel", "hotel_search", 2},
        {"penginapan", "hotel", "hotel_search", 3},
        {"kamar", "hotel", "hotel_availability", 2},
        {"menginap", "hotel", "hotel_search", 2},
        {"flight", "flight", "flight_search", 3},
        {"fly ", "flight", "flight_search", 2},
        {"plane", "flight", "flight_search", 2},
        {"airline", "flight", "flight_search", 2},
        {"pesawat", "flight", "flight_search", 3},
        {"penerbangan", "flight", "flight_search", 3},
        {"terbang", "flight", "flight_search", 2},
        {"tour", "tour", "tour_search", 3},
        {"excursion", "tour", "tour_search", 2},
        {"sightseeing", "tour", "tour_search", 2},
        {"itinerary", "tour", "tour_search", 2},
        {"package", "tour", "tour_search", 1},
        {"wisata", "tour", "tour_search", 3},
        {"tur ", "tour", "tour_search", 3},
        {"paket", "tour", "tour_search", 2},
};

static const char *const swb__domains[] = {"hotel", "flight", "tour", "customer_service"};

void swb_router_rule(const char *text, swb_route_t *out)
{
        size_t n = strlen(text), i, k, d;
        char *low = swb_malloc(n + 2);
        int score[4] = {0}, total = 0, best = -1;
        const char *intent[4] = {0};

        for (i = 0; i < n; i++)
                low[i] = (char)tolower((unsigned char)text[i]);
        low[n] = ' '; /* so "fly " and "tur " match at the end */
        low[n + 1] = '\0';
        for (k = 0; k < sizeof(swb__kws) / sizeof(swb__kws[0]); k++) {
                const char *p = low;
                size_t wl = strlen(swb__kws[k].word);
                while ((p = strstr(p, swb__kws[k].word))) {
                        if (p == low || !isalnum((unsigned char)p[-1])) {
                                for (d = 0; d < 4; d++)
                                        if (!strcmp(swb__domains[d], swb__kws[k].domain))
                                                break;
                                score[d] += swb__kws[k].weight;
                                total += swb__kws[k].weight;
                                if (!intent[d])
                                        intent[d] = swb__kws[k].intent;
                                break;
                        }
                        p += wl;
                }
        }
        swb_free(low);
        for (d = 0; d < 4; d++)
                if (score[d] && (best < 0 || score[d] > score[best]))
                        best = (int)d;
        out->method = "rule";
        out->alt = NULL;
        {
                int alt = -1;
                for (d = 0; d < 4; d++)
                        if ((int)d != best && score[d] && (alt < 0 || score[d] > score[alt]))
                                alt = (int)d;
                out->alt = alt >= 0 ? swb__domains[alt] : NULL;
        }
        if (best < 0) {
                out->domain = "out_of_scope";
                out->intent = "out_of_scope";
                out->confidence = 0.5;
                return;
        }
        out->domain = swb__domains[best];
        out->intent = intent[best];
        out->confidence = (double)score[best] / (double)total;
}

/* route.model unset: the shipped model next to the binaries, or in ./models. */
static char *swb__find_model(void)
{
        static const char *const rel[] = {"/../../models/router.swbm",
                                          "/../share/switchboard/router.swbm"};
        char exe[PATH_MAX], *slash;
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 64);
        size_t i;
        if (n > 0) {
                exe[n] = '\0';
                if ((slash = strrchr(exe, '/'))) {
                        *slash = '\0';
                        for (i = 0; i < SWB_ARRAY_LEN(rel); i++) {
                                char *p = swb_asprintf("%s%s", exe, rel[i]);
                                if (!access(p, R_OK))
                                        return p;
                                swb_free(p);
                        }
                }
        }
        if (!access("models/router.swbm", R_OK))
                return swb_strdup("models/router.swbm");
        return NULL;
}

swb_router_t *swb_router_new(const swb_config_t *cfg, char *errstr, size_t errstr_size)
{
        swb_router_t *r = swb_calloc(1, sizeof(*r));
        char *path = NULL;
        if (cfg->route_model && !strcmp(cfg->route_model, "rule")) {
                SWB_INFO(NULL, "routing with the keyword rule (route.model=rule)");
                return r;
        }
        path = cfg->route_model && *cfg->route_model ? swb_strdup(cfg->route_model)
                                                     : swb__find_model();
        if (!path) {
                swb_seterr(errstr, errstr_size, SWB_ERR_CONFIG,
                           "no routing model: models/router.swbm not found next to the "
                           "binaries or in ./models; set route.model (or route.model=rule)");
                goto fail;
        }
        if (!(r->clf = swb_classifier_load(path, errstr, errstr_size)))
                goto fail;
        SWB_INFO(NULL, "routing with the classifier %s", path);
        swb_free(path);
        return r;
fail:
        swb_free(path);
        swb_router_destroy(r);
        return NULL;
}

void swb_router_destroy(swb_router_t *r)
{
        if (!r)
                return;
        swb_classifier_destroy(r->clf);
        swb_free(r);
}

void swb_router_route(const swb_router_t *r, const char *text, swb_route_t *out)
{
        struct swb_classification c;
        int i, alt = -1;
        if (!r->clf) {
                swb_router_rule(text, out);
                return;
        }
        swb_classifier_classify(r->clf, text, &c);
        out->domain = c.domain;
        out->intent = c.intent;
        out->confidence = c.confidence;
        out->method = "classifier";
        for (i = 0; i < SWB_CLASSIFIER_OUT_OF_SCOPE; i++)
                if (i != c.route && (alt < 0 || c.route_prob[i] > c.route_prob[alt]))
                        alt = i;
        out->alt = alt >= 0 ? swb_classifier_route_name(alt) : NULL;
}
