/*
 * swb_classifier_int - internal to swb_classifier.c (construction, scoring)
 * and swb_classifier_io.c (the model file): the classifier's fields and the
 * helpers both build it with. Not for use elsewhere.
 */
#ifndef SWB_CLASSIFIER_INT_H
#define SWB_CLASSIFIER_INT_H

#include <stddef.h>
#include <stdint.h>

#include "swb_classifier.h"
#include "swb_textfeat.h"

#define SWB__CLF_VERSION     1
#define SWB__CLF_MAX_INTENTS 1024
#define SWB__CLF_RULE_SUM    0 /* the route with the largest summed probability */
#define SWB__CLF_RULE_MAX    1 /* the route of the most probable intent */

/* Route names by route id. */
extern const char *const swb__classifier_routes[SWB_CLASSIFIER_ROUTE__CNT];

struct swb_classifier_s {
        struct swb_textfeat_opts feat;
        uint32_t n_intents;
        uint32_t stride; /* row length in weights: n_intents rounded up to 16 */
        uint32_t n_rows;
        char **names;
        int *route;
        float temperature;
        float threshold[SWB_CLASSIFIER_ROUTE__CNT];
        uint32_t rule;   /* SWB__CLF_RULE_* */
        float *bias;     /* stride entries */
        float *idf;      /* 2^dim_log2 */
        int32_t *rowidx; /* bucket -> stored row; NULL: row = bucket */
        float *w;        /* n_rows x stride, or NULL */
        int8_t *q;       /* n_rows x stride, or NULL */
        float *qscale;   /* n_rows */
        size_t file_size;
};

/* @returns the row stride for `n_intents`: rounded up to a multiple of 16. */
uint32_t swb__classifier_stride_for(uint32_t n_intents);
/* Allocates everything but the weights. @returns a new classifier
 * (swb_classifier_destroy()); never NULL. */
swb_classifier_t *swb__classifier_alloc(const struct swb_textfeat_opts *feat,
                                        size_t n_intents);

#endif
