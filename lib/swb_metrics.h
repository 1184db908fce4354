/*
 * swb_metrics - a thread-safe registry of Prometheus metrics.
 *
 * A registry holds metric families (counter, gauge, histogram), each with a
 * fixed list of up to SWB_METRICS_MAX_LABELS label names. A family holds one
 * series per distinct set of label values, created the first time that set is
 * used; after that, updating the series takes one mutex and one hash lookup
 * and allocates nothing, so the update calls are fit for the per-message path.
 *
 * Registering a name again returns the family already registered (modules may
 * register lazily, from any thread), provided type, label names and bucket
 * bounds are the same; a mismatch is a bug and returns NULL (logged). Every
 * update call accepts a NULL family and then does nothing, so a failed
 * registration never crashes the message path.
 *
 * swb_metrics_render() writes the Prometheus text exposition format 0.0.4:
 * families in registration order, series in the order they were first seen.
 *
 * Threading: every function is thread-safe. Families live as long as their
 * registry; swb_metric_t pointers must not be used after swb_metrics_destroy().
 */
#ifndef SWB_METRICS_H
#define SWB_METRICS_H

#include <stddef.h>

typedef struct swb_metrics_s swb_metrics_t;
/** One metric family (a name with its help, type and label names). */
typedef struct swb_metric_s swb_metric_t;

#define SWB_METRICS_MAX_LABELS 4

typedef enum swb_metric_type {
        SWB_METRIC_COUNTER = 0,
        SWB_METRIC_GAUGE,
        SWB_METRIC_HISTOGRAM
} swb_metric_type_t;

/** @returns a new, empty registry. */
swb_metrics_t *swb_metrics_new(void);
/** Frees the registry and all its families. Accepts NULL. */
void swb_metrics_destroy(swb_metrics_t *m);

/**
 * The process-wide registry, created on first use and never freed (it is
 * still reachable at exit). For mains and the modules they wire together;
 * library code should take a swb_metrics_t * from its caller instead.
 */
swb_metrics_t *swb_metrics_default(void);

/**
 * Register (or look up) a counter.
 * @param name        metric name, [a-zA-Z_:][a-zA-Z0-9_:]*; counters
 *                    conventionally end in `_total`
 * @param help        one-line description (copied)
 * @param label_names NULL-terminated array of up to SWB_METRICS_MAX_LABELS
 *                    label names ([a-zA-Z_][a-zA-Z0-9_]*, not `__`-prefixed),
 *                    or NULL for none (copied)
 * @returns the family, owned by the registry; NULL on invalid arguments or
 *          when `name` is already registered with another type or labels.
 */
swb_metric_t *swb_metrics_counter(swb_metrics_t *m, const char *name, const char *help,
                                  const char *const *label_names);
/** Register (or look up) a gauge; as swb_metrics_counter(). */
swb_metric_t *swb_metrics_gauge(swb_metrics_t *m, const char *name, const char *help,
                                const char *const *label_names);
/**
 * Register (or look up) a histogram; as swb_metrics_counter(), plus
 * @param bounds   the upper bounds of the buckets, strictly increasing and
 *                 finite (copied); the +Inf bucket is implicit. The label
 *                 name `le` is reserved.
 * @param n_bounds number of bounds, 1..64
 * Re-registration must pass the same bounds.
 */
swb_metric_t *swb_metrics_histogram(swb_metrics_t *m, const char *name,
                                    const char *help, const char *const *label_names,
                                    const double *bounds, size_t n_bounds);

/**
 * Register the `swb_build_info{version="<version>"} 1` gauge.
 * @returns the family, or NULL (see swb_metrics_gauge()).
 */
swb_metric_t *swb_metrics_register_build_info(swb_metrics_t *m, const char *version);

/**
 * Render every family in the text exposition format 0.0.4
 * (Content-Type: text/plain; version=0.0.4).
 * @returns a new string (swb_free()); "" for an empty or NULL registry.
 */
char *swb_metrics_render(swb_metrics_t *m);

/*
 * Updates. `label_values` has exactly as many entries as the family has label
 * names, in the same order (a NULL entry means ""); pass NULL for a family
 * without labels. The values are copied the first time a set is seen.
 * Calls of the wrong kind for the family's type (set on a counter, observe on
 * a gauge, a negative or NaN increment of a counter, a NaN observation) are
 * ignored; so is a NULL family, and a shorthand below whose label count does
 * not match the family's (logged once per family).
 */

/** Counter: add `v` (>= 0). Gauge: add `v` (may be negative). */
void swb_metric_inc(swb_metric_t *metric, const char *const *label_values, double v);
/** Gauge: set to `v`. */
void swb_metric_set(swb_metric_t *metric, const char *const *label_values, double v);
/** Histogram: record one observation of `v`. */
void swb_metric_observe(swb_metric_t *metric, const char *const *label_values,
                        double v);

/** Shorthands for families with no, one or two labels. */
void swb_metric_inc0(swb_metric_t *metric, double v);
void swb_metric_inc1(swb_metric_t *metric, const char *l1, double v);
void swb_metric_inc2(swb_metric_t *metric, const char *l1, const char *l2, double v);
void swb_metric_set0(swb_metric_t *metric, double v);
void swb_metric_set1(swb_metric_t *metric, const char *l1, double v);
void swb_metric_set2(swb_metric_t *metric, const char *l1, const char *l2, double v);
void swb_metric_observe0(swb_metric_t *metric, double v);
void swb_metric_observe1(swb_metric_t *metric, const char *l1, double v);
void swb_metric_observe2(swb_metric_t *metric, const char *l1, const char *l2,
                         double v);

/**
 * The current value of a counter or gauge series (tests, readiness logic).
 * @returns 0 when the family is NULL, is a histogram, or the series has not
 *          been seen.
 */
double swb_metric_value(swb_metric_t *metric, const char *const *label_values);

#endif
