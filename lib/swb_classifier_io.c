#include "swb_classifier_int.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "swb_buf.h"
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
#define SWB__CLF_MAGIC     "SWBMODEL"
#define SWB__CLF_HDR       96
#define SWB__CLF_FLAG_INT8 1u

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

static void swb__put_u32(swb_buf_t *b, uint32_t v)
{
        swb_buf_put(b, &v, 4);
}

static void swb__put_f32(swb_buf_t *b, float v)
{
        swb_buf_put(b, &v, 4);
}

static float swb__weight(const swb_classifier_t *clf, size_t r, size_t k)
{
        if (clf->q)
                return clf->qscale[r] * (float)clf->q[r * clf->stride + k];
        return clf->w[r * clf->stride + k];
}

swb_err_t swb_classifier_save(const swb_classifier_t *clf, const char *path,
                              bool quantize, char *errstr, size_t errstr_size)
{
        swb_buf_t b = {0};
        size_t d = (size_t)1 << clf->feat.dim_log2, bk, k, i, n_rows = 0;
        uint64_t v64 = 0;
        uint8_t u8;
        char *tmp;
        FILE *fp;
        int r;

        for (bk = 0; bk < d; bk++)
                n_rows += clf->idf[bk] > 0;
        swb_buf_put(&b, SWB__CLF_MAGIC, 8);
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
        swb_buf_put(&b, &v64, 8); /* file size, patched below */
        swb__put_u32(&b, clf->rule);
        swb__put_u32(&b, 0);
        for (r = 0; r < SWB_CLASSIFIER_ROUTE__CNT; r++) {
                u8 = (uint8_t)strlen(swb__classifier_routes[r]);
                swb_buf_put(&b, &u8, 1);
                swb_buf_put(&b, swb__classifier_routes[r], u8);
        }
        for (k = 0; k < clf->n_intents; k++) {
                u8 = (uint8_t)clf->route[k];
                swb_buf_put(&b, &u8, 1);
                u8 = (uint8_t)strlen(clf->names[k]);
                swb_buf_put(&b, &u8, 1);
                swb_buf_put(&b, clf->names[k], u8);
        }
        while (b.len % 4)
                swb_buf_put(&b, "", 1);
        swb_buf_put(&b, clf->bias, clf->n_intents * sizeof(float));
        swb_buf_put(&b, clf->idf, d * sizeof(float));
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
                                row[k] =
                                    sc > 0
                                        ? (int8_t)lrintf(swb__weight(clf, rr, k) / sc)
                                        : 0;
                        memcpy(b.p + scales + 4 * i++, &sc, 4);
                        swb_buf_put(&b, row, clf->stride);
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
                        swb_buf_put(&b, row, clf->stride * sizeof(float));
                }
                swb_free(row);
        }
        v64 = b.len + 8;
        memcpy(b.p + 80, &v64, 8);
        v64 = swb__clf_checksum((const unsigned char *)b.p, b.len);
        swb_buf_put(&b, &v64, 8);

        tmp = swb_asprintf("%s.tmp.%d", path, (int)getpid());
        fp = fopen(tmp, "wb");
        if (!fp || fwrite(b.p, 1, b.len, fp) != b.len || fclose(fp) != 0) {
                int e = errno;
                if (fp)
                        fclose(fp);
                unlink(tmp);
                swb_free(tmp);
                swb_free(b.p);
                return swb_seterr(errstr, errstr_size, SWB_ERR_IO,
                                  "cannot write %s: %s", path, strerror(e));
        }
        if (rename(tmp, path) != 0) {
                int e = errno;
                unlink(tmp);
                swb_free(tmp);
                swb_free(b.p);
                return swb_seterr(errstr, errstr_size, SWB_ERR_IO,
                                  "cannot rename to %s: %s", path, strerror(e));
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
                                          "cannot read model %s: %s", path,
                                          strerror(e));
                }
                off += (size_t)n;
        }
        close(fd);
        *out = p;
        *outlen = off;
        return SWB_OK;
}

#define SWB__BAD(...)                                                                  \
        do {                                                                           \
                err = swb_seterr(errstr, errstr_size, SWB_ERR_DECODE, __VA_ARGS__);    \
                goto done;                                                             \
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
                SWB__BAD("%s is not a switchboard model (bad magic or too short)",
                         path);
        rd.p = file;
        rd.len = len - 8;
        rd.off = 8;
        version = swb__get_u32(&rd);
        if (version != SWB__CLF_VERSION)
                SWB__BAD("%s: model version %u, this build reads %u", path, version,
                         SWB__CLF_VERSION);
        memcpy(&fsize, file + 80, 8);
        if (fsize != len)
                SWB__BAD(
                    "%s: truncated or extended model (%zu bytes, header says %llu)",
                    path, len, (unsigned long long)fsize);
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
        if (!n_intents || n_intents > SWB__CLF_MAX_INTENTS ||
            stride != swb__classifier_stride_for(n_intents) ||
            n_routes != SWB_CLASSIFIER_ROUTE__CNT || !(temperature > 0) ||
            !isfinite(temperature))
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
                if (!s || l != strlen(swb__classifier_routes[i]) ||
                    memcmp(s, swb__classifier_routes[i], l))
                        SWB__BAD("%s: unknown route list", path);
        }
        clf = swb__classifier_alloc(&feat, n_intents);
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

swb_classifier_t *swb_classifier_load(const char *path, char *errstr,
                                      size_t errstr_size)
{
        return swb_classifier_load2(path, NULL, errstr, errstr_size);
}
