/*
 * swb_slots_lex - internal to the slot parser (swb_slots and its
 * swb_slots_dates / swb_slots_numbers parts): the tokenizer, the token
 * predicates and the word lists they share. Not for use outside lib/swb_slots*.c.
 * Pure functions; thread-safe.
 */
#ifndef SWB_SLOTS_LEX_H
#define SWB_SLOTS_LEX_H

#include <stdbool.h>
#include <stddef.h>

#include "swb_dates.h"
#include "swb_slots.h"

#define SWB__SLOTS_MAX_TOKS 200

enum { SWB__SLOTS_T_WORD, SWB__SLOTS_T_NUM, SWB__SLOTS_T_PUNCT };

struct swb__slots_tok {
        size_t off, len; /* in the original text */
        char low[40];    /* lower-cased (ASCII), truncated */
        int kind;
        double val;   /* SWB__SLOTS_T_NUM */
        bool integer; /* SWB__SLOTS_T_NUM without decimals */
        bool used;    /* taken by a slot */
};

struct swb__slots_parser {
        const char *text;
        struct swb__slots_tok t[SWB__SLOTS_MAX_TOKS];
        int n;
        swb_date_t today;
        struct swb_slots *s;
};

/* A number as people write it: 42, 1.5, 1,5, 1.000.000, 1,000,000. */
bool swb__slots_lex_parse_number(const char *s, size_t n, double *val, bool *integer);
/** Split p->text into p->t / p->n. */
void swb__slots_lex_tokenize(struct swb__slots_parser *p);
/** @returns token i, or NULL when out of range. */
struct swb__slots_tok *swb__slots_lex_at(struct swb__slots_parser *p, int i);
/** @returns true when `t` is the word (or punctuation) `w`. */
bool swb__slots_lex_is(const struct swb__slots_tok *t, const char *w);
/** @returns true when `t` is one of the NULL-terminated `list`. */
bool swb__slots_lex_in_list(const struct swb__slots_tok *t, const char *const *list);
/** @returns true when any token of `p` is in `list`. */
bool swb__slots_lex_any_word(struct swb__slots_parser *p, const char *const *list);
/* "two", "dua", ... */
int swb__slots_lex_word_number(const struct swb__slots_tok *t);
/** @returns the integer value of a number token, or 0. */
long long swb__slots_lex_int_of(const struct swb__slots_tok *t);
/** @returns the month 1..12 a month name names, or 0. */
int swb__slots_lex_month_of(const struct swb__slots_tok *t);
/* ISO weekday of a weekday name; "minggu" (also "week") is handled by the caller. */
int swb__slots_lex_weekday_of(const struct swb__slots_tok *t);
/** @returns true for a unit word (guests, nights, rooms, stars, days). */
bool swb__slots_lex_is_unit(const struct swb__slots_tok *t);
/** @returns true for a word that ends (or is never part of) a place phrase. */
bool swb__slots_lex_is_stop(const struct swb__slots_tok *t);
/** @returns true for a word joining the two ends of a range ("to", "-", "sampai"). */
bool swb__slots_lex_is_range_word(const struct swb__slots_tok *t);
/** Mark tokens from..to (inclusive) as taken by a slot. */
void swb__slots_lex_use(struct swb__slots_parser *p, int from, int to);

/* NULL-terminated word lists */
extern const char *const swb__slots_lex_guest_units[];
extern const char *const swb__slots_lex_night_units[];
extern const char *const swb__slots_lex_room_units[];
extern const char *const swb__slots_lex_star_units[];
extern const char *const swb__slots_lex_day_units[];
/* Domain nouns: not places, but skipped at the start of a phrase ("di hotel X"). */
extern const char *const swb__slots_lex_generic_words[];

#endif
