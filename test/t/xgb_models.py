#!/usr/bin/python3
# test/t/xgb_models.py: models and expected predictions from Debian's
# python3-xgboost, for the differential tests of the compiled evaluator.
#
#   xgb_models.py OUTDIR [--rows N] [--seed S] [--only NAME,...]
#
# Writes into OUTDIR:
#   rows.csv          id + the 25 features to score, as SQL reads them:
#                     whole numbers, t/f for booleans, empty = missing
#   models.csv        name,file,format,n_trees for every model file
#   <name>.json/.ubj  each model, saved by XGBoost's save_model
#   expected.csv      model,id,prediction: XGBoost's float32 prediction
#                     (%.9g, exact), for every model and row
#
# The training data are drawn in each feature's valid domain with 20 % of
# values missing; the rows to score add values far outside the training
# range (huge counts and durations, zero) and rows with everything missing.
import argparse
import csv
import os
import sys

import numpy as np
import xgboost as xgb

FEATURES = [
    ("start_hour", "int"), ("day_of_week", "int"), ("month", "int"),
    ("is_weekend", "bool"), ("is_business_hours", "bool"),
    ("total_blocks", "count"), ("sql_blocks", "count"),
    ("tableau_blocks", "count"), ("email_blocks", "count"),
    ("slack_blocks", "count"), ("parameter_blocks", "count"),
    ("code_blocks", "count"), ("plotly_blocks", "count"),
    ("kpi_blocks", "count"), ("api_blocks", "count"),
    ("writeback_blocks", "count"), ("conditional_blocks", "count"),
    ("loop_blocks", "count"), ("ai_blocks", "count"),
    ("storage_blocks", "count"), ("historical_run_count", "count"),
    ("historical_avg_duration", "duration"),
    ("historical_median_duration", "duration"),
    ("historical_stddev_duration", "duration"),
    ("historical_failure_rate", "rate"),
]
NAMES = [f for f, _ in FEATURES]


def draw(rng, n, wild):
    """n rows of the 25 features; wild adds values outside training ranges."""
    cols = []
    for name, kind in FEATURES:
        if name == "start_hour":
            c = rng.integers(0, 24, n).astype(float)
        elif name == "day_of_week":
            c = rng.integers(0, 7, n).astype(float)
        elif name == "month":
            c = rng.integers(1, 13, n).astype(float)
        elif kind == "bool":
            c = rng.integers(0, 2, n).astype(float)
        elif kind == "count":
            c = np.floor(rng.exponential(4.0, n))
            if wild:
                c = np.where(rng.random(n) < 0.05, 10.0 ** rng.integers(3, 9, n), c)
        elif kind == "duration":
            c = np.round(rng.lognormal(2.0, 1.2, n), 6)
            if wild:
                c = np.where(rng.random(n) < 0.05, 10.0 ** rng.integers(4, 12, n), c)
                c = np.where(rng.random(n) < 0.02, 0.0, c)
        else:
            c = np.round(rng.random(n), 6)
        c[rng.random(n) < 0.2] = np.nan
        cols.append(c)
    x = np.column_stack(cols)
    if wild:
        x[:5, :] = np.nan
    return x


def sql_value(kind, v):
    """A feature value as SQL reads it from CSV."""
    if np.isnan(v):
        return ""
    if kind == "bool":
        return "t" if v else "f"
    if kind in ("int", "count"):
        return str(int(v))
    return repr(float(v))


def target(rng, x):
    """A positive, learnable duration with noise."""
    z = np.nan_to_num(x, nan=0.0)
    idx = {n: i for i, n in enumerate(NAMES)}
    y = (1.0 + 0.8 * z[:, idx["sql_blocks"]] + 3.0 * z[:, idx["writeback_blocks"]]
         + 0.5 * np.minimum(z[:, idx["historical_avg_duration"]], 200.0)
         + 0.3 * z[:, idx["total_blocks"]] + 2.0 * z[:, idx["is_weekend"]]
         + 0.1 * z[:, idx["start_hour"]])
    return y * rng.lognormal(0.0, 0.4, len(y))


def models():
    """name -> (params, rounds, feature subset or None, named)."""
    base = {"tree_method": "hist", "seed": 7, "nthread": 1}
    m = {
        "one_stump": ({"max_depth": 1, "eta": 0.3}, 1, None, True),
        "small": ({"max_depth": 3, "eta": 0.3}, 10, None, True),
        "reference_like": ({"max_depth": 8, "eta": 0.1, "min_child_weight": 5,
                            "subsample": 0.8, "colsample_bytree": 0.8}, 33, None, True),
        "many_trees": ({"max_depth": 6, "eta": 0.05}, 500, None, True),
        "load_300": ({"max_depth": 8, "eta": 0.05}, 300, None, True),
        "deep": ({"max_depth": 12, "eta": 0.1}, 40, None, True),
        "pruned": ({"max_depth": 7, "eta": 0.3, "gamma": 20.0,
                    "tree_method": "exact"}, 20, None, True),
        "pseudohuber": ({"objective": "reg:pseudohubererror", "max_depth": 5}, 30, None, True),
        "absolute": ({"objective": "reg:absoluteerror", "max_depth": 5}, 30, None, True),
        "gamma": ({"objective": "reg:gamma", "max_depth": 5}, 30, None, True),
        "tweedie": ({"objective": "reg:tweedie", "max_depth": 5}, 30, None, True),
        "squaredlog": ({"objective": "reg:squaredlogerror", "max_depth": 5}, 30, None, True),
        "poisson": ({"objective": "count:poisson", "max_depth": 5}, 30, None, True),
        "subset_shuffled": ({"max_depth": 5}, 20,
                            ["historical_avg_duration", "writeback_blocks", "sql_blocks",
                             "start_hour", "is_weekend"], True),
        "unnamed": ({"max_depth": 4}, 15, None, False),
        "forest": ({"max_depth": 6, "num_parallel_tree": 4, "subsample": 0.7,
                    "colsample_bynode": 0.7, "eta": 1.0}, 3, None, True),
    }
    for name, (p, rounds, subset, named) in m.items():
        params = dict(base)
        params.update(p)
        yield name, params, rounds, subset, named


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--rows", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    only = set(filter(None, args.only.split(",")))
    os.makedirs(args.outdir, exist_ok=True)
    rng = np.random.default_rng(args.seed)

    train = draw(rng, 5000, wild=False)
    y = target(rng, train)
    score = draw(rng, args.rows, wild=True)

    with open(os.path.join(args.outdir, "rows.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id"] + NAMES)
        for i, row in enumerate(score):
            w.writerow([i] + [sql_value(kind, v) for (_, kind), v in zip(FEATURES, row)])

    listing = open(os.path.join(args.outdir, "models.csv"), "w", newline="")
    lw = csv.writer(listing)
    lw.writerow(["name", "file", "format", "n_trees"])
    expected = open(os.path.join(args.outdir, "expected.csv"), "w", newline="")
    ew = csv.writer(expected)
    ew.writerow(["model", "id", "prediction"])

    for name, params, rounds, subset, named in models():
        if only and name not in only:
            continue
        cols = [NAMES.index(c) for c in subset] if subset else list(range(25))
        names = [NAMES[c] for c in cols] if named else None
        dtrain = xgb.DMatrix(train[:, cols].astype(np.float32), label=y,
                             feature_names=names, missing=np.nan)
        booster = xgb.train(params, dtrain, rounds)
        dscore = xgb.DMatrix(score[:, cols].astype(np.float32),
                             feature_names=names, missing=np.nan)
        pred = booster.predict(dscore)
        n_trees = len(booster.get_dump())
        for ext, fmt in ((".json", "json"), (".ubj", "ubjson")):
            path = os.path.join(args.outdir, name + ext)
            booster.save_model(path)
            lw.writerow([name, os.path.abspath(path), fmt, n_trees])
        for i, p in enumerate(pred.astype(np.float32)):
            ew.writerow([name, i, "%.9g" % p])
    listing.close()
    expected.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
