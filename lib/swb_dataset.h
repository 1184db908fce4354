/*
 * swb_dataset - labelled utterances (text, intent), the intent -> route map,
 * and the acceptance figures of a set of predictions. Used by the trainer
 * (swb_train) and by swb-classify --eval.
 *
 * Groups of the figures: an example is "travel" when its intent routes to an
 * agent, "oos" when its intent's name starts with "oos" (CLINC's `oos`, our
 * `oos_id`), and "other" otherwise (the other domains, out_of_scope).
 * Not thread-safe: one owner at a time.
 */
#ifndef SWB_DATASET_H
#define SWB_DATASET_H

#include <stddef.h>

#include "swb_classifier.h"
#include "swb_err.h"

typedef struct swb_dataset_s swb_dataset_t;

swb_dataset_t *swb_dataset_new(void);
/** Frees `td`; accepts NULL. */
void swb_dataset_destroy(swb_dataset_t *td);

/** Map `intent` to route id `route` (replaces an earlier mapping). */
void swb_dataset_set_route(swb_dataset_t *td, const char *intent, int route);
/** @returns the route id of `intent`, or -1 when unmapped. */
int swb_dataset_route(const swb_dataset_t *td, const char *intent);
/** Load `intent<TAB>route` lines ('#' starts a comment line). */
swb_err_t swb_dataset_load_routes(swb_dataset_t *td, const char *path, char *errstr,
                                     size_t errstr_size);

/** Add one example (both strings are copied). */
void swb_dataset_add(swb_dataset_t *td, const char *text, const char *intent);
/** Load `text<TAB>intent` lines ('#' starts a comment line, empty lines skipped). */
swb_err_t swb_dataset_load_tsv(swb_dataset_t *td, const char *path, char *errstr,
                                  size_t errstr_size);
size_t swb_dataset_count(const swb_dataset_t *td);
/** The i-th example; the strings live as long as `td`. */
void swb_dataset_example(const swb_dataset_t *td, size_t i, const char **text,
                            const char **intent);

/** Acceptance-style figures on one set of predictions. */
struct swb_dataset_figures {
        size_t n_travel, ok_travel; /* travel examples routed to their agent */
        size_t n_other, ok_other;   /* other-domain examples routed out_of_scope */
        size_t n_oos, ok_oos;       /* oos examples routed out_of_scope */
        size_t n_intent, ok_intent; /* top intent == gold intent (intent models) */
        size_t confusion[SWB_CLASSIFIER_ROUTE__CNT][SWB_CLASSIFIER_ROUTE__CNT]; /* [gold][pred] */
        double nll, ece;            /* route-level NLL sum and expected calibration error */
        size_t ece_bins_n[10];
        double ece_bins_conf[10], ece_bins_acc[10];
};

/** @returns true when `intent` is in the "oos" group (its name starts with "oos"). */
bool swb_dataset_is_oos_intent(const char *intent);

/** Account one prediction: gold route and group (from the intent name), prediction. */
void swb_dataset_figures_add(struct swb_dataset_figures *f, int gold_route, const char *gold_intent,
                           const struct swb_classification *pred);
/** Finish the ECE once every prediction is added. */
void swb_dataset_figures_finish(struct swb_dataset_figures *f);

#endif
