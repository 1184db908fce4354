/*
 * swb-train: trains the supervisor's embedded classifier.
 *
 *   swb-train --clinc DIR --own data/intents --out models/router.swbm [--seed N] [--epochs N]
 *
 * DIR holds CLINC150's train.tsv and oos_train.tsv; the own directory holds
 * routes.tsv (intent<TAB>route for every intent) and any other *.tsv files of
 * examples. Deterministic for a given seed. The shipped model is rebuilt, from
 * the repository root, with the defaults (about a minute on 2 cores):
 *
 *   build/bin/swb-train --clinc ../shared/data/clinc150 --own data/intents \
 *       --out models/router.swbm
 */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swb_classifier.h"
#include "swb_mem.h"
#include "swb_train.h"

static const char usage[] =
    "usage: swb-train [--clinc DIR] [--own DIR] [--out FILE] [options]\n"
    "  --clinc DIR        CLINC150 directory (train.tsv, oos_train.tsv)\n"
    "  --own DIR          our examples: routes.tsv and *.tsv (default data/intents)\n"
    "  --routes FILE      intent<TAB>route map (default OWN/routes.tsv)\n"
    "  --out FILE         model file to write (default: none, train and report only)\n"
    "  --seed N           random seed (default 1)\n"
    "  --epochs N         SGD epochs (default 12)\n"
    "  --folds N          cross-validation folds for calibration (default 5; 0 = none)\n"
    "  --level L          intent (default) or route: the classes the model learns\n"
    "  --loss L           logistic (default) or hinge\n"
    "  --dim N            hash space 2^N feature rows (default 18)\n"
    "  --words N          word n-grams up to N (1 or 2, default 2)\n"
    "  --chars A-B|none   char n-grams of A..B (default 2-4)\n"
    "  --word-weight W    --char-weight W   weights of the two feature groups (1, 0.5)\n"
    "  --lr X  --l2 X     AdaGrad step (default 0.3), L2 penalty (default 0)\n"
    "  --cw-power P       class weight (mean/count)^P (default 0.5)\n"
    "  --oos-weight W     extra weight of the oos classes (default 1)\n"
    "  --travel-weight W  extra weight of the classes routed to an agent (default 1)\n"
    "  --average          average the weights of the later half of the epochs\n"
    "  --cv-errors FILE   write the misrouted out-of-fold examples to FILE\n"
    "  --rule R           route = largest summed probability (sum), the top intent's (max)\n"
    "                     or the better of the two by cross-validation (auto, default)\n"
    "  --min-df N         drop features seen in fewer than N examples (default 1)\n"
    "  --threshold X      travel-route threshold (default: chosen by cross-validation)\n"
    "  --mix T,O,S        traffic mix (travel, other domains, oos) that the route rule and\n"
    "                     threshold maximise the routed-right share of (0.8,0.1,0.1)\n"
    "  --route-loss X     add X times the route-level cross-entropy to the loss (default 10)\n"
    "  --float            store float32 weights instead of int8\n"
    "  --eval FILE        after training, print the figures on a labelled file (repeatable)\n";

static int swb__cmp(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Load DIR/routes.tsv unless routes is set, then every other DIR/ *.tsv in name order. */
static int swb__load_own(swb_dataset_t *td, const char *dir, const char *routes)
{
        char errstr[512], *names[256], *p;
        size_t n = 0, i;
        struct dirent *de;
        DIR *d = opendir(dir);
        int rc = 0;

        if (!d) {
                fprintf(stderr, "swb-train: cannot open %s\n", dir);
                return -1;
        }
        while ((de = readdir(d)) && n < SWB_ARRAY_LEN(names)) {
                size_t l = strlen(de->d_name);
                if (l > 4 && !strcmp(de->d_name + l - 4, ".tsv") &&
                    strcmp(de->d_name, "routes.tsv"))
                        names[n++] = swb_strdup(de->d_name);
        }
        closedir(d);
        qsort(names, n, sizeof(char *), swb__cmp);
        if (!routes) {
                p = swb_asprintf("%s/routes.tsv", dir);
                if (swb_dataset_load_routes(td, p, errstr, sizeof(errstr))) {
                        fprintf(stderr, "swb-train: %s\n", errstr);
                        rc = -1;
                }
                swb_free(p);
        }
        for (i = 0; i < n; i++) {
                p = swb_asprintf("%s/%s", dir, names[i]);
                if (!rc && swb_dataset_load_tsv(td, p, errstr, sizeof(errstr))) {
                        fprintf(stderr, "swb-train: %s\n", errstr);
                        rc = -1;
                }
                swb_free(p);
                swb_free(names[i]);
        }
        return rc;
}

static void swb__print_figures(const char *what, const struct swb_dataset_figures *f)
{
        printf("%s: travel-route accuracy %.2f%% (%zu/%zu), other-domain rejection %.2f%% "
               "(%zu/%zu), out-of-scope rejection %.2f%% (%zu/%zu), intent accuracy %.2f%%, "
               "ECE %.4f\n",
               what, 100.0 * f->ok_travel / (double)(f->n_travel ? f->n_travel : 1), f->ok_travel,
               f->n_travel, 100.0 * f->ok_other / (double)(f->n_other ? f->n_other : 1),
               f->ok_other, f->n_other, 100.0 * f->ok_oos / (double)(f->n_oos ? f->n_oos : 1),
               f->ok_oos, f->n_oos, 100.0 * f->ok_intent / (double)(f->n_intent ? f->n_intent : 1),
               f->ece);
}

/* Figures of `clf` on labelled files (routes from td's map). */
static int swb__eval(const swb_classifier_t *clf, const swb_dataset_t *routes,
                     char **files, size_t n_files)
{
        struct swb_dataset_figures fig = {0};
        struct swb_classification c;
        char errstr[512];
        size_t i, f;

        for (f = 0; f < n_files; f++) {
                swb_dataset_t *td = swb_dataset_new();
                if (swb_dataset_load_tsv(td, files[f], errstr, sizeof(errstr))) {
                        fprintf(stderr, "swb-train: %s\n", errstr);
                        swb_dataset_destroy(td);
                        return -1;
                }
                for (i = 0; i < swb_dataset_count(td); i++) {
                        const char *text, *intent;
                        int r;
                        swb_dataset_example(td, i, &text, &intent);
                        r = swb_dataset_route(routes, intent);
                        if (r < 0)
                                r = SWB_CLASSIFIER_OUT_OF_SCOPE;
                        swb_classifier_classify(clf, text, &c);
                        swb_dataset_figures_add(&fig, r, intent, &c);
                }
                swb_dataset_destroy(td);
        }
        swb_dataset_figures_finish(&fig);
        swb__print_figures("eval", &fig);
        return 0;
}

int main(int argc, char **argv)
{
        enum { O_ROUTES = 256, O_FOLDS, O_LEVEL, O_LOSS, O_DIM, O_WORDS, O_CHARS, O_WW, O_CW,
               O_LR, O_L2, O_CWP, O_OOSW, O_MINDF, O_THR, O_FLOAT, O_EVAL, O_RL, O_TW, O_AVG, O_CVERR, O_RULE, O_MIX };
        static const struct option lopts[] = {
                {"clinc", required_argument, 0, 'c'}, {"own", required_argument, 0, 'o'},
                {"out", required_argument, 0, 'O'},   {"seed", required_argument, 0, 's'},
                {"epochs", required_argument, 0, 'e'}, {"routes", required_argument, 0, O_ROUTES},
                {"folds", required_argument, 0, O_FOLDS}, {"level", required_argument, 0, O_LEVEL},
                {"loss", required_argument, 0, O_LOSS}, {"dim", required_argument, 0, O_DIM},
                {"words", required_argument, 0, O_WORDS}, {"chars", required_argument, 0, O_CHARS},
                {"word-weight", required_argument, 0, O_WW},
                {"char-weight", required_argument, 0, O_CW}, {"lr", required_argument, 0, O_LR},
                {"l2", required_argument, 0, O_L2}, {"cw-power", required_argument, 0, O_CWP},
                {"oos-weight", required_argument, 0, O_OOSW},
                {"min-df", required_argument, 0, O_MINDF},
                {"threshold", required_argument, 0, O_THR}, {"float", no_argument, 0, O_FLOAT},
                {"eval", required_argument, 0, O_EVAL}, {"route-loss", required_argument, 0, O_RL},
                {"travel-weight", required_argument, 0, O_TW},
                {"average", no_argument, 0, O_AVG}, {"cv-errors", required_argument, 0, O_CVERR},
                {"rule", required_argument, 0, O_RULE},
                {"mix", required_argument, 0, O_MIX}, {"help", no_argument, 0, 'h'},
                {0, 0, 0, 0}};
        const char *clinc = NULL, *own = "data/intents", *out = NULL, *routes = NULL;
        char *evals[32], errstr[512], *p;
        size_t n_evals = 0;
        struct swb_train_opts o;
        struct swb_train_report rep;
        swb_dataset_t *td = swb_dataset_new();
        swb_classifier_t *clf = NULL;
        bool quantize = true;
        int c, rc = 1;

        swb_train_opts_default(&o);
        o.log = stderr;
        while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
                switch (c) {
                case 'c': clinc = optarg; break;
                case 'o': own = optarg; break;
                case 'O': out = optarg; break;
                case 's': o.seed = (unsigned)strtoul(optarg, NULL, 10); break;
                case 'e': o.epochs = atoi(optarg); break;
                case O_ROUTES: routes = optarg; break;
                case O_FOLDS: o.folds = atoi(optarg); break;
                case O_LEVEL: o.level = !strcmp(optarg, "route") ? SWB_TRAIN_ROUTE : SWB_TRAIN_INTENT; break;
                case O_LOSS: o.loss = !strcmp(optarg, "hinge") ? SWB_TRAIN_HINGE : SWB_TRAIN_LOGISTIC; break;
                case O_DIM: o.feat.dim_log2 = (uint32_t)atoi(optarg); break;
                case O_WORDS: o.feat.word_ngram_max = (uint32_t)atoi(optarg); break;
                case O_CHARS:
                        if (!strcmp(optarg, "none"))
                                o.feat.char_nmin = o.feat.char_nmax = 0;
                        else if (sscanf(optarg, "%u-%u", &o.feat.char_nmin, &o.feat.char_nmax) != 2)
                                goto bad;
                        break;
                case O_WW: o.feat.word_weight = strtof(optarg, NULL); break;
                case O_CW: o.feat.char_weight = strtof(optarg, NULL); break;
                case O_LR: o.lr = strtof(optarg, NULL); break;
                case O_L2: o.l2 = strtof(optarg, NULL); break;
                case O_CWP: o.class_weight_power = strtof(optarg, NULL); break;
                case O_OOSW: o.oos_weight = strtof(optarg, NULL); break;
                case O_MINDF: o.min_df = atoi(optarg); break;
                case O_THR: o.threshold = strtof(optarg, NULL); break;
                case O_FLOAT: quantize = false; break;
                case O_RL: o.route_loss = strtof(optarg, NULL); break;
                case O_TW: o.travel_weight = strtof(optarg, NULL); break;
                case O_AVG: o.average = true; break;
                case O_MIX:
                        if (sscanf(optarg, "%f,%f,%f", &o.mix[0], &o.mix[1], &o.mix[2]) != 3)
                                goto bad;
                        break;
                case O_RULE: o.rule = !strcmp(optarg, "max") ? 1 : !strcmp(optarg, "sum") ? 0 : -1; break;
                case O_CVERR:
                        if (!(o.cv_errors = fopen(optarg, "w"))) {
                                perror(optarg);
                                goto bad;
                        }
                        break;
                case O_EVAL:
                        if (n_evals < SWB_ARRAY_LEN(evals))
                                evals[n_evals++] = optarg;
                        break;
                case 'h': fputs(usage, stdout); rc = 0; goto done;
                default: goto bad;
                }
        }
        if (optind < argc)
                goto bad;
        if (routes && swb_dataset_load_routes(td, routes, errstr, sizeof(errstr)))
                goto fail;
        if (own && swb__load_own(td, own, routes))
                goto done;
        if (clinc) {
                p = swb_asprintf("%s/train.tsv", clinc);
                rc = swb_dataset_load_tsv(td, p, errstr, sizeof(errstr)) != SWB_OK;
                swb_free(p);
                if (rc)
                        goto fail;
                p = swb_asprintf("%s/oos_train.tsv", clinc);
                rc = swb_dataset_load_tsv(td, p, errstr, sizeof(errstr)) != SWB_OK;
                swb_free(p);
                if (rc)
                        goto fail;
                rc = 1;
        }
        if (!(clf = swb_train(td, &o, &rep, errstr, sizeof(errstr))))
                goto fail;
        printf("examples %zu, classes %zu (%s level), features kept %zu of %u\n",
               rep.n_examples, rep.n_classes, o.level == SWB_TRAIN_ROUTE ? "route" : "intent",
               rep.n_features, 1u << o.feat.dim_log2);
        printf("training accuracy: route %.2f%%, %s %.2f%%\n", 100 * rep.train_route_acc,
               o.level == SWB_TRAIN_ROUTE ? "class" : "intent", 100 * rep.train_intent_acc);
        if (o.folds >= 2)
                swb__print_figures("cross-validation", &rep.cv);
        printf("temperature %.4f, route rule %s, travel threshold %.2f%s\n", rep.temperature,
               rep.max_rule ? "max" : "sum", rep.threshold,
               o.threshold >= 0 ? " (given)" : " (cross-validated)");
        printf("training time %.1f s\n", rep.seconds);
        if (out) {
                if (swb_classifier_save(clf, out, quantize, errstr, sizeof(errstr)))
                        goto fail;
                printf("wrote %s\n", out);
        }
        if (n_evals) {
                swb_classifier_t *ev = clf, *loaded = NULL;
                if (out && !(ev = loaded = swb_classifier_load(out, errstr, sizeof(errstr))))
                        goto fail;
                if (swb__eval(ev, td, evals, n_evals)) {
                        swb_classifier_destroy(loaded);
                        goto done;
                }
                swb_classifier_destroy(loaded);
        }
        rc = 0;
        goto done;
bad:
        fputs(usage, stderr);
        rc = 2;
        goto done;
fail:
        fprintf(stderr, "swb-train: %s\n", errstr);
        rc = 1;
done:
        if (o.cv_errors)
                fclose(o.cv_errors);
        swb_classifier_destroy(clf);
        swb_dataset_destroy(td);
        return rc;
}
