#include "swb_metrics.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swb_log.h"
#include "swb_buf.h"
#include "swb_mem.h"

#define SWB__MAX_BOUNDS    64
#define SWB__INITIAL_SLOTS 16

/* One series: a set of label values and its value(s). */
typedef struct swb__series {
        struct swb__series *next; /* hash chain */
        uint64_t hash;
        char **values; /* n_labels copies */
        double value;  /* counter, gauge */
        double sum;    /* histogram */
        uint64_t count;
        uint64_t buckets[]; /* histogram: n_bounds + 1 non-cumulative counts */
} swb__series_t;

struct swb_metric_s {
        char *name;
        char *help;
        swb_metric_type_t type;
        char *label_names[SWB_METRICS_MAX_LABELS];
        size_t n_labels;
        double *bounds;
        size_t n_bounds;
        atomic_bool warned; /* a label-count mismatch was logged */

        pthread_mutex_t lock; /* guards everything below */
        swb__series_t **slots;
        size_t n_slots;         /* power of two */
        swb__series_t **series; /* in first-seen order */
        size_t n_series, cap_series;
};

struct swb_metrics_s {
        pthread_mutex_t lock; /* guards the family list; taken before a family's lock */
        swb_metric_t **families; /* in registration order */
        size_t n_families, cap_families;
};

/* ---- families ---------------------------------------------------------- */

static bool swb__valid_name(const char *s, bool colon_ok)
{
        const char *p;
        if (!s || !*s)
                return false;
        for (p = s; *p; p++) {
                char c = *p;
                bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          c == '_' || (colon_ok && c == ':') ||
                          (p != s && c >= '0' && c <= '9');
                if (!ok)
                        return false;
        }
        return true;
}

static void swb__family_destroy(swb_metric_t *f)
{
        size_t i, j;
        if (!f)
                return;
        for (i = 0; i < f->n_series; i++) {
                for (j = 0; j < f->n_labels; j++)
                        swb_free(f->series[i]->values[j]);
                swb_free(f->series[i]->values);
                swb_free(f->series[i]);
        }
        swb_free(f->series);
        swb_free(f->slots);
        for (i = 0; i < f->n_labels; i++)
                swb_free(f->label_names[i]);
        swb_free(f->bounds);
        swb_free(f->name);
        swb_free(f->help);
        pthread_mutex_destroy(&f->lock);
        swb_free(f);
}

/* Same shape as an existing family? */
static bool swb__family_matches(const swb_metric_t *f, swb_metric_type_t type,
                                const char *const *label_names, size_t n_labels,
                                const double *bounds, size_t n_bounds)
{
        size_t i;
        if (f->type != type || f->n_labels != n_labels)
                return false;
        for (i = 0; i < n_labels; i++)
                if (strcmp(f->label_names[i], label_names[i]))
                        return false;
        if (type != SWB_METRIC_HISTOGRAM)
                return true;
        if (f->n_bounds != n_bounds)
                return false;
        for (i = 0; i < n_bounds; i++)
                if (f->bounds[i] != bounds[i])
                        return false;
        return true;
}

static swb__series_t *swb__series_get(swb_metric_t *f, const char *const *values);

static swb_metric_t *swb__register(swb_metrics_t *m, swb_metric_type_t type,
                                   const char *name, const char *help,
                                   const char *const *label_names, const double *bounds,
                                   size_t n_bounds)
{
        swb_metric_t *f = NULL;
        size_t n_labels = 0, i, j;

        if (!m || !swb__valid_name(name, true)) {
                SWB_ERR(NULL, "metrics: invalid metric name \"%s\"",
                        name ? name : "(null)");
                return NULL;
        }
        for (; label_names && label_names[n_labels]; n_labels++) {
                const char *l = label_names[n_labels];
                if (n_labels == SWB_METRICS_MAX_LABELS || !swb__valid_name(l, false) ||
                    !strncmp(l, "__", 2) ||
                    (type == SWB_METRIC_HISTOGRAM && !strcmp(l, "le"))) {
                        SWB_ERR(NULL, "metrics: %s: invalid or too many label names",
                                name);
                        return NULL;
                }
                for (j = 0; j < n_labels; j++)
                        if (!strcmp(label_names[j], l)) {
                                SWB_ERR(NULL, "metrics: %s: duplicate label \"%s\"",
                                        name, l);
                                return NULL;
                        }
        }
        if (type == SWB_METRIC_HISTOGRAM) {
                if (!bounds || n_bounds == 0 || n_bounds > SWB__MAX_BOUNDS) {
                        SWB_ERR(NULL, "metrics: %s: need 1..%d bucket bounds", name,
                                SWB__MAX_BOUNDS);
                        return NULL;
                }
                for (i = 0; i < n_bounds; i++)
                        if (!isfinite(bounds[i]) ||
                            (i > 0 && bounds[i] <= bounds[i - 1])) {
                                SWB_ERR(NULL,
                                        "metrics: %s: bucket bounds must be finite and "
                                        "strictly increasing",
                                        name);
                                return NULL;
                        }
        } else {
                n_bounds = 0;
        }

        pthread_mutex_lock(&m->lock);
        for (i = 0; i < m->n_families; i++) {
                swb_metric_t *old = m->families[i];
                if (strcmp(old->name, name))
                        continue;
                pthread_mutex_unlock(&m->lock);
                if (swb__family_matches(old, type, label_names, n_labels, bounds,
                                        n_bounds))
                        return old;
                SWB_ERR(
                    NULL,
                    "metrics: %s is already registered with another type, labels or "
                    "buckets",
                    name);
                return NULL;
        }

        f = swb_calloc(1, sizeof(*f));
        pthread_mutex_init(&f->lock, NULL);
        f->name = swb_strdup(name);
        f->help = swb_strdup(help ? help : "");
        f->type = type;
        f->n_labels = n_labels;
        for (i = 0; i < n_labels; i++)
                f->label_names[i] = swb_strdup(label_names[i]);
        if (n_bounds) {
                f->bounds = swb_malloc(n_bounds * sizeof(*f->bounds));
                memcpy(f->bounds, bounds, n_bounds * sizeof(*f->bounds));
                f->n_bounds = n_bounds;
        }
        f->n_slots = SWB__INITIAL_SLOTS;
        f->slots = swb_calloc(f->n_slots, sizeof(*f->slots));
        /* A family without labels has exactly one series: show it (as 0) at once. */
        if (n_labels == 0) {
                pthread_mutex_lock(&f->lock);
                swb__series_get(f, NULL);
                pthread_mutex_unlock(&f->lock);
        }

        if (m->n_families == m->cap_families) {
                m->cap_families = m->cap_families ? m->cap_families * 2 : 16;
                m->families =
                    swb_realloc(m->families, m->cap_families * sizeof(*m->families));
        }
        m->families[m->n_families++] = f;
        pthread_mutex_unlock(&m->lock);
        return f;
}

swb_metrics_t *swb_metrics_new(void)
{
        swb_metrics_t *m = swb_calloc(1, sizeof(*m));
        pthread_mutex_init(&m->lock, NULL);
        return m;
}

void swb_metrics_destroy(swb_metrics_t *m)
{
        size_t i;
        if (!m)
                return;
        for (i = 0; i < m->n_families; i++)
                swb__family_destroy(m->families[i]);
        swb_free(m->families);
        pthread_mutex_destroy(&m->lock);
        swb_free(m);
}

static swb_metrics_t *swb__default_registry;
static pthread_once_t swb__default_once = PTHREAD_ONCE_INIT;

static void swb__default_init(void)
{
        swb__default_registry = swb_metrics_new();
}

swb_metrics_t *swb_metrics_default(void)
{
        pthread_once(&swb__default_once, swb__default_init);
        return swb__default_registry;
}

swb_metric_t *swb_metrics_counter(swb_metrics_t *m, const char *name, const char *help,
                                  const char *const *label_names)
{
        return swb__register(m, SWB_METRIC_COUNTER, name, help, label_names, NULL, 0);
}

swb_metric_t *swb_metrics_gauge(swb_metrics_t *m, const char *name, const char *help,
                                const char *const *label_names)
{
        return swb__register(m, SWB_METRIC_GAUGE, name, help, label_names, NULL, 0);
}

swb_metric_t *swb_metrics_histogram(swb_metrics_t *m, const char *name,
                                    const char *help, const char *const *label_names,
                                    const double *bounds, size_t n_bounds)
{
        return swb__register(m, SWB_METRIC_HISTOGRAM, name, help, label_names, bounds,
                             n_bounds);
}

swb_metric_t *swb_metrics_register_build_info(swb_metrics_t *m, const char *version)
{
        static const char *const labels[] = {"version", NULL};
        swb_metric_t *g = swb_metrics_gauge(
            m, "swb_build_info", "Build information of this binary; always 1.", labels);
        swb_metric_set1(g, version ? version : "", 1);
        return g;
}

/* ---- series lookup (family lock held) ----------------------------------- */

static uint64_t swb__hash_values(const char *const *values, size_t n)
{
        uint64_t h = 1469598103934665603ULL; /* FNV-1a */
        size_t i;
        for (i = 0; i < n; i++) {
                const unsigned char *p =
                    (const unsigned char *)(values && values[i] ? values[i] : "");
                for (; *p; p++) {
                        h ^= *p;
                        h *= 1099511628211ULL;
                }
                h ^= 0xff; /* separator: ("ab","") != ("a","b") */
                h *= 1099511628211ULL;
        }
        return h;
}

static bool swb__values_equal(const swb__series_t *s, const char *const *values,
                              size_t n)
{
        size_t i;
        for (i = 0; i < n; i++)
                if (strcmp(s->values[i], values && values[i] ? values[i] : ""))
                        return false;
        return true;
}

static void swb__rehash(swb_metric_t *f)
{
        size_t n_slots = f->n_slots * 2, i;
        swb__series_t **slots = swb_calloc(n_slots, sizeof(*slots));
        for (i = 0; i < f->n_series; i++) {
                swb__series_t *s = f->series[i];
                size_t k = s->hash & (n_slots - 1);
                s->next = slots[k];
                slots[k] = s;
        }
        swb_free(f->slots);
        f->slots = slots;
        f->n_slots = n_slots;
}

/* @returns the series for `values`, created on first sight. Family lock held. */
static swb__series_t *swb__series_get(swb_metric_t *f, const char *const *values)
{
        uint64_t h = swb__hash_values(values, f->n_labels);
        swb__series_t *s;
        size_t i, n_buckets = f->type == SWB_METRIC_HISTOGRAM ? f->n_bounds + 1 : 0;

        for (s = f->slots[h & (f->n_slots - 1)]; s; s = s->next)
                if (s->hash == h && swb__values_equal(s, values, f->n_labels))
                        return s;

        s = swb_calloc(1, sizeof(*s) + n_buckets * sizeof(s->buckets[0]));
        s->hash = h;
        s->values = swb_calloc(f->n_labels ? f->n_labels : 1, sizeof(*s->values));
        for (i = 0; i < f->n_labels; i++)
                s->values[i] = swb_strdup(values && values[i] ? values[i] : "");
        if (f->n_series == f->cap_series) {
                f->cap_series = f->cap_series ? f->cap_series * 2 : 8;
                f->series = swb_realloc(f->series, f->cap_series * sizeof(*f->series));
        }
        f->series[f->n_series++] = s;
        if (f->n_series > f->n_slots)
                swb__rehash(f);
        else {
                size_t k = h & (f->n_slots - 1);
                s->next = f->slots[k];
                f->slots[k] = s;
        }
        return s;
}

/* ---- updates ------------------------------------------------------------ */

typedef enum { SWB__OP_INC, SWB__OP_SET, SWB__OP_OBSERVE } swb__op_t;

/* n_values: entries in `values`, or SIZE_MAX when the caller vouches for the count. */
static void swb__update(swb_metric_t *f, const char *const *values, size_t n_values,
                        swb__op_t op, double v)
{
        swb__series_t *s;

        if (!f)
                return;
        if (n_values != SIZE_MAX && n_values != f->n_labels) {
                if (!atomic_exchange(&f->warned, true))
                        SWB_WARN(
                            NULL,
                            "metrics: %s takes %zu label values, got %zu (ignored)",
                            f->name, f->n_labels, n_values);
                return;
        }
        switch (op) {
        case SWB__OP_INC:
                if (f->type == SWB_METRIC_HISTOGRAM ||
                    (f->type == SWB_METRIC_COUNTER && !(v >= 0)))
                        return;
                break;
        case SWB__OP_SET:
                if (f->type != SWB_METRIC_GAUGE)
                        return;
                break;
        case SWB__OP_OBSERVE:
                if (f->type != SWB_METRIC_HISTOGRAM || isnan(v))
                        return;
                break;
        }

        pthread_mutex_lock(&f->lock);
        s = swb__series_get(f, values);
        switch (op) {
        case SWB__OP_INC:
                s->value += v;
                break;
        case SWB__OP_SET:
                s->value = v;
                break;
        case SWB__OP_OBSERVE: {
                /* First bucket whose bound is >= v; n_bounds is +Inf. */
                size_t lo = 0, hi = f->n_bounds;
                while (lo < hi) {
                        size_t mid = (lo + hi) / 2;
                        if (v <= f->bounds[mid])
                                hi = mid;
                        else
                                lo = mid + 1;
                }
                s->buckets[lo]++;
                s->count++;
                s->sum += v;
                break;
        }
        }
        pthread_mutex_unlock(&f->lock);
}

void swb_metric_inc(swb_metric_t *metric, const char *const *label_values, double v)
{
        swb__update(metric, label_values, SIZE_MAX, SWB__OP_INC, v);
}

void swb_metric_set(swb_metric_t *metric, const char *const *label_values, double v)
{
        swb__update(metric, label_values, SIZE_MAX, SWB__OP_SET, v);
}

void swb_metric_observe(swb_metric_t *metric, const char *const *label_values, double v)
{
        swb__update(metric, label_values, SIZE_MAX, SWB__OP_OBSERVE, v);
}

void swb_metric_inc0(swb_metric_t *metric, double v)
{
        swb__update(metric, NULL, 0, SWB__OP_INC, v);
}

void swb_metric_inc1(swb_metric_t *metric, const char *l1, double v)
{
        const char *values[] = {l1};
        swb__update(metric, values, 1, SWB__OP_INC, v);
}

void swb_metric_inc2(swb_metric_t *metric, const char *l1, const char *l2, double v)
{
        const char *values[] = {l1, l2};
        swb__update(metric, values, 2, SWB__OP_INC, v);
}

void swb_metric_set0(swb_metric_t *metric, double v)
{
        swb__update(metric, NULL, 0, SWB__OP_SET, v);
}

void swb_metric_set1(swb_metric_t *metric, const char *l1, double v)
{
        const char *values[] = {l1};
        swb__update(metric, values, 1, SWB__OP_SET, v);
}

void swb_metric_set2(swb_metric_t *metric, const char *l1, const char *l2, double v)
{
        const char *values[] = {l1, l2};
        swb__update(metric, values, 2, SWB__OP_SET, v);
}

void swb_metric_observe0(swb_metric_t *metric, double v)
{
        swb__update(metric, NULL, 0, SWB__OP_OBSERVE, v);
}

void swb_metric_observe1(swb_metric_t *metric, const char *l1, double v)
{
        const char *values[] = {l1};
        swb__update(metric, values, 1, SWB__OP_OBSERVE, v);
}

void swb_metric_observe2(swb_metric_t *metric, const char *l1, const char *l2, double v)
{
        const char *values[] = {l1, l2};
        swb__update(metric, values, 2, SWB__OP_OBSERVE, v);
}

double swb_metric_value(swb_metric_t *metric, const char *const *label_values)
{
        uint64_t h;
        swb__series_t *s;
        double v = 0;

        if (!metric || metric->type == SWB_METRIC_HISTOGRAM)
                return 0;
        h = swb__hash_values(label_values, metric->n_labels);
        pthread_mutex_lock(&metric->lock);
        for (s = metric->slots[h & (metric->n_slots - 1)]; s; s = s->next)
                if (s->hash == h &&
                    swb__values_equal(s, label_values, metric->n_labels)) {
                        v = s->value;
                        break;
                }
        pthread_mutex_unlock(&metric->lock);
        return v;
}

/* ---- rendering ---------------------------------------------------------- */

/* Append `s`, escaping backslash and newline, and double quotes when `quotes`. */
static void swb__buf_escaped(swb_buf_t *b, const char *s, bool quotes)
{
        for (; *s; s++) {
                if (*s == '\\')
                        swb_buf_put(b, "\\\\", 2);
                else if (*s == '\n')
                        swb_buf_put(b, "\\n", 2);
                else if (quotes && *s == '"')
                        swb_buf_put(b, "\\\"", 2);
                else
                        swb_buf_put(b, s, 1);
        }
}

/* The shortest of %.15g / %.17g that reads back as `v`; +Inf, -Inf, NaN. */
static void swb__fmt_double(char *out, size_t size, double v)
{
        if (isnan(v))
                snprintf(out, size, "NaN");
        else if (isinf(v))
                snprintf(out, size, v > 0 ? "+Inf" : "-Inf");
        else {
                snprintf(out, size, "%.15g", v);
                if (strtod(out, NULL) != v)
                        snprintf(out, size, "%.17g", v);
        }
}

/* name{l1="v1",...[,le="..."]} value\n */
static void swb__render_sample(swb_buf_t *b, const swb_metric_t *f,
                               const swb__series_t *s, const char *suffix,
                               const char *le, const char *value)
{
        size_t i;
        bool any = false;

        swb_buf_puts(b, f->name);
        swb_buf_puts(b, suffix);
        for (i = 0; i < f->n_labels; i++) {
                swb_buf_puts(b, any ? "," : "{");
                any = true;
                swb_buf_puts(b, f->label_names[i]);
                swb_buf_puts(b, "=\"");
                swb__buf_escaped(b, s->values[i], true);
                swb_buf_puts(b, "\"");
        }
        if (le) {
                swb_buf_puts(b, any ? "," : "{");
                any = true;
                swb_buf_puts(b, "le=\"");
                swb_buf_puts(b, le);
                swb_buf_puts(b, "\"");
        }
        if (any)
                swb_buf_puts(b, "}");
        swb_buf_puts(b, " ");
        swb_buf_puts(b, value);
        swb_buf_puts(b, "\n");
}

static void swb__render_family(swb_buf_t *b, swb_metric_t *f)
{
        static const char *const type_names[] = {"counter", "gauge", "histogram"};
        char num[40], le[40];
        size_t i, k;

        swb_buf_puts(b, "# HELP ");
        swb_buf_puts(b, f->name);
        swb_buf_puts(b, " ");
        swb__buf_escaped(b, f->help, false);
        swb_buf_puts(b, "\n# TYPE ");
        swb_buf_puts(b, f->name);
        swb_buf_puts(b, " ");
        swb_buf_puts(b, type_names[f->type]);
        swb_buf_puts(b, "\n");

        pthread_mutex_lock(&f->lock);
        for (i = 0; i < f->n_series; i++) {
                const swb__series_t *s = f->series[i];
                uint64_t cumulative = 0;

                if (f->type != SWB_METRIC_HISTOGRAM) {
                        swb__fmt_double(num, sizeof(num), s->value);
                        swb__render_sample(b, f, s, "", NULL, num);
                        continue;
                }
                for (k = 0; k <= f->n_bounds; k++) {
                        cumulative += s->buckets[k];
                        if (k < f->n_bounds)
                                swb__fmt_double(le, sizeof(le), f->bounds[k]);
                        else
                                snprintf(le, sizeof(le), "+Inf");
                        snprintf(num, sizeof(num), "%" PRIu64, cumulative);
                        swb__render_sample(b, f, s, "_bucket", le, num);
                }
                swb__fmt_double(num, sizeof(num), s->sum);
                swb__render_sample(b, f, s, "_sum", NULL, num);
                snprintf(num, sizeof(num), "%" PRIu64, s->count);
                swb__render_sample(b, f, s, "_count", NULL, num);
        }
        pthread_mutex_unlock(&f->lock);
}

char *swb_metrics_render(swb_metrics_t *m)
{
        swb_buf_t b = {0};
        size_t i;

        swb_buf_reserve(&b, 0);
        b.p[0] = '\0';
        if (!m)
                return b.p;
        pthread_mutex_lock(&m->lock);
        for (i = 0; i < m->n_families; i++)
                swb__render_family(&b, m->families[i]);
        pthread_mutex_unlock(&m->lock);
        return b.p;
}
