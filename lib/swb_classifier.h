/*
 * swb_classifier - the supervisor's embedded intent classifier.
 *
 * A linear model over hashed text features (swb_textfeat: word 1-2-grams and
 * character 2-4-grams, sublinear TF x IDF, each group L2-normalised) scores
 * every intent; a temperature-scaled softmax turns the scores into calibrated
 * probabilities, which are summed per route. The model's route rule picks the
 * route: the route of the most probable intent ("max") or the route with the
 * largest summed probability ("sum"). A travel route whose probability is under
 * the model's threshold is rejected to out_of_scope. Both the rule and the
 * threshold are chosen by cross-validation when the model is trained.
 *
 * Models are trained by swb_train (lib/swb_train.h, tools/train) and stored as
 * one binary file ("SWBMODEL" version 1, layout in swb_classifier_io.c): int8
 * weights with one scale per feature row, checksummed, read with one read(2).
 *
 * Threading: a loaded classifier is read-only; any number of threads may call
 * swb_classifier_classify() on it at once. Load and destroy are not concurrent
 * with anything else on the same handle.
 */
#ifndef SWB_CLASSIFIER_H
#define SWB_CLASSIFIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "swb_err.h"
#include "swb_textfeat.h"

typedef struct swb_classifier_s swb_classifier_t;

/** The routes, in the order route ids use. */
enum swb_classifier_route {
        SWB_CLASSIFIER_HOTEL = 0,
        SWB_CLASSIFIER_FLIGHT,
        SWB_CLASSIFIER_TOUR,
        SWB_CLASSIFIER_CUSTOMER_SERVICE,
        SWB_CLASSIFIER_OUT_OF_SCOPE,
        SWB_CLASSIFIER_ROUTE__CNT
};

/** @returns the static name of route id `route` ("hotel", ...), or NULL. */
const char *swb_classifier_route_name(int route);
/** @returns the route id named `name`, or -1. */
int swb_classifier_route_parse(const char *name);

#define SWB_CLASSIFIER_TOP 3

struct swb_classification {
        const char *domain; /* route name: static string */
        int route;          /* route id of `domain` */
        const char *intent; /* owned by the classifier; "oos" when rejected by threshold */
        double confidence;  /* calibrated probability of `domain`, 0..1 (when rejected:
                               of out_of_scope, so it is low: a cue to ask the LLM) */
        bool rejected;      /* out_of_scope because the best travel route was under threshold */
        double route_prob[SWB_CLASSIFIER_ROUTE__CNT]; /* calibrated, sums to 1 */
        size_t n_top;       /* entries used in top[] */
        struct {
                const char *intent; /* owned by the classifier */
                double prob;
        } top[SWB_CLASSIFIER_TOP]; /* most probable intents, best first */
};

/**
 * Load a model file (one read, checksum verified, every section bounds-checked).
 * @returns a new classifier, or NULL with errstr filled (a missing file says
 * so; a truncated, corrupted or foreign file is a "decode" error).
 */
swb_classifier_t *swb_classifier_load(const char *path, char *errstr, size_t errstr_size);

/** Like swb_classifier_load(), also returning the error code in *errp (may be NULL). */
swb_classifier_t *swb_classifier_load2(const char *path, swb_err_t *errp, char *errstr,
                                       size_t errstr_size);

/** Frees `clf`; accepts NULL. */
void swb_classifier_destroy(swb_classifier_t *clf);

/**
 * Classify UTF-8 `text` (NULL is treated as ""). Never fails: text with no
 * known feature is out_of_scope. Thread-safe on a shared classifier; uses no
 * heap memory.
 */
void swb_classifier_classify(const swb_classifier_t *clf, const char *text,
                             struct swb_classification *out);

/**
 * Write `clf` to `path` (written to a temporary file, then renamed).
 * `quantize` stores weights as int8 with one float scale per feature row.
 */
swb_err_t swb_classifier_save(const swb_classifier_t *clf, const char *path, bool quantize,
                              char *errstr, size_t errstr_size);

/** Model description, for tools. */
struct swb_classifier_info {
        uint32_t version;
        uint32_t n_intents;
        uint32_t dim_log2;
        uint32_t word_ngram_max, char_nmin, char_nmax;
        float word_weight, char_weight;
        float temperature;
        float threshold[SWB_CLASSIFIER_ROUTE__CNT];
        bool quantized;
        bool max_rule;    /* route = the route of the top intent (else: largest route sum) */
        size_t file_size; /* 0 when not loaded from a file */
};
void swb_classifier_info(const swb_classifier_t *clf, struct swb_classifier_info *info);

/** @returns the name of intent `i` (0 <= i < n_intents), or NULL. */
const char *swb_classifier_intent_name(const swb_classifier_t *clf, size_t i);
/** @returns the route id of intent `i`, or -1. */
int swb_classifier_intent_route(const swb_classifier_t *clf, size_t i);

/*
 * ---- Internal: shared with swb_train.c only ------------------------------
 *
 * The trainer builds a classifier in memory with float weights, fills them,
 * sets the calibration, and then uses or saves it like a loaded one.
 */

/**
 * A new classifier with zeroed float weights, IDF all 1, temperature 1 and
 * thresholds 0. `routes[i]` is the route id of intent `names[i]`.
 */
swb_classifier_t *swb__classifier_new(const struct swb_textfeat_opts *feat, size_t n_intents,
                                      const char *const *names, const int *routes);
/**
 * Row-major weights: 2^dim_log2 rows (one per feature bucket) of
 * swb__classifier_stride() floats, the first n_intents used. NULL when the
 * classifier was loaded from a file.
 */
float *swb__classifier_weights(swb_classifier_t *clf);
size_t swb__classifier_stride(const swb_classifier_t *clf);
float *swb__classifier_bias(swb_classifier_t *clf);   /* stride entries, n_intents used */
float *swb__classifier_idf(swb_classifier_t *clf);    /* 2^dim_log2; 0 = unseen feature */
void swb__classifier_set_calibration(swb_classifier_t *clf, float temperature,
                                     const float threshold[SWB_CLASSIFIER_ROUTE__CNT]);
/** Route decision: false = largest summed route probability, true = route of the top intent. */
void swb__classifier_set_rule(swb_classifier_t *clf, bool max_rule);
/** @returns the number of intents. */
size_t swb__classifier_n_intents(const swb_classifier_t *clf);

/** Raw scores (before temperature) of a feature vector: n_intents floats into `logits`. */
void swb__classifier_logits(const swb_classifier_t *clf, const uint32_t *idx, const float *val,
                            size_t n, float *logits);

/**
 * The decision rule on raw scores: temperature-softmax, route sums, threshold.
 * Fills `out` as swb_classifier_classify() does. `temperature` and `threshold`
 * override the model's when non-zero / non-NULL (for calibration search).
 */
void swb__classifier_decide(const swb_classifier_t *clf, const float *logits, float temperature,
                            const float *threshold, struct swb_classification *out);

#endif
