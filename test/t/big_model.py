#!/usr/bin/python3
# test/t/big_model.py: a large valid model, written by XGBoost itself, for
# the memory test of install_model (035_model_memory.pl).
#
#   big_model.py OUTDIR MEGABYTES
#
# Writes OUTDIR/big.ubj, of about MEGABYTES MB, and OUTDIR/big.json, the same
# model as JSON.  The trees of a small model trained on the 25 features
# (depth 10) are repeated until the model has that size, then XGBoost loads
# the result and saves it in both formats, so that the bytes are XGBoost's.
import copy
import json
import os
import sys

import numpy as np
import xgboost as xgb

out, megabytes = sys.argv[1], float(sys.argv[2])
rng = np.random.default_rng(7)
x = rng.random((20000, 25))
y = 100 * x[:, 0] + 10 * x[:, 1] + rng.random(20000)
small = xgb.train({"max_depth": 10, "nthread": 1, "min_child_weight": 0},
                  xgb.DMatrix(x, y), 20)
doc = json.loads(small.save_raw("json"))
model = doc["learner"]["gradient_booster"]["model"]
trees = model["trees"]
per_tree = len(small.save_raw("ubj")) / len(trees)
n = int(megabytes * 1e6 / per_tree)
model["trees"] = []
for i in range(n):
    tree = copy.copy(trees[i % len(trees)])
    tree["id"] = i
    model["trees"].append(tree)
model["tree_info"] = [0] * n
model["gbtree_model_param"]["num_trees"] = str(n)

big = xgb.Booster()
big.load_model(bytearray(json.dumps(doc).encode()))
with open(os.path.join(out, "big.ubj"), "wb") as f:
    f.write(big.save_raw("ubj"))
with open(os.path.join(out, "big.json"), "wb") as f:
    f.write(big.save_raw("json"))
