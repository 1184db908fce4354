#include "swb_dataset.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swb_mem.h"

struct swb__ex {
        char *text;
        char *intent;
};

struct swb__rmap {
        char *intent;
        int route;
};

struct swb_dataset_s {
        struct swb__ex *ex;
        size_t n, cap;
        struct swb__rmap *rm;
        size_t n_rm, cap_rm;
};

swb_dataset_t *swb_dataset_new(void)
{
        return swb_calloc(1, sizeof(swb_dataset_t));
}

void swb_dataset_destroy(swb_dataset_t *td)
{
        size_t i;
        if (!td)
                return;
        for (i = 0; i < td->n; i++) {
                swb_free(td->ex[i].text);
                swb_free(td->ex[i].intent);
        }
        for (i = 0; i < td->n_rm; i++)
                swb_free(td->rm[i].intent);
        swb_free(td->ex);
        swb_free(td->rm);
        swb_free(td);
}

void swb_dataset_set_route(swb_dataset_t *td, const char *intent, int route)
{
        size_t i;
        for (i = 0; i < td->n_rm; i++)
                if (!strcmp(td->rm[i].intent, intent)) {
                        td->rm[i].route = route;
                        return;
                }
        if (td->n_rm == td->cap_rm) {
                td->cap_rm = td->cap_rm ? td->cap_rm * 2 : 64;
                td->rm = swb_realloc(td->rm, td->cap_rm * sizeof(*td->rm));
        }
        td->rm[td->n_rm].intent = swb_strdup(intent);
        td->rm[td->n_rm++].route = route;
}

int swb_dataset_route(const swb_dataset_t *td, const char *intent)
{
        size_t i;
        for (i = 0; i < td->n_rm; i++)
                if (!strcmp(td->rm[i].intent, intent))
                        return td->rm[i].route;
        return -1;
}

void swb_dataset_add(swb_dataset_t *td, const char *text, const char *intent)
{
        if (td->n == td->cap) {
                td->cap = td->cap ? td->cap * 2 : 1024;
                td->ex = swb_realloc(td->ex, td->cap * sizeof(*td->ex));
        }
        td->ex[td->n].text = swb_strdup(text);
        td->ex[td->n++].intent = swb_strdup(intent);
}

size_t swb_dataset_count(const swb_dataset_t *td)
{
        return td->n;
}

void swb_dataset_example(const swb_dataset_t *td, size_t i, const char **text,
                            const char **intent)
{
        *text = td->ex[i].text;
        *intent = td->ex[i].intent;
}

/* Calls cb(a, b) for each "a<TAB>b" line; '#' lines and empty lines skipped. */
static swb_err_t swb__load_pairs(swb_dataset_t *td, const char *path,
                                 swb_err_t (*cb)(swb_dataset_t *, const char *, const char *,
                                                 const char *, size_t, char *, size_t),
                                 char *errstr, size_t errstr_size)
{
        FILE *fp = fopen(path, "r");
        char *line = NULL, *tab;
        size_t cap = 0, lineno = 0;
        ssize_t len;
        swb_err_t err = SWB_OK;

        if (!fp)
                return swb_seterr(errstr, errstr_size,
                                  errno == ENOENT ? SWB_ERR_NOT_FOUND : SWB_ERR_IO,
                                  "cannot open %s: %s", path, strerror(errno));
        while (!err && (len = getline(&line, &cap, fp)) >= 0) {
                lineno++;
                while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
                        line[--len] = '\0';
                if (!len || line[0] == '#')
                        continue;
                tab = strrchr(line, '\t');
                if (!tab || tab == line || !tab[1]) {
                        err = swb_seterr(errstr, errstr_size, SWB_ERR_DECODE,
                                         "%s:%zu: expected two tab-separated fields", path,
                                         lineno);
                        break;
                }
                *tab = '\0';
                err = cb(td, line, tab + 1, path, lineno, errstr, errstr_size);
        }
        free(line);
        fclose(fp);
        return err;
}

static swb_err_t swb__add_route(swb_dataset_t *td, const char *intent, const char *route,
                                const char *path, size_t lineno, char *errstr,
                                size_t errstr_size)
{
        int r = swb_classifier_route_parse(route);
        if (r < 0)
                return swb_seterr(errstr, errstr_size, SWB_ERR_DECODE,
                                  "%s:%zu: unknown route \"%s\"", path, lineno, route);
        swb_dataset_set_route(td, intent, r);
        return SWB_OK;
}

static swb_err_t swb__add_example(swb_dataset_t *td, const char *text, const char *intent,
                                  const char *path, size_t lineno, char *errstr,
                                  size_t errstr_size)
{
        swb_dataset_add(td, text, intent);
        return SWB_OK;
}

swb_err_t swb_dataset_load_routes(swb_dataset_t *td, const char *path, char *errstr,
                                     size_t errstr_size)
{
        return swb__load_pairs(td, path, swb__add_route, errstr, errstr_size);
}

swb_err_t swb_dataset_load_tsv(swb_dataset_t *td, const char *path, char *errstr,
                                  size_t errstr_size)
{
        return swb__load_pairs(td, path, swb__add_example, errstr, errstr_size);
}

/* ---- figures --------------------------------------------------------------- */

bool swb_dataset_is_oos_intent(const char *intent)
{
        return !strncmp(intent, "oos", 3);
}

void swb_dataset_figures_add(struct swb_dataset_figures *f, int gold_route, const char *gold_intent,
                           const struct swb_classification *pred)
{
        bool ok = pred->route == gold_route;
        double p = pred->route_prob[gold_route];
        int bin = (int)(pred->confidence * 10);

        if (gold_route != SWB_CLASSIFIER_OUT_OF_SCOPE)
                f->n_travel++, f->ok_travel += ok;
        else if (swb_dataset_is_oos_intent(gold_intent))
                f->n_oos++, f->ok_oos += ok;
        else
                f->n_other++, f->ok_other += ok;
        f->n_intent++;
        f->ok_intent += pred->n_top && !strcmp(pred->top[0].intent, gold_intent);
        f->confusion[gold_route][pred->route]++;
        f->nll -= log(p > 1e-12 ? p : 1e-12);
        bin = bin < 0 ? 0 : bin > 9 ? 9 : bin;
        f->ece_bins_n[bin]++;
        f->ece_bins_conf[bin] += pred->confidence;
        f->ece_bins_acc[bin] += ok;
}

void swb_dataset_figures_finish(struct swb_dataset_figures *f)
{
        size_t n = 0, b;
        f->ece = 0;
        for (b = 0; b < 10; b++)
                n += f->ece_bins_n[b];
        for (b = 0; n && b < 10; b++)
                f->ece += fabs(f->ece_bins_conf[b] - f->ece_bins_acc[b]) / (double)n;
}

