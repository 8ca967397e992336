#!/usr/bin/python3
# test/t/xgb_contribs.py: models, TreeSHAP values and feature importance
# from Debian's python3-xgboost, for the differential test of
# durpred.explain_duration and durpred.feature_importance
# (test/t/110_explain.pl).
#
#   xgb_contribs.py OUTDIR [--rows N] [--seed S]
#
# Writes into OUTDIR:
#   rows.csv        id + the 25 features, as xgb_models.py writes them
#   models.csv      name,file,objective,n_trees,max_depth for every model
#   <name>.json/.ubj  each model (the format alternates)
#   contribs.csv    model,id,feature,contribution: pred_contribs=True, one
#                   line per model input and row, plus 'base_value' (the
#                   bias column), %.9g of XGBoost's float32
#   margins.csv     model,id,margin: predict(output_margin=True)
#   importance.csv  model,feature,weight,gain,total_gain,cover,total_cover:
#                   get_score for each importance type
#
# The models: those of xgb_models.py (every objective durpred accepts, a
# subset of the features in another order, an unnamed model, a forest,
# pruned trees), plus one per depth from 1 to 12, a pruned deep one, and
# log-link models on deep trees.
import argparse
import csv
import os
import sys

import numpy as np
import xgboost as xgb

import xgb_models

IMPORTANCE = ["weight", "gain", "total_gain", "cover", "total_cover"]


def models():
    """name -> (params, rounds, feature subset or None, named)."""
    for m in xgb_models.models():
        yield m
    base = {"tree_method": "hist", "seed": 11, "nthread": 1}
    extra = {}
    for depth in range(1, 13):
        extra["depth_%d" % depth] = ({"max_depth": depth, "eta": 0.3}, 6, None, True)
    extra["pruned_deep"] = ({"max_depth": 10, "eta": 0.3, "gamma": 50.0,
                             "tree_method": "exact"}, 8, None, True)
    extra["gamma_deep"] = ({"objective": "reg:gamma", "max_depth": 9}, 10, None, True)
    extra["poisson_subset"] = ({"objective": "count:poisson", "max_depth": 6,
                                "max_delta_step": 2}, 12,
                               ["historical_median_duration", "sql_blocks",
                                "is_business_hours", "month"], True)
    extra["tweedie_exact"] = ({"objective": "reg:tweedie", "max_depth": 7,
                               "tree_method": "exact"}, 10, None, True)
    for name, (p, rounds, subset, named) in extra.items():
        params = dict(base)
        params.update(p)
        yield name, params, rounds, subset, named


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--rows", type=int, default=400)
    ap.add_argument("--seed", type=int, default=19)
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    names = xgb_models.NAMES

    train = xgb_models.draw(rng, 4000, wild=False)
    y = xgb_models.target(rng, train)
    score = xgb_models.draw(rng, args.rows, wild=True)

    with open(os.path.join(args.outdir, "rows.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id"] + names)
        for i, row in enumerate(score):
            w.writerow([i] + [xgb_models.sql_value(kind, v)
                              for (_, kind), v in zip(xgb_models.FEATURES, row)])

    out = {k: open(os.path.join(args.outdir, k + ".csv"), "w", newline="")
           for k in ("models", "contribs", "margins", "importance")}
    w = {k: csv.writer(f) for k, f in out.items()}
    w["models"].writerow(["name", "file", "objective", "n_trees", "max_depth"])
    w["contribs"].writerow(["model", "id", "feature", "contribution"])
    w["margins"].writerow(["model", "id", "margin"])
    w["importance"].writerow(["model", "feature"] + IMPORTANCE)

    for k, (name, params, rounds, subset, named) in enumerate(models()):
        cols = [names.index(c) for c in subset] if subset else list(range(25))
        fnames = [names[c] for c in cols] if named else None
        dtrain = xgb.DMatrix(train[:, cols].astype(np.float32), label=y,
                             feature_names=fnames, missing=np.nan)
        booster = xgb.train(params, dtrain, rounds)
        dscore = xgb.DMatrix(score[:, cols].astype(np.float32),
                             feature_names=fnames, missing=np.nan)
        contribs = booster.predict(dscore, pred_contribs=True)
        margins = booster.predict(dscore, output_margin=True)
        path = os.path.join(args.outdir, name + (".ubj" if k % 2 else ".json"))
        booster.save_model(path)
        w["models"].writerow([name, os.path.abspath(path),
                              params.get("objective", "reg:squarederror"),
                              len(booster.get_dump()), params["max_depth"]])
        labels = [names[c] for c in cols] + ["base_value"]
        for i in range(len(score)):
            for j, label in enumerate(labels):
                w["contribs"].writerow([name, i, label, "%.9g" % contribs[i, j]])
            w["margins"].writerow([name, i, "%.9g" % margins[i]])
        # get_score names features f0, f1, ... when the model has no names
        scores = {t: booster.get_score(importance_type=t) for t in IMPORTANCE}
        for c in cols:
            key = names[c] if named else "f%d" % cols.index(c)
            if key in scores["weight"]:
                w["importance"].writerow([name, names[c]] +
                                         ["%.9g" % scores[t][key] for t in IMPORTANCE])
    for f in out.values():
        f.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
