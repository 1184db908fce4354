/*
 * swb_train - trains the embedded classifier (swb_classifier) from labelled
 * text: multinomial logistic regression (or a multi-class hinge loss) over
 * the classifier's hashed features, AdaGrad SGD, class weights; k-fold
 * cross-validation on the training data fits the softmax temperature and the
 * route rule and the out-of-scope threshold. Deterministic for a given seed
 * (single-threaded). Training data and figures: swb_dataset.h.
 */
#ifndef SWB_TRAIN_H
#define SWB_TRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "swb_classifier.h"
#include "swb_dataset.h"
#include "swb_err.h"

enum swb_train_level {
        SWB_TRAIN_INTENT = 0, /* one class per intent, summed per route */
        SWB_TRAIN_ROUTE,      /* one class per route */
};

enum swb_train_loss {
        SWB_TRAIN_LOGISTIC = 0, /* softmax cross-entropy */
        SWB_TRAIN_HINGE,        /* Crammer-Singer multi-class hinge */
};

struct swb_train_opts {
        unsigned seed;
        int epochs;
        int folds;                 /* cross-validation folds for calibration; < 2: none */
        enum swb_train_level level;
        enum swb_train_loss loss;
        struct swb_textfeat_opts feat;
        float lr;                  /* AdaGrad step */
        float l2;                  /* L2 penalty on touched weights */
        float class_weight_power;  /* class weight = (mean count / count)^power */
        float oos_weight;          /* extra weight of the "oos" group's classes */
        float travel_weight;       /* extra weight of the classes routed to an agent */
        bool average;              /* average the weights of the later half of the epochs */
        int rule;                  /* route decision: 0 largest route sum, 1 route of the top
                                      intent, -1 choose by cross-validation */
        int min_df;                /* feature buckets seen in fewer documents are dropped */
        float threshold;           /* < 0: choose by cross-validation; else use this */
        float route_loss;          /* weight of the route-level cross-entropy added to the
                                      intent-level one (logistic loss only) */
        float mix[3];              /* expected traffic mix (travel, other domains, oos) that
                                      the rule and threshold are chosen for (0.8/0.1/0.1) */
        FILE *log;                 /* progress lines, or NULL */
        FILE *cv_errors;           /* misrouted out-of-fold examples, or NULL */
};

void swb_train_opts_default(struct swb_train_opts *opts);

struct swb_train_report {
        size_t n_examples, n_classes, n_features; /* features = buckets kept */
        double train_route_acc, train_intent_acc;  /* final model on its own data */
        struct swb_dataset_figures cv;               /* out-of-fold, calibrated */
        float temperature, threshold;
        bool max_rule;                             /* the chosen route rule */
        double seconds;
};

/**
 * Train a classifier on `td`. Every intent in `td` must have a route.
 * @returns a new classifier (float weights; save with swb_classifier_save),
 * or NULL with errstr filled.
 */
swb_classifier_t *swb_train(const swb_dataset_t *td, const struct swb_train_opts *opts,
                            struct swb_train_report *report, char *errstr, size_t errstr_size);

#endif
