#include "swb_classifier.h"

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

/*
 * Model file, version 1. All integers and floats little-endian.
 *
 *   0  char[8] "SWBMODEL"          40 u32 n_intents
 *   8  u32 version (1)             44 u32 n_routes (5)
 *  12  u32 flags (1: int8 rows)    48 f32 temperature
 *  16  u32 dim_log2                52 f32 threshold[5], by route id
 *  20  u32 word_ngram_max          72 u32 n_rows (stored feature rows)
 *  24  u32 char_nmin               76 u32 row stride (>= n_intents, multiple of 16)
 *  28  u32 char_nmax               80 u64 file size
 *  32  f32 word_weight             88 u32 route rule (0 sum, 1 max), u32 reserved (0)
 *  36  f32 char_weight
 *  96  routes: n_routes x (u8 len, name), in route id order
 *      intents: n_intents x (u8 route id, u8 len, name)
 *      zero padding to a multiple of 4
 *      f32 bias[n_intents]
 *      f32 idf[2^dim_log2]: a row is stored for every bucket whose idf > 0
 *      int8: f32 scale[n_rows], then i8 w[n_rows][stride]
 *      float: f32 w[n_rows][stride]
 *      u64 checksum of every byte before it (swb__clf_checksum)
 */
#define SWB__CLF_MAGIC       "SWBMODEL"
#define SWB__CLF_VERSION     1
#define SWB__CLF_HDR         96
#define SWB__CLF_FLAG_INT8   1u
#define SWB__CLF_MAX_INTENTS 1024
#define SWB__CLF_RULE_SUM    0 /* the route with the largest summed probability */
#define SWB__CLF_RULE_MAX    1 /* the route of the most probable intent */

static const char *const swb__routes[SWB_CLASSIFIER_ROUTE__CNT] = {
        "hotel", "flight", "tour", "customer_service", "out_of_scope"};

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

const char *swb_classifier_route_name(int route)
{
        if (route < 0 || route >= SWB_CLASSIFIER_ROUTE__CNT)
                return NULL;
        return swb__routes[route];
}

int swb_classifier_route_parse(const char *name)
{
        int i;
        for (i = 0; name && i < SWB_CLASSIFIER_ROUTE__CNT; i++)
                if (!strcmp(name, swb__routes[i]))
                        return i;
        return -1;
}

/* ---- construction -------------------------------------------------------- */

static uint32_t swb__stride(uint32_t n_intents)
{
        return (n_intents + 15u) & ~15u;
}

/* Allocates everything but the weights. */
static swb_classifier_t *swb__clf_alloc(const struct swb_textfeat_opts *feat, size_t n_intents)
{
        swb_classifier_t *clf = swb_calloc(1, sizeof(*clf));
        size_t d = (size_t)1 << feat->dim_log2, i;

        clf->feat = *feat;
        clf->n_intents = (uint32_t)n_intents;
        clf->stride = swb__stride(clf->n_intents);
        clf->names = swb_calloc(n_intents, sizeof(*clf->names));
        clf->route = swb_calloc(n_intents, sizeof(*clf->route));
        clf->bias = swb_calloc(clf->stride, sizeof(float));
        clf->idf = swb_malloc(d * sizeof(float));
        for (i = 0; i < d; i++)
                clf->idf[i] = 1.0f;
        clf->temperature = 1.0f;
        return clf;
}

swb_classifier_t *swb__classifier_new(const struct swb_textfeat_opts *feat, size_t n_intents,
                                      const char *const *names, const int *routes)
{
        swb_classifier_t *clf;
        size_t i;

        if (!swb_textfeat_opts_valid(feat) || !n_intents || n_intents > SWB__CLF_MAX_INTENTS)
                return NULL;
        for (i = 0; i < n_intents; i++)
                if (!names[i] || !*names[i] || strlen(names[i]) > 255 || routes[i] < 0 ||
                    routes[i] >= SWB_CLASSIFIER_ROUTE__CNT)
                        return NULL;
        clf = swb__clf_alloc(feat, n_intents);
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

SWB__VECTORIZE
void swb__classifier_logits(const swb_classifier_t *clf, const uint32_t *idx, const float *val,
                            size_t n, float *logits)
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

void swb__classifier_decide(const swb_classifier_t *clf, const float *logits, float temperature,
                            const float *threshold, struct swb_classification *out)
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
                if (out->n_top == SWB_CLASSIFIER_TOP && p <= out->top[SWB_CLASSIFIER_TOP - 1].prob)
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
        if (clf->rule == SWB__CLF_RULE_MAX) { /* the route of the most probable intent */
                for (k = 1, best_i = 0; k < clf->n_intents; k++)
                        if (logits[k] > logits[best_i])
                                best_i = k;
                best = clf->route[best_i];
                best_p = rp[best];
        }
        if (best != SWB_CLASSIFIER_OUT_OF_SCOPE && best_p < thr[best]) {
                out->rejected = true;
                out->route = SWB_CLASSIFIER_OUT_OF_SCOPE;
                out->domain = swb__routes[SWB_CLASSIFIER_OUT_OF_SCOPE];
                out->intent = "oos";
                out->confidence = rp[SWB_CLASSIFIER_OUT_OF_SCOPE];
                return;
        }
        best_p = -HUGE_VAL;
        for (k = 0; k < clf->n_intents; k++)
                if (clf->route[k] == best && logits[k] > best_p)
                        best_p = logits[k], best_i = k;
        out->route = best;
        out->domain = swb__routes[best];
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

/* ---- file format --------------------------------------------------------- */

static inline uint64_t swb__mix64(uint64_t h)
{
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdULL;
        h ^= h >> 33;
        h *= 0xc4ceb9fe1a85ec53ULL;
        h ^= h >> 33;
        return h;
}

#define SWB__FNV_PRIME 0x100000001b3ULL

/* 64-bit checksum: FNV-style over 8-byte words, then the tail bytes, mixed. */
static uint64_t swb__clf_checksum(const unsigned char *p, size_t n)
{
        uint64_t h = 0xcbf29ce484222325ULL ^ n, w;
        size_t i = 0;
        for (; i + 8 <= n; i += 8) {
                memcpy(&w, p + i, 8);
                h = (h ^ w) * SWB__FNV_PRIME;
                h ^= h >> 29;
        }
        for (; i < n; i++)
                h = (h ^ p[i]) * SWB__FNV_PRIME;
        return swb__mix64(h);
}

struct swb__buf {
        unsigned char *p;
        size_t len, cap;
};

static void swb__put(struct swb__buf *b, const void *src, size_t n)
{
        if (b->len + n > b->cap) {
                while (b->len + n > b->cap)
                        b->cap = b->cap ? b->cap * 2 : 4096;
                b->p = swb_realloc(b->p, b->cap);
        }
        memcpy(b->p + b->len, src, n);
        b->len += n;
}

static void swb__put_u32(struct swb__buf *b, uint32_t v)
{
        swb__put(b, &v, 4);
}

static void swb__put_f32(struct swb__buf *b, float v)
{
        swb__put(b, &v, 4);
}

static float swb__weight(const swb_classifier_t *clf, size_t r, size_t k)
{
        if (clf->q)
                return clf->qscale[r] * (float)clf->q[r * clf->stride + k];
        return clf->w[r * clf->stride + k];
}

swb_err_t swb_classifier_save(const swb_classifier_t *clf, const char *path, bool quantize,
                              char *errstr, size_t errstr_size)
{
        struct swb__buf b = {0};
        size_t d = (size_t)1 << clf->feat.dim_log2, bk, k, i, n_rows = 0;
        uint64_t v64 = 0;
        uint8_t u8;
        char *tmp;
        FILE *fp;
        int r;

        for (bk = 0; bk < d; bk++)
                n_rows += clf->idf[bk] > 0;
        swb__put(&b, SWB__CLF_MAGIC, 8);
        swb__put_u32(&b, SWB__CLF_VERSION);
        swb__put_u32(&b, quantize ? SWB__CLF_FLAG_INT8 : 0);
        swb__put_u32(&b, clf->feat.dim_log2);
        swb__put_u32(&b, clf->feat.word_ngram_max);
        swb__put_u32(&b, clf->feat.char_nmin);
        swb__put_u32(&b, clf->feat.char_nmax);
        swb__put_f32(&b, clf->feat.word_weight);
        swb__put_f32(&b, clf->feat.char_weight);
        swb__put_u32(&b, clf->n_intents);
        swb__put_u32(&b, SWB_CLASSIFIER_ROUTE__CNT);
        swb__put_f32(&b, clf->temperature);
        for (r = 0; r < SWB_CLASSIFIER_ROUTE__CNT; r++)
                swb__put_f32(&b, clf->threshold[r]);
        swb__put_u32(&b, (uint32_t)n_rows);
        swb__put_u32(&b, clf->stride);
        swb__put(&b, &v64, 8); /* file size, patched below */
        swb__put_u32(&b, clf->rule);
        swb__put_u32(&b, 0);
        for (r = 0; r < SWB_CLASSIFIER_ROUTE__CNT; r++) {
                u8 = (uint8_t)strlen(swb__routes[r]);
                swb__put(&b, &u8, 1);
                swb__put(&b, swb__routes[r], u8);
        }
        for (k = 0; k < clf->n_intents; k++) {
                u8 = (uint8_t)clf->route[k];
                swb__put(&b, &u8, 1);
                u8 = (uint8_t)strlen(clf->names[k]);
                swb__put(&b, &u8, 1);
                swb__put(&b, clf->names[k], u8);
        }
        while (b.len % 4)
                swb__put(&b, "", 1);
        swb__put(&b, clf->bias, clf->n_intents * sizeof(float));
        swb__put(&b, clf->idf, d * sizeof(float));
        if (quantize) {
                int8_t *row = swb_calloc(clf->stride, 1);
                size_t scales = b.len;
                for (bk = 0; bk < d; bk++) /* scales first, rows after */
                        if (clf->idf[bk] > 0)
                                swb__put_f32(&b, 0);
                for (bk = 0, i = 0; bk < d; bk++) {
                        size_t rr = clf->rowidx ? (size_t)clf->rowidx[bk] : bk;
                        float mx = 0, sc;
                        if (!(clf->idf[bk] > 0))
                                continue;
                        for (k = 0; k < clf->n_intents; k++)
                                mx = fmaxf(mx, fabsf(swb__weight(clf, rr, k)));
                        sc = mx / 127.0f;
                        for (k = 0; k < clf->n_intents; k++)
                                row[k] = sc > 0 ? (int8_t)lrintf(swb__weight(clf, rr, k) / sc) : 0;
                        memcpy(b.p + scales + 4 * i++, &sc, 4);
                        swb__put(&b, row, clf->stride);
                }
                swb_free(row);
        } else {
                float *row = swb_calloc(clf->stride, sizeof(float));
                for (bk = 0; bk < d; bk++) {
                        size_t rr = clf->rowidx ? (size_t)clf->rowidx[bk] : bk;
                        if (!(clf->idf[bk] > 0))
                                continue;
                        for (k = 0; k < clf->n_intents; k++)
                                row[k] = swb__weight(clf, rr, k);
                        swb__put(&b, row, clf->stride * sizeof(float));
                }
                swb_free(row);
        }
        v64 = b.len + 8;
        memcpy(b.p + 80, &v64, 8);
        v64 = swb__clf_checksum(b.p, b.len);
        swb__put(&b, &v64, 8);

        tmp = swb_asprintf("%s.tmp.%d", path, (int)getpid());
        fp = fopen(tmp, "wb");
        if (!fp || fwrite(b.p, 1, b.len, fp) != b.len || fclose(fp) != 0) {
                int e = errno;
                if (fp)
                        fclose(fp);
                unlink(tmp);
                swb_free(tmp);
                swb_free(b.p);
                return swb_seterr(errstr, errstr_size, SWB_ERR_IO, "cannot write %s: %s", path,
                                  strerror(e));
        }
        if (rename(tmp, path) != 0) {
                int e = errno;
                unlink(tmp);
                swb_free(tmp);
                swb_free(b.p);
                return swb_seterr(errstr, errstr_size, SWB_ERR_IO, "cannot rename to %s: %s",
                                  path, strerror(e));
        }
        swb_free(tmp);
        swb_free(b.p);
        return SWB_OK;
}

/* Bounds-checked reader over the loaded file. */
struct swb__rd {
        const unsigned char *p;
        size_t len, off;
        bool bad;
};

static const void *swb__get(struct swb__rd *r, size_t n)
{
        const void *p;
        if (r->bad || n > r->len - r->off) {
                r->bad = true;
                return NULL;
        }
        p = r->p + r->off;
        r->off += n;
        return p;
}

static uint32_t swb__get_u32(struct swb__rd *r)
{
        const void *p = swb__get(r, 4);
        uint32_t v = 0;
        if (p)
                memcpy(&v, p, 4);
        return v;
}

static float swb__get_f32(struct swb__rd *r)
{
        const void *p = swb__get(r, 4);
        float v = 0;
        if (p)
                memcpy(&v, p, 4);
        return v;
}

static uint8_t swb__get_u8(struct swb__rd *r)
{
        const uint8_t *p = swb__get(r, 1);
        return p ? *p : 0;
}

static swb_err_t swb__read_file(const char *path, unsigned char **out, size_t *outlen,
                                char *errstr, size_t errstr_size)
{
        struct stat st;
        unsigned char *p;
        size_t off = 0;
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return swb_seterr(errstr, errstr_size,
                                  errno == ENOENT ? SWB_ERR_NOT_FOUND : SWB_ERR_IO,
                                  "cannot open model %s: %s", path, strerror(errno));
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                return swb_seterr(errstr, errstr_size, SWB_ERR_IO,
                                  "model %s is not a regular file", path);
        }
        if (st.st_size > (off_t)1 << 30) {
                close(fd);
                return swb_seterr(errstr, errstr_size, SWB_ERR_TOO_LARGE,
                                  "model %s is larger than 1 GiB", path);
        }
        p = swb_malloc((size_t)st.st_size);
        while (off < (size_t)st.st_size) {
                ssize_t n = read(fd, p + off, (size_t)st.st_size - off);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        int e = n < 0 ? errno : EIO;
                        close(fd);
                        swb_free(p);
                        return swb_seterr(errstr, errstr_size, SWB_ERR_IO,
                                          "cannot read model %s: %s", path, strerror(e));
                }
                off += (size_t)n;
        }
        close(fd);
        *out = p;
        *outlen = off;
        return SWB_OK;
}

#define SWB__BAD(...)                                                                      \
        do {                                                                               \
                err = swb_seterr(errstr, errstr_size, SWB_ERR_DECODE, __VA_ARGS__);        \
                goto done;                                                                 \
        } while (0)

swb_classifier_t *swb_classifier_load2(const char *path, swb_err_t *errp, char *errstr,
                                       size_t errstr_size)
{
        struct swb__rd rd = {0};
        struct swb_textfeat_opts feat;
        swb_classifier_t *clf = NULL;
        unsigned char *file = NULL;
        uint32_t version, flags, n_intents, n_routes, n_rows, stride, rule, i, k;
        uint64_t fsize, sum;
        float temperature, thr[SWB_CLASSIFIER_ROUTE__CNT];
        swb_err_t err;
        size_t len = 0, d, bk;
        const float *bias, *idf, *scale = NULL;
        const void *rows;

        err = swb__read_file(path, &file, &len, errstr, errstr_size);
        if (err)
                goto done;
        if (len < SWB__CLF_HDR + 8 || memcmp(file, SWB__CLF_MAGIC, 8) != 0)
                SWB__BAD("%s is not a switchboard model (bad magic or too short)", path);
        rd.p = file;
        rd.len = len - 8;
        rd.off = 8;
        version = swb__get_u32(&rd);
        if (version != SWB__CLF_VERSION)
                SWB__BAD("%s: model version %u, this build reads %u", path, version,
                         SWB__CLF_VERSION);
        memcpy(&fsize, file + 80, 8);
        if (fsize != len)
                SWB__BAD("%s: truncated or extended model (%zu bytes, header says %llu)", path,
                         len, (unsigned long long)fsize);
        memcpy(&sum, file + len - 8, 8);
        if (sum != swb__clf_checksum(file, len - 8))
                SWB__BAD("%s: model checksum mismatch (corrupted file)", path);

        flags = swb__get_u32(&rd);
        feat.dim_log2 = swb__get_u32(&rd);
        feat.word_ngram_max = swb__get_u32(&rd);
        feat.char_nmin = swb__get_u32(&rd);
        feat.char_nmax = swb__get_u32(&rd);
        feat.word_weight = swb__get_f32(&rd);
        feat.char_weight = swb__get_f32(&rd);
        n_intents = swb__get_u32(&rd);
        n_routes = swb__get_u32(&rd);
        temperature = swb__get_f32(&rd);
        for (i = 0; i < SWB_CLASSIFIER_ROUTE__CNT; i++)
                thr[i] = swb__get_f32(&rd);
        n_rows = swb__get_u32(&rd);
        stride = swb__get_u32(&rd);
        rd.off = 88;
        rule = swb__get_u32(&rd);
        if (rule > SWB__CLF_RULE_MAX || swb__get_u32(&rd) != 0)
                SWB__BAD("%s: unknown route rule", path);
        rd.off = SWB__CLF_HDR;
        if ((flags & ~SWB__CLF_FLAG_INT8) || !swb_textfeat_opts_valid(&feat))
                SWB__BAD("%s: unsupported model flags or feature settings", path);
        if (!n_intents || n_intents > SWB__CLF_MAX_INTENTS || stride != swb__stride(n_intents) ||
            n_routes != SWB_CLASSIFIER_ROUTE__CNT || !(temperature > 0) || !isfinite(temperature))
                SWB__BAD("%s: bad model header", path);
        for (i = 0; i < SWB_CLASSIFIER_ROUTE__CNT; i++)
                if (!(thr[i] >= 0 && thr[i] <= 1))
                        SWB__BAD("%s: bad threshold", path);
        d = (size_t)1 << feat.dim_log2;
        if (n_rows > d)
                SWB__BAD("%s: bad row count", path);
        for (i = 0; i < n_routes; i++) {
                uint8_t l = swb__get_u8(&rd);
                const char *s = swb__get(&rd, l);
                if (!s || l != strlen(swb__routes[i]) || memcmp(s, swb__routes[i], l))
                        SWB__BAD("%s: unknown route list", path);
        }
        clf = swb__clf_alloc(&feat, n_intents);
        clf->file_size = len;
        clf->temperature = temperature;
        clf->rule = rule;
        memcpy(clf->threshold, thr, sizeof(thr));
        for (k = 0; k < n_intents; k++) {
                uint8_t route = swb__get_u8(&rd), l = swb__get_u8(&rd);
                const char *s = swb__get(&rd, l);
                if (!s || !l || route >= SWB_CLASSIFIER_ROUTE__CNT || memchr(s, 0, l))
                        SWB__BAD("%s: bad intent %u", path, k);
                clf->names[k] = swb_strndup(s, l);
                clf->route[k] = route;
        }
        swb__get(&rd, (4 - rd.off % 4) % 4);
        bias = swb__get(&rd, (size_t)n_intents * 4);
        idf = swb__get(&rd, d * 4);
        if (flags & SWB__CLF_FLAG_INT8) {
                scale = swb__get(&rd, (size_t)n_rows * 4);
                rows = swb__get(&rd, (size_t)n_rows * stride);
        } else {
                rows = swb__get(&rd, (size_t)n_rows * stride * 4);
        }
        if (rd.bad || rd.off != rd.len)
                SWB__BAD("%s: model sections do not add up to the file size", path);
        memcpy(clf->bias, bias, (size_t)n_intents * 4);
        for (k = 0; k < n_intents; k++)
                if (!isfinite(clf->bias[k]))
                        SWB__BAD("%s: bad bias", path);
        memcpy(clf->idf, idf, d * 4);
        clf->rowidx = swb_malloc(d * sizeof(int32_t));
        for (bk = 0, i = 0; bk < d; bk++) {
                if (!(clf->idf[bk] >= 0) || !isfinite(clf->idf[bk]))
                        SWB__BAD("%s: bad idf", path);
                clf->rowidx[bk] = clf->idf[bk] > 0 ? (int32_t)i++ : -1;
        }
        if (i != n_rows)
                SWB__BAD("%s: %u rows stored, %u features known", path, n_rows, i);
        clf->n_rows = n_rows;
        if (scale) {
                clf->qscale = swb_malloc((size_t)n_rows * 4 + 4);
                memcpy(clf->qscale, scale, (size_t)n_rows * 4);
                for (i = 0; i < n_rows; i++)
                        if (!isfinite(clf->qscale[i]))
                                SWB__BAD("%s: bad row scale", path);
                clf->q = swb_malloc((size_t)n_rows * stride + 1);
                memcpy(clf->q, rows, (size_t)n_rows * stride);
        } else {
                clf->w = swb_malloc((size_t)n_rows * stride * 4 + 4);
                memcpy(clf->w, rows, (size_t)n_rows * stride * 4);
        }
        err = SWB_OK;
done:
        swb_free(file);
        if (err) {
                swb_classifier_destroy(clf);
                clf = NULL;
        }
        if (errp)
                *errp = err;
        return clf;
}

swb_classifier_t *swb_classifier_load(const char *path, char *errstr, size_t errstr_size)
{
        return swb_classifier_load2(path, NULL, errstr, errstr_size);
}
