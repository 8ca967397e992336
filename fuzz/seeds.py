#!/usr/bin/python3
# fuzz/seeds.py: the fuzzer's seed corpus.
#
#   seeds.py OUTDIR
#
# Writes into OUTDIR small valid models of every kind durpred serves (each
# objective, a forest, a pruned model with deleted nodes, a model of a
# subset of the features in another order, one without names, a stump), as
# JSON and UBJSON from XGBoost's save_model; the hand-written model of
# test/fixtures/tiny_model.sql, also with the bracketed base_score of newer
# XGBoost releases; and the corrupt corpus of test/t/corrupt_models.py made
# from one of them.  The models are those of test/t/xgb_models.py with three
# rounds of depth at most 4, so that the seeds stay a few kilobytes.
import os
import re
import subprocess
import sys

import numpy as np
import xgboost as xgb

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(top, "test", "t"))
import xgb_models  # noqa: E402


def main():
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    rng = np.random.default_rng(42)
    train = xgb_models.draw(rng, 2000, wild=False)
    y = xgb_models.target(rng, train)

    for name, params, rounds, subset, named in xgb_models.models():
        if name != "pruned":
            params["max_depth"] = min(params.get("max_depth", 6), 4)
        cols = ([xgb_models.NAMES.index(c) for c in subset] if subset
                else list(range(len(xgb_models.NAMES))))
        names = [xgb_models.NAMES[c] for c in cols] if named else None
        dtrain = xgb.DMatrix(train[:, cols].astype(np.float32), label=y,
                             feature_names=names, missing=np.nan)
        booster = xgb.train(params, dtrain, min(rounds, 3))
        for ext in (".json", ".ubj"):
            booster.save_model(os.path.join(outdir, "model_" + name + ext))

    # the hand-written model of the pg_regress suites
    sql = open(os.path.join(top, "test", "fixtures", "tiny_model.sql")).read()
    tiny = re.search(r"INSERT INTO tiny VALUES \('(.*?)'\);", sql, re.S).group(1)
    with open(os.path.join(outdir, "tiny.json"), "w") as f:
        f.write(tiny)
    with open(os.path.join(outdir, "tiny_bracketed.json"), "w") as f:
        f.write(tiny.replace('"base_score": "5E-1"', '"base_score": "[5E-1]"'))

    # the corrupt corpus, from the small model
    corpus = os.path.join(outdir, "corrupt")
    subprocess.check_call([sys.executable,
                           os.path.join(top, "test", "t", "corrupt_models.py"),
                           corpus, os.path.join(outdir, "model_small.json"),
                           os.path.join(outdir, "model_small.ubj")])
    os.remove(os.path.join(corpus, "corpus.csv"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
