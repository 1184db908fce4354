#include "swb_textfeat.h"

#include <math.h>
#include <string.h>

#define SWB__TF_MAX_TEXT   512 /* normalised bytes looked at */
#define SWB__TF_MAX_TOKENS 256

bool swb_textfeat_opts_valid(const struct swb_textfeat_opts *f)
{
        return f->dim_log2 >= 8 && f->dim_log2 <= 24 && f->word_ngram_max >= 1 &&
               f->word_ngram_max <= 2 &&
               (f->char_nmax == 0 ||
                (f->char_nmin >= 1 && f->char_nmin <= f->char_nmax && f->char_nmax <= 6 &&
                 f->char_nmax - f->char_nmin <= 3)) &&
               isfinite(f->word_weight) && isfinite(f->char_weight) && f->word_weight >= 0 &&
               f->char_weight >= 0;
}

/* Latin-1 letters U+00C0..U+00FF folded to ASCII; ' ' = separator. */
static const char swb__latin1[65] = "aaaaaaaceeeeiiiidnooooo ouuuuyts"
                                    "aaaaaaaceeeeiiiidnooooo ouuuuyty";

size_t swb_textfeat_normalize(const char *in, char *out, size_t size)
{
        const unsigned char *s = (const unsigned char *)in;
        size_t o = 0, tok = 0; /* tok: start of the current token in out */

        while (*s) {
                unsigned char c = *s;
                uint32_t cp;
                size_t n, i;
                char one = 0; /* a single output char, or 0 */
                int kind;     /* 0 separator, 1 char, 2 raw bytes, 3 skip */

                if (c < 0x80) {
                        n = 1;
                        cp = c;
                } else {
                        n = c >= 0xf0 && c < 0xf8 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
                        cp = n == 4 ? c & 0x07u : n == 3 ? c & 0x0fu : c & 0x1fu;
                        for (i = 1; i < n; i++) {
                                if ((s[i] & 0xc0) != 0x80)
                                        break;
                                cp = cp << 6 | (s[i] & 0x3fu);
                        }
                        if (!n || i < n) /* invalid sequence: one byte separates */
                                n = 0;
                }
                if (!n) {
                        n = 1;
                        kind = 0;
                } else if (cp < 0x80) {
                        if (cp >= 'A' && cp <= 'Z')
                                one = (char)(cp + 32), kind = 1;
                        else if ((cp >= 'a' && cp <= 'z'))
                                one = (char)cp, kind = 1;
                        else if (cp >= '0' && cp <= '9')
                                one = '0', kind = 1;
                        else if (cp == '\'' || cp == '`')
                                kind = 3;
                        else
                                kind = 0;
                } else if (cp >= 0xc0 && cp <= 0xff) {
                        one = swb__latin1[cp - 0xc0];
                        kind = one == ' ' ? 0 : 1;
                } else if (cp == 0x2018 || cp == 0x2019 || cp == 0x02bc) {
                        kind = 3;
                } else if (cp < 0xc0 || (cp >= 0x2000 && cp <= 0x2bff) ||
                           (cp >= 0x3000 && cp <= 0x303f) || (cp >= 0xfe00 && cp <= 0xfe0f) ||
                           (cp >= 0xff00 && cp <= 0xff20) || cp >= 0x1f000) {
                        kind = 0; /* punctuation, symbols, emoji */
                } else {
                        kind = 2;
                }

                if (kind == 0) {
                        if (o > tok) { /* close the token */
                                if (o + 1 >= size)
                                        break;
                                out[o++] = ' ';
                                tok = o;
                        }
                } else if (kind == 1 || kind == 2) {
                        size_t len = kind == 1 ? 1 : n;
                        if (o + len >= size)
                                break;
                        if (kind == 1)
                                out[o++] = one;
                        else
                                for (i = 0; i < n; i++)
                                        out[o++] = (char)s[i];
                }
                s += n;
        }
        if (o > 0 && out[o - 1] == ' ')
                o--;
        out[o] = '\0';
        return o;
}

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
#define SWB__SEED_WORD 0x9e3779b97f4a7c15ULL
#define SWB__SEED_BI   0xc2b2ae3d27d4eb4fULL
#define SWB__SEED_CHAR 0x165667b19e3779f9ULL
#define SWB__BOUNDARY  0x27d4eb2f165667c5ULL /* the "word" before the first / after the last */

static inline uint64_t swb__fnv(const char *s, size_t n, uint64_t h)
{
        size_t i;
        for (i = 0; i < n; i++) {
                h ^= (unsigned char)s[i];
                h *= SWB__FNV_PRIME;
        }
        return h;
}

struct swb__slot {
        uint32_t key; /* (bucket << 1 | group) + 1; 0 = empty */
        uint32_t cnt;
};

/* Count feature `h` (a hash) of group `g` (0 words, 1 chars). */
static inline void swb__count(struct swb__slot *tab, uint32_t mask, uint32_t dmask,
                              uint64_t h, uint32_t g, uint32_t *order, size_t *n)
{
        uint32_t key = ((((uint32_t)h & dmask) << 1) | g) + 1;
        uint32_t i = (key * 0x9e3779b1u) & mask;
        while (tab[i].key && tab[i].key != key)
                i = (i + 1) & mask;
        if (!tab[i].key) {
                if (*n >= SWB_TEXTFEAT_MAX)
                        return;
                tab[i].key = key;
                order[(*n)++] = i;
        }
        tab[i].cnt++;
}

size_t swb_textfeat_vectorize(const struct swb_textfeat_opts *feat, const float *idf,
                          const char *text, uint32_t *idx, float *val)
{
        char buf[SWB__TF_MAX_TEXT + 1], pad[SWB__TF_MAX_TEXT + 3];
        uint32_t tokpos[SWB__TF_MAX_TOKENS], toklen[SWB__TF_MAX_TOKENS];
        uint32_t order[SWB_TEXTFEAT_MAX];
        uint64_t prev = SWB__BOUNDARY;
        uint32_t dmask = (1u << feat->dim_log2) - 1, mask;
        size_t len, ntok = 0, est = 2, n = 0, out = 0, i, j, cap;
        double ss[2] = {0, 0}, scale[2];
        struct swb__slot *tab;

        len = swb_textfeat_normalize(text ? text : "", buf, sizeof(buf));
        for (i = 0; i < len && ntok < SWB__TF_MAX_TOKENS; i = j + 1) {
                for (j = i; j < len && buf[j] != ' '; j++)
                        ;
                tokpos[ntok] = (uint32_t)i;
                toklen[ntok++] = (uint32_t)(j - i);
                est += 2 + (feat->char_nmax ? (j - i + 2) * (feat->char_nmax - feat->char_nmin + 1)
                                            : 0);
        }
        for (cap = 64; cap < 2 * est; cap <<= 1)
                ;
        tab = __builtin_alloca(cap * sizeof(*tab));
        memset(tab, 0, cap * sizeof(*tab));
        mask = (uint32_t)cap - 1;

        for (i = 0; i < ntok; i++) {
                const char *t = buf + tokpos[i];
                uint64_t hw = swb__mix64(swb__fnv(t, toklen[i], SWB__SEED_WORD));
                uint32_t k, m, plen = toklen[i] + 2;
                swb__count(tab, mask, dmask, hw, 0, order, &n);
                if (feat->word_ngram_max >= 2) {
                        uint64_t hb = swb__mix64(prev * SWB__SEED_BI ^ hw);
                        swb__count(tab, mask, dmask, hb, 0, order, &n);
                }
                prev = hw;
                if (!feat->char_nmax)
                        continue;
                pad[0] = '^';
                memcpy(pad + 1, t, toklen[i]);
                pad[plen - 1] = '$';
                for (k = 0; k + feat->char_nmin <= plen; k++) {
                        uint64_t h = SWB__SEED_CHAR;
                        for (m = 0; m < feat->char_nmax && k + m < plen; m++) {
                                h ^= (unsigned char)pad[k + m];
                                h *= SWB__FNV_PRIME;
                                if (m + 1 >= feat->char_nmin)
                                        swb__count(tab, mask, dmask, swb__mix64(h + m), 1,
                                                   order, &n);
                        }
                }
        }
        if (feat->word_ngram_max >= 2 && ntok) {
                uint64_t hb = swb__mix64(prev * SWB__SEED_BI ^ SWB__BOUNDARY);
                swb__count(tab, mask, dmask, hb, 0, order, &n);
        }

        for (i = 0; i < n; i++) {
                const struct swb__slot *sl = &tab[order[i]];
                uint32_t b = (sl->key - 1) >> 1, g = (sl->key - 1) & 1;
                float v = 1.0f + logf((float)sl->cnt);
                if (idf)
                        v *= idf[b];
                if (v <= 0.0f)
                        continue;
                idx[out] = b << 1 | g;
                val[out++] = v;
                ss[g] += (double)v * v;
        }
        scale[0] = ss[0] > 0 ? feat->word_weight / sqrt(ss[0]) : 0;
        scale[1] = ss[1] > 0 ? feat->char_weight / sqrt(ss[1]) : 0;
        for (i = 0; i < out; i++) {
                val[i] = (float)(val[i] * scale[idx[i] & 1]);
                idx[i] >>= 1;
        }
        return out;
}
