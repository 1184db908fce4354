#include "swb_train.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "swb_mem.h"

void swb_train_opts_default(struct swb_train_opts *o)
{
        memset(o, 0, sizeof(*o));
        o->seed = 1;
        o->epochs = 12;
        o->folds = 5;
        o->level = SWB_TRAIN_INTENT;
        o->loss = SWB_TRAIN_LOGISTIC;
        o->feat.dim_log2 = 18;
        o->feat.word_ngram_max = 2;
        o->feat.char_nmin = 2;
        o->feat.char_nmax = 4;
        o->feat.word_weight = 1.0f;
        o->feat.char_weight = 0.5f;
        o->lr = 0.3f;
        o->l2 = 0.0f;
        o->class_weight_power = 0.5f;
        o->oos_weight = 1.0f;
        o->travel_weight = 1.0f;
        o->min_df = 1;
        o->threshold = -1.0f;
        o->route_loss = 10.0f;
        o->rule = -1;
        o->mix[0] = 0.8f; /* a travel assistant's traffic: mostly travel requests */
        o->mix[1] = 0.1f;
        o->mix[2] = 0.1f;
}

/* ---- training ---------------------------------------------------------------- */

static uint64_t swb__rng(uint64_t *s)
{
        uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

static void swb__shuffle(size_t *a, size_t n, uint64_t *s)
{
        size_t i, j, t;
        for (i = n; i > 1; i--) {
                j = (size_t)(swb__rng(s) % i);
                t = a[i - 1];
                a[i - 1] = a[j];
                a[j] = t;
        }
}

static const char *swb__text(const swb_dataset_t *td, size_t i)
{
        const char *text, *intent;
        swb_dataset_example(td, i, &text, &intent);
        return text;
}

static const char *swb__intent(const swb_dataset_t *td, size_t i)
{
        const char *text, *intent;
        swb_dataset_example(td, i, &text, &intent);
        return intent;
}

/* Sparse rows of every example: CSR. */
struct swb__csr {
        size_t *start; /* n + 1 */
        uint32_t *idx;
        float *val;
        size_t cap;
};

static void swb__csr_free(struct swb__csr *m)
{
        swb_free(m->start);
        swb_free(m->idx);
        swb_free(m->val);
        memset(m, 0, sizeof(*m));
}

/* The job shared by the folds. */
struct swb__job {
        const swb_dataset_t *td;
        const struct swb_train_opts *o;
        size_t n, k;           /* examples, classes */
        const char **names;    /* class names */
        int *class_route;      /* route of each class */
        size_t *y;             /* class of each example */
        int *gold_route;       /* route of each example */
        float *cw;             /* weight of each class */
};

/* IDF from the examples in[] (n_in of them), vectors of all examples into m. */
static size_t swb__featurize(const struct swb__job *j, const size_t *in, size_t n_in, float *idf,
                             struct swb__csr *m)
{
        const struct swb_textfeat_opts *feat = &j->o->feat;
        size_t d = (size_t)1 << feat->dim_log2, i, t, n, kept = 0;
        uint32_t *df = swb_calloc(d, sizeof(uint32_t));
        uint32_t *idx = swb_malloc(SWB_TEXTFEAT_MAX * sizeof(uint32_t));
        float *val = swb_malloc(SWB_TEXTFEAT_MAX * sizeof(float));

        for (i = 0; i < n_in; i++) {
                n = swb_textfeat_vectorize(feat, NULL, swb__text(j->td, in[i]), idx, val);
                for (t = 0; t < n; t++)
                        df[idx[t]]++;
        }
        for (i = 0; i < d; i++) {
                idf[i] = df[i] && df[i] >= (uint32_t)j->o->min_df
                             ? (float)(log((1.0 + (double)n_in) / (1.0 + df[i])) + 1.0)
                             : 0.0f;
                kept += idf[i] > 0;
        }
        memset(m, 0, sizeof(*m));
        m->start = swb_malloc((j->n + 1) * sizeof(size_t));
        m->start[0] = 0;
        for (i = 0; i < j->n; i++) {
                n = swb_textfeat_vectorize(feat, idf, swb__text(j->td, i), idx, val);
                if (m->start[i] + n > m->cap) {
                        while (m->start[i] + n > m->cap)
                                m->cap = m->cap ? m->cap * 2 : 1 << 20;
                        m->idx = swb_realloc(m->idx, m->cap * sizeof(uint32_t));
                        m->val = swb_realloc(m->val, m->cap * sizeof(float));
                }
                memcpy(m->idx + m->start[i], idx, n * sizeof(uint32_t));
                memcpy(m->val + m->start[i], val, n * sizeof(float));
                m->start[i + 1] = m->start[i] + n;
        }
        swb_free(df);
        swb_free(idx);
        swb_free(val);
        return kept;
}

/* AdaGrad SGD over the examples in[] on clf's float weights. */
static void swb__sgd(const struct swb__job *j, swb_classifier_t *clf, const struct swb__csr *m,
                     const size_t *in, size_t n_in, uint64_t seed)
{
        const struct swb_train_opts *o = j->o;
        size_t stride = swb__classifier_stride(clf), d = (size_t)1 << o->feat.dim_log2;
        float *w = swb__classifier_weights(clf), *b = swb__classifier_bias(clf);
        float *gw = swb_calloc(d * stride, sizeof(float)), *gb = swb_calloc(stride, sizeof(float));
        float *logits = swb_malloc(stride * sizeof(float)), *g = swb_malloc(stride * sizeof(float));
        size_t *order = swb_malloc(n_in * sizeof(size_t)), *act = swb_malloc(stride * sizeof(size_t));
        float *wsum = NULL, *bsum = NULL;
        uint64_t rs = seed;
        size_t ep, t, i, f, a, na, k, y, n_avg = 0;

        memcpy(order, in, n_in * sizeof(size_t));
        for (ep = 0; ep < (size_t)o->epochs; ep++) {
                swb__shuffle(order, n_in, &rs);
                for (t = 0; t < n_in; t++) {
                        const uint32_t *idx;
                        const float *val;
                        size_t nf;
                        float cw, mx, sum = 0, proute = 0;

                        i = order[t];
                        y = j->y[i];
                        cw = j->cw[y];
                        idx = m->idx + m->start[i];
                        val = m->val + m->start[i];
                        nf = m->start[i + 1] - m->start[i];
                        swb__classifier_logits(clf, idx, val, nf, logits);
                        na = 0;
                        if (o->loss == SWB_TRAIN_HINGE) {
                                /* intent margin, plus the route margin times route_loss */
                                size_t kmax = SIZE_MAX, kin = SIZE_MAX, kout = SIZE_MAX;
                                int gr = j->gold_route[i];
                                for (k = 0; k < j->k; k++) {
                                        g[k] = 0;
                                        if (k != y && (kmax == SIZE_MAX || logits[k] > logits[kmax]))
                                                kmax = k;
                                        if (j->class_route[k] == gr) {
                                                if (kin == SIZE_MAX || logits[k] > logits[kin])
                                                        kin = k;
                                        } else if (kout == SIZE_MAX || logits[k] > logits[kout]) {
                                                kout = k;
                                        }
                                }
                                if (kmax != SIZE_MAX && logits[y] - logits[kmax] < 1.0f) {
                                        g[y] -= cw;
                                        g[kmax] += cw;
                                }
                                if (o->route_loss > 0 && kout != SIZE_MAX &&
                                    logits[kin] - logits[kout] < 1.0f) {
                                        g[kin] -= cw * o->route_loss;
                                        g[kout] += cw * o->route_loss;
                                }
                                for (k = 0; k < j->k; k++)
                                        if (g[k] != 0)
                                                act[na++] = k;
                                if (!na)
                                        continue;
                        } else {
                                mx = logits[0];
                                for (k = 1; k < j->k; k++)
                                        mx = fmaxf(mx, logits[k]);
                                for (k = 0; k < j->k; k++)
                                        sum += (g[k] = expf(logits[k] - mx));
                                for (k = 0; k < j->k; k++) {
                                        g[k] /= sum;
                                        if (j->class_route[k] == j->gold_route[i])
                                                proute += g[k];
                                }
                                /* d/dz of CE(intent) + route_loss * CE(route) */
                                for (k = 0; k < j->k; k++) {
                                        float p = g[k];
                                        g[k] = p - (k == y ? 1.0f : 0.0f);
                                        if (o->route_loss > 0)
                                                g[k] += o->route_loss *
                                                        (p - (j->class_route[k] == j->gold_route[i]
                                                                  ? p / proute
                                                                  : 0.0f));
                                        g[k] *= cw;
                                        if (fabsf(g[k]) > 1e-4f * cw)
                                                act[na++] = k;
                                }
                        }
                        for (a = 0; a < na; a++) {
                                k = act[a];
                                gb[k] += g[k] * g[k];
                                b[k] -= o->lr * g[k] / sqrtf(gb[k] + 1e-8f);
                        }
                        for (f = 0; f < nf; f++) {
                                float *row = w + (size_t)idx[f] * stride;
                                float *grow = gw + (size_t)idx[f] * stride;
                                for (a = 0; a < na; a++) {
                                        float gr;
                                        k = act[a];
                                        gr = g[k] * val[f] + o->l2 * row[k];
                                        grow[k] += gr * gr;
                                        row[k] -= o->lr * gr / sqrtf(grow[k] + 1e-8f);
                                }
                        }
                }
                if (o->average && ep >= (size_t)o->epochs / 2) { /* average the later epochs */
                        if (!wsum) {
                                wsum = swb_calloc(d * stride, sizeof(float));
                                bsum = swb_calloc(stride, sizeof(float));
                        }
                        for (t = 0; t < d * stride; t++)
                                wsum[t] += w[t];
                        for (k = 0; k < stride; k++)
                                bsum[k] += b[k];
                        n_avg++;
                }
        }
        if (n_avg) {
                for (t = 0; t < d * stride; t++)
                        w[t] = wsum[t] / (float)n_avg;
                for (k = 0; k < stride; k++)
                        b[k] = bsum[k] / (float)n_avg;
        }
        swb_free(wsum);
        swb_free(bsum);
        swb_free(gw);
        swb_free(gb);
        swb_free(logits);
        swb_free(g);
        swb_free(order);
        swb_free(act);
}

/* Train one model on in[]; write raw scores of out[] into scores (n x stride) when set. */
static swb_classifier_t *swb__fit(const struct swb__job *j, const size_t *in, size_t n_in,
                                  const size_t *out, size_t n_out, float *scores, size_t *kept,
                                  uint64_t seed, struct swb__csr *keep_m)
{
        swb_classifier_t *clf =
            swb__classifier_new(&j->o->feat, j->k, j->names, j->class_route);
        size_t stride = swb__classifier_stride(clf), i;
        struct swb__csr m;

        *kept = swb__featurize(j, in, n_in, swb__classifier_idf(clf), &m);
        swb__sgd(j, clf, &m, in, n_in, seed);
        for (i = 0; i < n_out; i++) {
                size_t e = out[i];
                swb__classifier_logits(clf, m.idx + m.start[e], m.val + m.start[e],
                                       m.start[e + 1] - m.start[e], scores + e * stride);
        }
        if (keep_m)
                *keep_m = m;
        else
                swb__csr_free(&m);
        return clf;
}

/* Route-level negative log-likelihood of out-of-fold scores at temperature t. */
static double swb__nll(const struct swb__job *j, const float *scores, size_t stride, double t)
{
        double nll = 0;
        size_t i, k;
        for (i = 0; i < j->n; i++) {
                const float *s = scores + i * stride;
                double mx = s[0], sum = 0, gold = 0, e;
                for (k = 1; k < j->k; k++)
                        mx = s[k] > mx ? s[k] : mx;
                for (k = 0; k < j->k; k++) {
                        e = exp((s[k] - mx) / t);
                        sum += e;
                        if (j->class_route[k] == j->gold_route[i])
                                gold += e;
                }
                nll -= log(gold / sum > 1e-12 ? gold / sum : 1e-12);
        }
        return nll;
}

static double swb__fit_temperature(const struct swb__job *j, const float *scores, size_t stride)
{
        const double phi = 0.6180339887498949;
        double a = log(0.02), b = log(50.0), c = b - phi * (b - a), d = a + phi * (b - a);
        double fc = swb__nll(j, scores, stride, exp(c)), fd = swb__nll(j, scores, stride, exp(d));
        int it;
        for (it = 0; it < 30; it++) {
                if (fc < fd) {
                        b = d, d = c, fd = fc;
                        c = b - phi * (b - a);
                        fc = swb__nll(j, scores, stride, exp(c));
                } else {
                        a = c, c = d, fc = fd;
                        d = a + phi * (b - a);
                        fd = swb__nll(j, scores, stride, exp(d));
                }
        }
        return exp((a + b) / 2);
}

/*
 * The travel threshold that maximises the expected share of requests routed
 * right under the traffic mix opts->mix (travel, other domains, oos), on
 * out-of-fold predictions; the middle of the best plateau. `fixed` >= 0 only
 * evaluates that threshold.
 */
static float swb__fit_threshold(const struct swb__job *j, swb_classifier_t *clf,
                                const float *scores, size_t stride, float t, float fixed,
                                double *objective, FILE *log)
{
        enum { STEPS = 100 };
        double best = -1, obj[STEPS];
        size_t ok[STEPS][3] = {{0}}, n[3] = {0}, i, s, lo = 0, hi = 0;
        float thr[SWB_CLASSIFIER_ROUTE__CNT] = {0};
        struct swb_classification c;

        for (i = 0; i < j->n; i++) {
                int grp = j->gold_route[i] != SWB_CLASSIFIER_OUT_OF_SCOPE ? 0
                          : swb_dataset_is_oos_intent(swb__intent(j->td, i))      ? 2
                                                                          : 1;
                swb__classifier_decide(clf, scores + i * stride, t, thr, &c);
                n[grp]++;
                for (s = 0; s < STEPS; s++) {
                        int r = c.route;
                        if (r != SWB_CLASSIFIER_OUT_OF_SCOPE && c.confidence < s / (double)STEPS)
                                r = SWB_CLASSIFIER_OUT_OF_SCOPE;
                        ok[s][grp] += r == j->gold_route[i];
                }
        }
        for (s = 0; s < STEPS; s++) {
                obj[s] = 0;
                for (i = 0; i < 3; i++)
                        obj[s] += j->o->mix[i] * (n[i] ? (double)ok[s][i] / (double)n[i] : 0);
                if (fixed >= 0) {
                        if (s == (size_t)lrintf(fixed * STEPS))
                                best = obj[s], lo = hi = s;
                } else if (obj[s] > best + 1e-12) {
                        best = obj[s], lo = hi = s;
                } else if (obj[s] > best - 1e-12 && hi == s - 1) {
                        hi = s;
                }
        }
        *objective = best;
        if (log)
                for (s = 0; s < STEPS; s += 5)
                        fprintf(log, "  threshold %.2f: travel %.4f other %.4f oos %.4f%s\n",
                                s / (double)STEPS, (double)ok[s][0] / (double)(n[0] ? n[0] : 1),
                                (double)ok[s][1] / (double)(n[1] ? n[1] : 1),
                                (double)ok[s][2] / (double)(n[2] ? n[2] : 1),
                                s >= lo && s <= hi ? "  <- chosen" : "");
        return (float)((lo + hi) / 2.0 / STEPS);
}

static int swb__cmpstr(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static double swb__now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void swb__job_free(struct swb__job *j)
{
        swb_free(j->names);
        swb_free(j->class_route);
        swb_free(j->y);
        swb_free(j->gold_route);
        swb_free(j->cw);
}

/* Classes, labels and class weights. */
static swb_err_t swb__job_init(struct swb__job *j, const swb_dataset_t *td,
                               const struct swb_train_opts *o, char *errstr, size_t errstr_size)
{
        size_t i, k, *cnt;
        double mean;

        memset(j, 0, sizeof(*j));
        j->td = td;
        j->o = o;
        j->n = swb_dataset_count(td);
        j->y = swb_calloc(swb_dataset_count(td), sizeof(size_t));
        j->gold_route = swb_calloc(swb_dataset_count(td), sizeof(int));
        for (i = 0; i < swb_dataset_count(td); i++) {
                j->gold_route[i] = swb_dataset_route(td, swb__intent(td, i));
                if (j->gold_route[i] < 0)
                        return swb_seterr(errstr, errstr_size, SWB_ERR_CONFIG,
                                          "intent \"%s\" has no route", swb__intent(td, i));
        }
        if (o->level == SWB_TRAIN_ROUTE) {
                j->k = SWB_CLASSIFIER_ROUTE__CNT;
                j->names = swb_calloc(j->k, sizeof(char *));
                j->class_route = swb_calloc(j->k, sizeof(int));
                for (k = 0; k < j->k; k++) {
                        j->names[k] = swb_classifier_route_name((int)k);
                        j->class_route[k] = (int)k;
                }
                for (i = 0; i < swb_dataset_count(td); i++)
                        j->y[i] = (size_t)j->gold_route[i];
        } else {
                const char **all = swb_malloc(swb_dataset_count(td) * sizeof(char *));
                for (i = 0; i < swb_dataset_count(td); i++)
                        all[i] = swb__intent(td, i);
                qsort(all, swb_dataset_count(td), sizeof(char *), swb__cmpstr);
                j->names = swb_calloc(swb_dataset_count(td), sizeof(char *));
                for (i = 0; i < swb_dataset_count(td); i++)
                        if (!i || strcmp(all[i], all[i - 1]))
                                j->names[j->k++] = all[i];
                swb_free(all);
                j->class_route = swb_calloc(j->k, sizeof(int));
                for (k = 0; k < j->k; k++)
                        j->class_route[k] = swb_dataset_route(td, j->names[k]);
                for (i = 0; i < swb_dataset_count(td); i++) {
                        const char *key = swb__intent(td, i);
                        const char **p = bsearch(&key, j->names, j->k,
                                                 sizeof(char *), swb__cmpstr);
                        j->y[i] = (size_t)(p - j->names);
                }
        }
        cnt = swb_calloc(j->k, sizeof(size_t));
        for (i = 0; i < swb_dataset_count(td); i++)
                cnt[j->y[i]]++;
        mean = (double)swb_dataset_count(td) / (double)j->k;
        j->cw = swb_calloc(j->k, sizeof(float));
        for (k = 0; k < j->k; k++) {
                j->cw[k] = cnt[k] ? (float)pow(mean / (double)cnt[k], o->class_weight_power) : 1;
                if (o->level == SWB_TRAIN_INTENT && swb_dataset_is_oos_intent(j->names[k]))
                        j->cw[k] *= o->oos_weight;
                if (j->class_route[k] != SWB_CLASSIFIER_OUT_OF_SCOPE)
                        j->cw[k] *= o->travel_weight;
        }
        swb_free(cnt);
        return SWB_OK;
}

swb_classifier_t *swb_train(const swb_dataset_t *td, const struct swb_train_opts *o,
                            struct swb_train_report *rep, char *errstr, size_t errstr_size)
{
        struct swb_train_report dummy;
        struct swb__job j;
        struct swb__csr m;
        struct swb_classification c;
        swb_classifier_t *clf = NULL, *fold_clf;
        size_t stride, i, f, n_in, n_out, kept;
        size_t *in = NULL, *out = NULL, *fold = NULL;
        float *scores = NULL, thr[SWB_CLASSIFIER_ROUTE__CNT] = {0}, t = 1, theta = 0;
        double t0 = swb__now(), best_obj = -1;
        uint64_t rs = o->seed;
        int rule, best_rule = o->rule > 0 ? o->rule : 0;

        if (!rep)
                rep = &dummy;
        memset(rep, 0, sizeof(*rep));
        if (!swb_dataset_count(td) || o->epochs < 1) {
                swb_seterr(errstr, errstr_size, SWB_ERR_INVALID_ARG, "no examples or no epochs");
                return NULL;
        }
        if (swb__job_init(&j, td, o, errstr, errstr_size))
                goto done;
        clf = swb__classifier_new(&o->feat, j.k, j.names, j.class_route);
        if (!clf) {
                swb_seterr(errstr, errstr_size, SWB_ERR_CONFIG,
                           "bad feature settings or class names");
                goto done;
        }
        swb_classifier_destroy(clf);
        clf = NULL;
        stride = (j.k + 15) & ~(size_t)15;
        in = swb_malloc(j.n * sizeof(size_t));
        out = swb_malloc(j.n * sizeof(size_t));
        scores = swb_calloc(j.n * stride, sizeof(float));
        if (o->log)
                fprintf(o->log, "training on %zu examples, %zu classes, %d epochs, seed %u\n",
                        j.n, j.k, o->epochs, o->seed);

        if (o->folds >= 2) {
                /* stratified folds: each class's examples dealt round-robin in random order */
                size_t *perm = swb_malloc(j.n * sizeof(size_t)), *next = swb_calloc(j.k, sizeof(size_t));
                fold = swb_malloc(j.n * sizeof(size_t));
                for (i = 0; i < j.n; i++)
                        perm[i] = i;
                swb__shuffle(perm, j.n, &rs);
                for (i = 0; i < j.n; i++)
                        fold[perm[i]] = next[j.y[perm[i]]]++ % (size_t)o->folds;
                swb_free(perm);
                swb_free(next);
                for (f = 0; f < (size_t)o->folds; f++) {
                        for (i = n_in = n_out = 0; i < j.n; i++)
                                if (fold[i] == f)
                                        out[n_out++] = i;
                                else
                                        in[n_in++] = i;
                        fold_clf = swb__fit(&j, in, n_in, out, n_out, scores, &kept,
                                            swb__rng(&rs), NULL);
                        if (!clf)
                                clf = fold_clf; /* kept for decisions: same classes */
                        else
                                swb_classifier_destroy(fold_clf);
                        if (o->log)
                                fprintf(o->log, "fold %zu/%d done (%.1f s)\n", f + 1, o->folds,
                                        swb__now() - t0);
                }
                t = (float)swb__fit_temperature(&j, scores, stride);
                for (rule = 0; rule < 2; rule++) { /* the decision rule, then its threshold */
                        double obj;
                        float th;
                        if (o->rule >= 0 && rule != o->rule)
                                continue;
                        swb__classifier_set_rule(clf, rule);
                        if (o->log)
                                fprintf(o->log, "route rule %s:\n", rule ? "max" : "sum");
                        th = swb__fit_threshold(&j, clf, scores, stride, t, o->threshold, &obj,
                                                o->log);
                        if (obj > best_obj + 1e-12)
                                best_obj = obj, best_rule = rule, theta = th;
                }
                swb__classifier_set_rule(clf, best_rule);
                for (i = 0; i < SWB_CLASSIFIER_ROUTE__CNT - 1; i++)
                        thr[i] = theta;
                for (i = 0; i < j.n; i++) {
                        swb__classifier_decide(clf, scores + i * stride, t, thr, &c);
                        swb_dataset_figures_add(&rep->cv, j.gold_route[i], swb__intent(td, i), &c);
                        if (o->cv_errors && c.route != j.gold_route[i])
                                fprintf(o->cv_errors, "%s/%s -> %s/%s %.2f\t%s\n",
                                        swb_classifier_route_name(j.gold_route[i]),
                                        swb__intent(td, i), c.domain, c.intent, c.confidence,
                                        swb__text(td, i));
                }
                swb_dataset_figures_finish(&rep->cv);
                swb_classifier_destroy(clf);
                clf = NULL;
        } else {
                theta = o->threshold >= 0 ? o->threshold : 0;
                for (i = 0; i < SWB_CLASSIFIER_ROUTE__CNT - 1; i++)
                        thr[i] = theta;
        }

        for (i = 0; i < j.n; i++)
                in[i] = i;
        clf = swb__fit(&j, in, j.n, in, j.n, scores, &kept, swb__rng(&rs), &m);
        swb__csr_free(&m);
        swb__classifier_set_calibration(clf, t, thr);
        swb__classifier_set_rule(clf, best_rule);
        for (i = 0; i < j.n; i++) {
                swb__classifier_decide(clf, scores + i * stride, 0, NULL, &c);
                rep->train_route_acc += c.route == j.gold_route[i];
                rep->train_intent_acc += !strcmp(c.top[0].intent, o->level == SWB_TRAIN_ROUTE
                                                                      ? j.names[j.y[i]]
                                                                      : swb__intent(td, i));
        }
        rep->train_route_acc /= (double)j.n;
        rep->train_intent_acc /= (double)j.n;
        rep->n_examples = j.n;
        rep->n_classes = j.k;
        rep->n_features = kept;
        rep->temperature = t;
        rep->threshold = theta;
        rep->max_rule = best_rule == 1;
done:
        rep->seconds = swb__now() - t0;
        swb_free(in);
        swb_free(out);
        swb_free(fold);
        swb_free(scores);
        swb__job_free(&j);
        return clf;
}
