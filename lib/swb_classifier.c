#include "swb_classifier.h"
#include "swb_classifier_int.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "swb_mem.h"
#include "swb_textfeat.h"

const char *const swb__classifier_routes[SWB_CLASSIFIER_ROUTE__CNT] = {
    "hotel", "flight", "tour", "customer_service", "out_of_scope"};

const char *swb_classifier_route_name(int route)
{
        if (route < 0 || route >= SWB_CLASSIFIER_ROUTE__CNT)
                return NULL;
        return swb__classifier_routes[route];
}

int swb_classifier_route_parse(const char *name)
{
        int i;
        for (i = 0; name && i < SWB_CLASSIFIER_ROUTE__CNT; i++)
                if (!strcmp(name, swb__classifier_routes[i]))
                        return i;
        return -1;
}

/* ---- construction -------------------------------------------------------- */

uint32_t swb__classifier_stride_for(uint32_t n_intents)
{
        return (n_intents + 15u) & ~15u;
}

/* Allocates everything but the weights. */
swb_classifier_t *swb__classifier_alloc(const struct swb_textfeat_opts *feat,
                                        size_t n_intents)
{
        swb_classifier_t *clf = swb_calloc(1, sizeof(*clf));
        size_t d = (size_t)1 << feat->dim_log2, i;

        clf->feat = *feat;
        clf->n_intents = (uint32_t)n_intents;
        clf->stride = swb__classifier_stride_for(clf->n_intents);
        clf->names = swb_calloc(n_intents, sizeof(*clf->names));
        clf->route = swb_calloc(n_intents, sizeof(*clf->route));
        clf->bias = swb_calloc(clf->stride, sizeof(float));
        clf->idf = swb_malloc(d * sizeof(float));
        for (i = 0; i < d; i++)
                clf->idf[i] = 1.0f;
        clf->temperature = 1.0f;
        return clf;
}

swb_classifier_t *swb__classifier_new(const struct swb_textfeat_opts *feat,
                                      size_t n_intents, const char *const *names,
                                      const int *routes)
{
        swb_classifier_t *clf;
        size_t i;

        if (!swb_textfeat_opts_valid(feat) || !n_intents ||
            n_intents > SWB__CLF_MAX_INTENTS)
                return NULL;
        for (i = 0; i < n_intents; i++)
                if (!names[i] || !*names[i] || strlen(names[i]) > 255 ||
                    routes[i] < 0 || routes[i] >= SWB_CLASSIFIER_ROUTE__CNT)
                        return NULL;
        clf = swb__classifier_alloc(feat, n_intents);
        for (i = 0; i < n_intents; i++) {
                clf->names[i] = swb_strdup(names[i]);
                clf->route[i] = routes[i];
        }
        clf->n_rows = 1u << feat->dim_log2;
        clf->w = swb_calloc((size_t)clf->n_rows * clf->stride, sizeof(float));
        return clf;
}

void swb_classifier_destroy(swb_classifier_t *clf)
{
        size_t i;
        if (!clf)
                return;
        for (i = 0; clf->names && i < clf->n_intents; i++)
                swb_free(clf->names[i]);
        swb_free(clf->names);
        swb_free(clf->route);
        swb_free(clf->bias);
        swb_free(clf->idf);
        swb_free(clf->rowidx);
        swb_free(clf->w);
        swb_free(clf->q);
        swb_free(clf->qscale);
        swb_free(clf);
}

float *swb__classifier_weights(swb_classifier_t *clf)
{
        return clf->w;
}

float *swb__classifier_bias(swb_classifier_t *clf)
{
        return clf->bias;
}

float *swb__classifier_idf(swb_classifier_t *clf)
{
        return clf->idf;
}

size_t swb__classifier_n_intents(const swb_classifier_t *clf)
{
        return clf->n_intents;
}

size_t swb__classifier_stride(const swb_classifier_t *clf)
{
        return clf->stride;
}

void swb__classifier_set_rule(swb_classifier_t *clf, bool max_rule)
{
        clf->rule = max_rule ? SWB__CLF_RULE_MAX : SWB__CLF_RULE_SUM;
}

void swb__classifier_set_calibration(swb_classifier_t *clf, float temperature,
                                     const float threshold[SWB_CLASSIFIER_ROUTE__CNT])
{
        clf->temperature = temperature > 0 ? temperature : 1.0f;
        memcpy(clf->threshold, threshold, sizeof(clf->threshold));
}

const char *swb_classifier_intent_name(const swb_classifier_t *clf, size_t i)
{
        return clf && i < clf->n_intents ? clf->names[i] : NULL;
}

int swb_classifier_intent_route(const swb_classifier_t *clf, size_t i)
{
        return clf && i < clf->n_intents ? clf->route[i] : -1;
}

void swb_classifier_info(const swb_classifier_t *clf, struct swb_classifier_info *info)
{
        memset(info, 0, sizeof(*info));
        info->version = SWB__CLF_VERSION;
        info->n_intents = clf->n_intents;
        info->dim_log2 = clf->feat.dim_log2;
        info->word_ngram_max = clf->feat.word_ngram_max;
        info->char_nmin = clf->feat.char_nmin;
        info->char_nmax = clf->feat.char_nmax;
        info->word_weight = clf->feat.word_weight;
        info->char_weight = clf->feat.char_weight;
        info->temperature = clf->temperature;
        memcpy(info->threshold, clf->threshold, sizeof(info->threshold));
        info->quantized = clf->q != NULL;
        info->max_rule = clf->rule == SWB__CLF_RULE_MAX;
        info->file_size = clf->file_size;
}

/* ---- scoring ------------------------------------------------------------- */

/*
 * The hot loop. GCC's -O2 cost model ("very cheap") leaves the int8 -> float
 * row loop scalar; the dynamic model vectorises it (4x faster here). Clang
 * vectorises it at -O2 as it is.
 */
#if defined(__GNUC__) && !defined(__clang__)
#define SWB__VECTORIZE __attribute__((optimize("vect-cost-model=dynamic")))
#else
#define SWB__VECTORIZE
#endif
/*
 * And an AVX2 copy, picked at load time where the CPU has it (the build
 * targets baseline x86-64: 4 floats per instruction, AVX2 does 8). "avx2"
 * without "fma": a multiply and an add each lane, rounded as in the
 * baseline copy, so both give the same logits to the bit.
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__SANITIZE_ADDRESS__)
#define SWB__CLONES __attribute__((target_clones("avx2", "default")))
#else
#define SWB__CLONES
#endif

SWB__VECTORIZE SWB__CLONES
void swb__classifier_logits(const swb_classifier_t *clf, const uint32_t *idx,
                            const float *val, size_t n, float *logits)
{
        size_t j, k, stride = clf->stride;

        memcpy(logits, clf->bias, stride * sizeof(float));
        for (j = 0; j < n; j++) {
                size_t r = clf->rowidx ? (size_t)clf->rowidx[idx[j]] : idx[j];
                if (clf->q) {
                        const int8_t *restrict row = clf->q + r * stride;
                        float v = val[j] * clf->qscale[r];
                        for (k = 0; k < stride; k++)
                                logits[k] += v * (float)row[k];
                } else {
                        const float *restrict row = clf->w + r * stride;
                        float v = val[j];
                        for (k = 0; k < stride; k++)
                                logits[k] += v * row[k];
                }
        }
}

void swb__classifier_decide(const swb_classifier_t *clf, const float *logits,
                            float temperature, const float *threshold,
                            struct swb_classification *out)
{
        const float *thr = threshold ? threshold : clf->threshold;
        float inv_t = 1.0f / (temperature > 0 ? temperature : clf->temperature);
        float mx = logits[0], e[SWB__CLF_MAX_INTENTS];
        double sum = 0, p, rp[SWB_CLASSIFIER_ROUTE__CNT] = {0}, best_p = -1;
        int r, best = SWB_CLASSIFIER_OUT_OF_SCOPE;
        size_t k, i, best_i = 0;

        memset(out, 0, sizeof(*out));
        for (k = 1; k < clf->n_intents; k++)
                if (logits[k] > mx)
                        mx = logits[k];
        for (k = 0; k < clf->n_intents; k++)
                sum += (e[k] = expf((logits[k] - mx) * inv_t));
        for (k = 0; k < clf->n_intents; k++) {
                p = e[k] / sum;
                rp[clf->route[k]] += p;
                if (out->n_top == SWB_CLASSIFIER_TOP &&
                    p <= out->top[SWB_CLASSIFIER_TOP - 1].prob)
                        continue;
                for (i = out->n_top; i > 0 && out->top[i - 1].prob < p; i--)
                        if (i < SWB_CLASSIFIER_TOP)
                                out->top[i] = out->top[i - 1];
                if (i < SWB_CLASSIFIER_TOP) {
                        out->top[i].intent = clf->names[k];
                        out->top[i].prob = p;
                        if (out->n_top < SWB_CLASSIFIER_TOP)
                                out->n_top++;
                }
        }
        for (r = 0; r < SWB_CLASSIFIER_ROUTE__CNT; r++) {
                out->route_prob[r] = rp[r];
                if (rp[r] > best_p)
                        best_p = rp[r], best = r;
        }
        if (clf->rule ==
            SWB__CLF_RULE_MAX) { /* the route of the most probable intent */
                for (k = 1, best_i = 0; k < clf->n_intents; k++)
                        if (logits[k] > logits[best_i])
                                best_i = k;
                best = clf->route[best_i];
                best_p = rp[best];
        }
        if (best != SWB_CLASSIFIER_OUT_OF_SCOPE && best_p < thr[best]) {
                out->rejected = true;
                out->route = SWB_CLASSIFIER_OUT_OF_SCOPE;
                out->domain = swb__classifier_routes[SWB_CLASSIFIER_OUT_OF_SCOPE];
                out->intent = "oos";
                out->confidence = rp[SWB_CLASSIFIER_OUT_OF_SCOPE];
                return;
        }
        best_p = -HUGE_VAL;
        for (k = 0; k < clf->n_intents; k++)
                if (clf->route[k] == best && logits[k] > best_p)
                        best_p = logits[k], best_i = k;
        out->route = best;
        out->domain = swb__classifier_routes[best];
        out->intent = clf->names[best_i];
        out->confidence = rp[best];
}

void swb_classifier_classify(const swb_classifier_t *clf, const char *text,
                             struct swb_classification *out)
{
        uint32_t idx[SWB_TEXTFEAT_MAX];
        float val[SWB_TEXTFEAT_MAX];
        float logits[SWB__CLF_MAX_INTENTS];
        size_t n = swb_textfeat_vectorize(&clf->feat, clf->idf, text, idx, val);

        swb__classifier_logits(clf, idx, val, n, logits);
        swb__classifier_decide(clf, logits, 0, NULL, out);
}
