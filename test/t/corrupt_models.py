#!/usr/bin/python3
# test/t/corrupt_models.py: a corpus of broken model files, for the test
# that install_model refuses every one and never crashes the server.
#
#   corrupt_models.py OUTDIR MODEL.json MODEL.ubj
#
# Writes OUTDIR/corpus.csv (name,file,must_fail) and the files.  must_fail
# is 0 only for random byte flips, which may leave a model valid (a flipped
# bit of a leaf value); those must simply not crash anything.
import copy
import csv
import json
import os
import random
import struct
import sys


def main():
    outdir, json_path, ubj_path = sys.argv[1:4]
    os.makedirs(outdir, exist_ok=True)
    rows = []

    def emit(name, data, must_fail=True):
        path = os.path.join(outdir, name)
        with open(path, "wb") as f:
            f.write(data)
        rows.append((name, os.path.abspath(path), 1 if must_fail else 0))

    text = open(json_path, "rb").read()
    ubj = open(ubj_path, "rb").read()
    model = json.loads(text)

    emit("empty", b"")
    emit("one_brace", b"{")
    emit("not_a_model", b'{"hello": "world"}')
    emit("nul_bytes", b"\0" * 64)

    # truncation at many offsets, of both formats
    for label, data in (("json", text), ("ubj", ubj)):
        offsets = sorted(set(list(range(1, 200, 7)) +
                             [len(data) * k // 40 for k in range(1, 40)] +
                             [len(data) - 1]))
        for off in offsets:
            emit("truncated_%s_%d" % (label, off), data[:off])

    # nesting far deeper than any model
    emit("deep_json", b'{"learner": ' + b"[" * 100000 + b"]" * 100000 + b"}")
    emit("deep_ubj", b"{L" + struct.pack(">q", 1) + b"a" + b"[" * 100000 + b"]" * 100000 + b"}")

    # length prefixes far beyond the input, and negative ones
    for n, huge in enumerate((2 ** 62, 2 ** 31, -5)):
        pos = ubj.index(b"[$d#L")
        emit("huge_count_%d" % n, ubj[:pos + 5] + struct.pack(">q", huge) + ubj[pos + 13:])
        pos = ubj.index(b"SL")
        emit("huge_string_%d" % n, ubj[:pos + 2] + struct.pack(">q", huge) + ubj[pos + 10:])
        emit("huge_key_%d" % n, b"{L" + struct.pack(">q", huge) + ubj[10:])

    def tree_edit(name, fn):
        m = copy.deepcopy(model)
        tree = m["learner"]["gradient_booster"]["model"]["trees"][0]
        fn(tree, m)
        emit(name, json.dumps(m).encode())

    internal = [i for i, l in enumerate(model["learner"]["gradient_booster"]["model"]["trees"][0]["left_children"]) if l != -1]
    leaf = [i for i, l in enumerate(model["learner"]["gradient_booster"]["model"]["trees"][0]["left_children"]) if l == -1]
    nfeat = int(model["learner"]["learner_model_param"]["num_feature"])

    tree_edit("nan_threshold", lambda t, m: t["split_conditions"].__setitem__(internal[0], float("nan")))
    tree_edit("inf_threshold", lambda t, m: t["split_conditions"].__setitem__(internal[-1], float("inf")))
    tree_edit("nan_leaf", lambda t, m: t["split_conditions"].__setitem__(leaf[0], float("nan")))
    tree_edit("child_out_of_range", lambda t, m: (t["left_children"].__setitem__(internal[0], 10 ** 6),
                                                  t["right_children"].__setitem__(internal[0], 10 ** 6 + 1)))
    tree_edit("child_negative", lambda t, m: (t["left_children"].__setitem__(internal[0], -7),
                                              t["right_children"].__setitem__(internal[0], -6)))
    tree_edit("self_loop", lambda t, m: (t["left_children"].__setitem__(internal[1], internal[1]),
                                         t["right_children"].__setitem__(internal[1], internal[1] + 1)))
    tree_edit("cycle_to_root", lambda t, m: (t["left_children"].__setitem__(internal[-1], 0),
                                             t["right_children"].__setitem__(internal[-1], 1)))
    tree_edit("cycle", lambda t, m: (t["left_children"].__setitem__(internal[-1], internal[1]),
                                     t["right_children"].__setitem__(internal[-1], internal[1] + 1)))
    tree_edit("shared_child", lambda t, m: (t["left_children"].__setitem__(internal[-1], t["left_children"][0]),
                                            t["right_children"].__setitem__(internal[-1], t["left_children"][0] + 1)))
    tree_edit("right_not_next", lambda t, m: t["right_children"].__setitem__(internal[0], t["left_children"][internal[0]] + 2))
    tree_edit("split_index_num_feature", lambda t, m: t["split_indices"].__setitem__(internal[0], nfeat))
    tree_edit("split_index_negative", lambda t, m: t["split_indices"].__setitem__(internal[0], -1))
    tree_edit("parent_out_of_range", lambda t, m: t["parents"].__setitem__(len(t["parents"]) - 1, 10 ** 6))
    for key in ("left_children", "right_children", "parents", "split_indices",
                "split_conditions", "default_left", "base_weights", "loss_changes", "sum_hessian"):
        tree_edit("short_" + key, lambda t, m, key=key: t[key].pop())
        tree_edit("long_" + key, lambda t, m, key=key: t[key].append(t[key][-1]))
        tree_edit("missing_" + key, lambda t, m, key=key: t.pop(key))
    tree_edit("num_nodes_wrong", lambda t, m: t["tree_param"].__setitem__("num_nodes", str(int(t["tree_param"]["num_nodes"]) + 1)))
    tree_edit("num_deleted_wrong", lambda t, m: t["tree_param"].__setitem__("num_deleted", "3"))
    tree_edit("tree_id_wrong", lambda t, m: t.__setitem__("id", 5))
    tree_edit("tree_info_short", lambda t, m: m["learner"]["gradient_booster"]["model"]["tree_info"].pop())
    tree_edit("num_trees_wrong", lambda t, m: m["learner"]["gradient_booster"]["model"]["gbtree_model_param"].__setitem__("num_trees", "9999"))
    tree_edit("trees_not_array", lambda t, m: m["learner"]["gradient_booster"]["model"].__setitem__("trees", {}))
    tree_edit("learner_not_object", lambda t, m: m.__setitem__("learner", [1]))
    tree_edit("base_score_nan", lambda t, m: m["learner"]["learner_model_param"].__setitem__("base_score", "NaN"))
    tree_edit("num_feature_huge", lambda t, m: m["learner"]["learner_model_param"].__setitem__("num_feature", "99999999999"))
    tree_edit("unknown_feature", lambda t, m: m["learner"]["feature_names"].__setitem__(0, "rows_in_queue"))
    tree_edit("categorical", lambda t, m: t["split_type"].__setitem__(internal[0], 1))
    tree_edit("dart", lambda t, m: m["learner"]["gradient_booster"].__setitem__("name", "dart"))
    tree_edit("gblinear", lambda t, m: m["learner"]["gradient_booster"].__setitem__("name", "gblinear"))
    tree_edit("multiclass", lambda t, m: m["learner"]["learner_model_param"].__setitem__("num_class", "4"))
    tree_edit("objective_unknown", lambda t, m: m["learner"]["objective"].__setitem__("name", "rank:pairwise"))

    # random single-byte flips in the binary form
    rng = random.Random(20261122)
    for k in range(300):
        data = bytearray(ubj)
        pos = rng.randrange(len(data))
        data[pos] = rng.randrange(256)
        emit("flip_%03d" % k, bytes(data), must_fail=False)

    with open(os.path.join(outdir, "corpus.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["name", "file", "must_fail"])
        w.writerows(rows)


if __name__ == "__main__":
    main()
