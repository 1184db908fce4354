/*
 * swb_textfeat - text normalisation and hashed n-gram features for the
 * embedded classifier (swb_classifier) and its trainer (swb_train).
 *
 * Normalisation: ASCII lower-cased, Latin-1 accents folded ("hôtel" ->
 * "hotel"), digits mapped to '0', apostrophes dropped ("what's" -> "whats"),
 * other punctuation, symbols and emoji separate tokens; other letters (any
 * script) are kept as their UTF-8 bytes. Only the first 512 normalised bytes
 * count.
 *
 * Features, hashed into 2^dim_log2 buckets: words, word bigrams (with start
 * and end markers), and character n-grams of "^word$". Each feature's value
 * is (1 + ln count) * idf[bucket]; the word group and the character group are
 * L2-normalised separately and scaled by their weights.
 *
 * Pure functions: thread-safe, no heap memory (a few tens of KiB of stack).
 */
#ifndef SWB_TEXTFEAT_H
#define SWB_TEXTFEAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Feature settings; stored in each model file. */
struct swb_textfeat_opts {
        uint32_t dim_log2;       /* hash space: 2^dim_log2 buckets, 8..24 */
        uint32_t word_ngram_max; /* 1: words; 2: words and word bigrams */
        uint32_t char_nmin;      /* char n-grams of "^word$", nmin..nmax (at most 4 sizes, */
        uint32_t char_nmax;      /* nmax <= 6); char_nmax 0 = none */
        float word_weight;       /* weight of the L2-normalised word group */
        float char_weight;       /* weight of the L2-normalised char group */
};

/** Most (bucket, value) pairs one text yields. */
#define SWB_TEXTFEAT_MAX 4096

/** @returns true when `o` is within the limits above. */
bool swb_textfeat_opts_valid(const struct swb_textfeat_opts *o);

/**
 * Normalise UTF-8 `in` into `out` (size bytes, NUL-terminated) as single-space
 * separated tokens. @returns the length written (< size).
 */
size_t swb_textfeat_normalize(const char *in, char *out, size_t size);

/**
 * The feature vector of `text` (NULL is ""): distinct (idx[i], val[i]) pairs,
 * at most SWB_TEXTFEAT_MAX. `idf` has 2^dim_log2 entries (NULL: all ones); a
 * bucket whose idf is 0 is left out, before normalisation.
 * @returns the number of pairs.
 */
size_t swb_textfeat_vectorize(const struct swb_textfeat_opts *o, const float *idf,
                              const char *text, uint32_t *idx, float *val);

#endif
