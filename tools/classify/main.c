/*
 * swb-classify: runs the embedded classifier.
 *
 *   swb-classify [--model FILE]                 one utterance a line on stdin,
 *                                               one JSON object a line on stdout
 *   swb-classify --eval FILE.tsv [FILE2.tsv ...] accuracy per route and the
 *                                               acceptance figures of labelled files
 *   swb-classify --bench [FILE.tsv ...]         µs per classification, load time
 *
 * The model is --model, else $SWB_MODEL, else ../../models/router.swbm next to
 * the executable (build/bin/), else models/router.swbm in the working directory.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "swb_classifier.h"
#include "swb_log.h"
#include "swb_mem.h"
#include "swb_train.h"

static const char usage[] =
    "usage: swb-classify [--model FILE] [--routes FILE] [--eval FILE.tsv ... | --bench [FILE.tsv ...]]\n"
    "  (no mode)      read one utterance a line on stdin, write one JSON object a line\n"
    "  --eval         accuracy per route and acceptance figures of labelled files\n"
    "                 (text<TAB>intent; intents mapped with --routes, default\n"
    "                 data/intents/routes.tsv next to the model; unknown intents and\n"
    "                 CLINC's oos are out_of_scope)\n"
    "  --errors       with --eval: also print every misrouted example\n"
    "  --bench        µs per classification (median of repeated runs) and load time;\n"
    "                 with files, also over every text in them\n";

static double swb__now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The repository root guessed from the executable (build/bin/swb-classify), or NULL. */
static char *swb__repo_root(void)
{
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        char *slash;
        int up;
        if (n <= 0)
                return NULL;
        exe[n] = '\0';
        for (up = 0; up < 3; up++) {
                if (!(slash = strrchr(exe, '/')))
                        return NULL;
                *slash = '\0';
        }
        return swb_strdup(exe[0] ? exe : "/");
}

static char *swb__default_path(const char *rel)
{
        char *root = swb__repo_root(), *p;
        if (root) {
                p = swb_asprintf("%s/%s", root, rel);
                swb_free(root);
                if (access(p, R_OK) == 0)
                        return p;
                swb_free(p);
        }
        return swb_strdup(rel);
}

static void swb__print_json(const struct swb_classification *c)
{
        char buf[256];
        size_t pos = 0;
        swb_json_escape(buf, sizeof(buf), &pos, c->intent);
        printf("{\"domain\":\"%s\",\"intent\":\"%s\",\"confidence\":%.4f}\n", c->domain, buf,
               c->confidence);
}

static int swb__stream(const swb_classifier_t *clf)
{
        char *line = NULL;
        size_t cap = 0;
        ssize_t len;
        struct swb_classification c;

        while ((len = getline(&line, &cap, stdin)) >= 0) {
                while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
                        line[--len] = '\0';
                swb_classifier_classify(clf, line, &c);
                swb__print_json(&c);
                fflush(stdout);
        }
        free(line);
        return 0;
}

static double swb__pct(size_t ok, size_t n)
{
        return n ? 100.0 * (double)ok / (double)n : 0.0;
}

static int swb__eval(const swb_classifier_t *clf, const char *routes_path, char **files,
                     size_t n_files, bool errors)
{
        swb_dataset_t *routes = swb_dataset_new();
        struct swb_dataset_figures fig = {0};
        struct swb_classification c;
        char errstr[512];
        size_t i, f, r, q, n, ok;
        int rc = 1;

        if (swb_dataset_load_routes(routes, routes_path, errstr, sizeof(errstr))) {
                fprintf(stderr, "swb-classify: %s\n", errstr);
                goto out;
        }
        for (f = 0; f < n_files; f++) {
                swb_dataset_t *td = swb_dataset_new();
                if (swb_dataset_load_tsv(td, files[f], errstr, sizeof(errstr))) {
                        fprintf(stderr, "swb-classify: %s\n", errstr);
                        swb_dataset_destroy(td);
                        goto out;
                }
                for (i = 0; i < swb_dataset_count(td); i++) {
                        const char *text, *intent;
                        int gold;
                        swb_dataset_example(td, i, &text, &intent);
                        gold = swb_dataset_route(routes, intent);
                        if (gold < 0)
                                gold = SWB_CLASSIFIER_OUT_OF_SCOPE;
                        swb_classifier_classify(clf, text, &c);
                        swb_dataset_figures_add(&fig, gold, intent, &c);
                        if (errors && c.route != gold) {
                                size_t t;
                                printf("MISS %s/%s -> %s/%s %.3f: %s [", swb_classifier_route_name(gold),
                                       intent, c.domain, c.intent, c.confidence, text);
                                for (t = 0; t < c.n_top; t++)
                                        printf("%s%s %.2f", t ? ", " : "", c.top[t].intent,
                                               c.top[t].prob);
                                printf("]\n");
                        }
                }
                swb_dataset_destroy(td);
        }
        swb_dataset_figures_finish(&fig);
        printf("%-18s %8s %8s %9s\n", "route", "examples", "correct", "accuracy");
        for (r = 0; r < SWB_CLASSIFIER_ROUTE__CNT; r++) {
                for (q = n = 0; q < SWB_CLASSIFIER_ROUTE__CNT; q++)
                        n += fig.confusion[r][q];
                ok = fig.confusion[r][r];
                printf("%-18s %8zu %8zu %8.2f%%\n", swb_classifier_route_name((int)r), n, ok,
                       swb__pct(ok, n));
        }
        printf("\nconfusion (rows gold, columns predicted: hotel flight tour cs oos)\n");
        for (r = 0; r < SWB_CLASSIFIER_ROUTE__CNT; r++) {
                printf("%-18s", swb_classifier_route_name((int)r));
                for (q = 0; q < SWB_CLASSIFIER_ROUTE__CNT; q++)
                        printf(" %6zu", fig.confusion[r][q]);
                printf("\n");
        }
        printf("\ntravel-route accuracy   %7.2f%%  (%zu/%zu in-scope travel examples routed to "
               "their agent)\n",
               swb__pct(fig.ok_travel, fig.n_travel), fig.ok_travel, fig.n_travel);
        printf("other-domain rejection  %7.2f%%  (%zu/%zu non-travel intents routed "
               "out_of_scope)\n",
               swb__pct(fig.ok_other, fig.n_other), fig.ok_other, fig.n_other);
        printf("out-of-scope rejection  %7.2f%%  (%zu/%zu oos routed out_of_scope)\n",
               swb__pct(fig.ok_oos, fig.n_oos), fig.ok_oos, fig.n_oos);
        printf("intent accuracy         %7.2f%%  (top intent == label)\n",
               swb__pct(fig.ok_intent, fig.n_intent));
        printf("route confidence ECE    %7.4f   (10 bins); route NLL %.4f per example\n", fig.ece,
               fig.n_intent ? fig.nll / (double)fig.n_intent : 0.0);
        rc = 0;
out:
        swb_dataset_destroy(routes);
        return rc;
}

static int swb__cmpd(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

/* µs per classification over every text of the labelled files (median of 5 passes). */
static void swb__bench_files(const swb_classifier_t *clf, char **files, size_t n_files)
{
        swb_dataset_t *td = swb_dataset_new();
        struct swb_classification c;
        double runs[5], t0;
        char errstr[512];
        size_t f, i, r, n;

        for (f = 0; f < n_files; f++)
                if (swb_dataset_load_tsv(td, files[f], errstr, sizeof(errstr)))
                        fprintf(stderr, "swb-classify: %s\n", errstr);
        n = swb_dataset_count(td);
        for (r = 0; n && r < SWB_ARRAY_LEN(runs); r++) {
                t0 = swb__now();
                for (i = 0; i < n; i++) {
                        const char *text, *intent;
                        swb_dataset_example(td, i, &text, &intent);
                        swb_classifier_classify(clf, text, &c);
                }
                runs[r] = (swb__now() - t0) / (double)n;
        }
        if (n) {
                qsort(runs, SWB_ARRAY_LEN(runs), sizeof(double), swb__cmpd);
                printf("classification: %.2f us median of %zu passes over %zu labelled texts\n",
                       runs[SWB_ARRAY_LEN(runs) / 2] * 1e6, SWB_ARRAY_LEN(runs), n);
        }
        swb_dataset_destroy(td);
}

static int swb__bench(const char *path, char **files, size_t n_files)
{
        static const char *const texts[] = {
                "Find me a hotel in Bali",
                "flights from Jakarta to Denpasar tomorrow",
                "what tours do you have in Yogyakarta",
                "cancel booking 42",
                "carikan hotel di Bandung untuk dua malam",
                "tiket pesawat ke Medan",
                "how do i change my car's oil",
                "what is the exchange rate between dollars and yen right now please",
        };
        enum { RUNS = 21, REPS = 2000 };
        double loads[5], runs[RUNS], t0;
        char errstr[512];
        struct swb_classification c;
        swb_classifier_t *clf = NULL;
        size_t i, r;

        for (i = 0; i < SWB_ARRAY_LEN(loads); i++) {
                swb_classifier_destroy(clf);
                t0 = swb__now();
                clf = swb_classifier_load(path, errstr, sizeof(errstr));
                loads[i] = swb__now() - t0;
                if (!clf) {
                        fprintf(stderr, "swb-classify: %s\n", errstr);
                        return 1;
                }
        }
        qsort(loads, SWB_ARRAY_LEN(loads), sizeof(double), swb__cmpd);
        for (r = 0; r < RUNS; r++) {
                t0 = swb__now();
                for (i = 0; i < REPS; i++)
                        swb_classifier_classify(clf, texts[i % SWB_ARRAY_LEN(texts)], &c);
                runs[r] = (swb__now() - t0) / REPS;
        }
        qsort(runs, RUNS, sizeof(double), swb__cmpd);
        printf("model %s: load %.1f ms (median of %zu)\n", path, loads[2] * 1e3,
               SWB_ARRAY_LEN(loads));
        printf("classification: %.2f us median (min %.2f, max %.2f) over %d runs of %d "
               "utterances\n",
               runs[RUNS / 2] * 1e6, runs[0] * 1e6, runs[RUNS - 1] * 1e6, RUNS, REPS);
        if (n_files)
                swb__bench_files(clf, files, n_files);
        swb_classifier_destroy(clf);
        return 0;
}

int main(int argc, char **argv)
{
        static const struct option lopts[] = {
                {"model", required_argument, 0, 'm'}, {"routes", required_argument, 0, 'r'},
                {"eval", no_argument, 0, 'e'},        {"errors", no_argument, 0, 'E'},
                {"bench", no_argument, 0, 'b'},       {"help", no_argument, 0, 'h'},
                {0, 0, 0, 0}};
        char *model = NULL, *routes = NULL, errstr[512];
        bool eval = false, bench = false, errors = false;
        swb_classifier_t *clf = NULL;
        int c, rc = 2;

        while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
                switch (c) {
                case 'm': swb_free(model); model = swb_strdup(optarg); break;
                case 'r': swb_free(routes); routes = swb_strdup(optarg); break;
                case 'e': eval = true; break;
                case 'E': errors = true; break;
                case 'b': bench = true; break;
                case 'h': fputs(usage, stdout); rc = 0; goto out;
                default: fputs(usage, stderr); goto out;
                }
        }
        if ((eval && optind == argc) || (!eval && !bench && optind < argc) || (eval && bench)) {
                fputs(usage, stderr);
                goto out;
        }
        if (!model && getenv("SWB_MODEL") && *getenv("SWB_MODEL"))
                model = swb_strdup(getenv("SWB_MODEL"));
        if (!model)
                model = swb__default_path("models/router.swbm");
        if (bench) {
                rc = swb__bench(model, argv + optind, (size_t)(argc - optind));
                goto out;
        }
        if (!(clf = swb_classifier_load(model, errstr, sizeof(errstr)))) {
                fprintf(stderr, "swb-classify: %s\n", errstr);
                rc = 1;
                goto out;
        }
        if (eval) {
                if (!routes)
                        routes = swb__default_path("data/intents/routes.tsv");
                rc = swb__eval(clf, routes, argv + optind, (size_t)(argc - optind), errors);
        } else {
                rc = swb__stream(clf);
        }
out:
        swb_classifier_destroy(clf);
        swb_free(model);
        swb_free(routes);
        return rc;
}
