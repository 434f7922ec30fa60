"""Nested-CV stacking over cached level-1 scores (train_part only).

For outer fold k the meta-learner is fitted on inner OOF scores (base models fitted without fold k
and without fold j, scored on j), and applied to outer scores (bases fitted on all folds but k).
So the CV figure is not optimistic w.r.t. the stacker.

python stack.py thai "svm_c15_C1,knn_c15" [--C 1] [--thr]
"""

from __future__ import annotations

import argparse

import numpy as np
from sklearn.linear_model import LogisticRegression

from common import CACHE, load, task_f1

D = load("train")


def lv(name: str, base: str) -> dict[str, np.ndarray]:
    z = np.load(CACHE / f"lvl1-{name}-{base}.npz")
    return {"outer": z["outer"], "inner": z["inner"]}


def single(name: str, base: str) -> float:
    """CV F1 of one base model alone (argmax / margin>0)."""
    z = lv(name, base)["outer"]
    if base.startswith(("knn", "dense")) or (name == "thai" and z.shape[1] != 3):
        return float("nan")
    labels = D[name]["labels"]
    if name == "thai":
        pred = np.array(["legit", "scam", "spam"])[z.argmax(1)]
    else:
        pred = np.where(z[:, 0] > 0, "spam", "legit")
    return task_f1(name, labels, pred)


def stack(name: str, bases: list[str], C: float = 1.0, thr: bool = False,
          cw: str | None = None) -> tuple[float, np.ndarray]:
    zs = [lv(name, b) for b in bases]
    fold = D[name]["fold"]
    labels = D[name]["labels"]
    y = labels if name == "thai" else (labels != "legit").astype(int)
    n = len(fold)
    prob_pos = np.zeros(n)
    pred = np.empty(n, dtype=object)
    for k in range(5):
        tr, te = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
        xi = np.hstack([z["inner"][k][tr] for z in zs])
        xo = np.hstack([z["outer"][te] for z in zs])
        meta = LogisticRegression(C=C, max_iter=5000, class_weight=cw).fit(xi, y[tr])
        classes = list(meta.classes_)
        pos = classes.index("scam") if name == "thai" else classes.index(1)
        p = meta.predict_proba(xo)
        prob_pos[te] = p[:, pos]
        if thr:
            # threshold for the positive class from the meta's own inner CV on the inner OOF rows
            fin = fold[tr]
            pin = np.zeros(len(tr))
            for j in np.unique(fin):
                a, b = fin != j, fin == j
                mm = LogisticRegression(C=C, max_iter=5000, class_weight=cw).fit(xi[a], y[tr][a])
                pin[b] = mm.predict_proba(xi[b])[:, pos]
            ypos = (y[tr] == ("scam" if name == "thai" else 1))
            best, bt = -1.0, 0.5
            for t in np.arange(0.2, 0.81, 0.025):
                tp = ((pin >= t) & ypos).sum()
                f = 2 * tp / ((pin >= t).sum() + ypos.sum())
                if f > best + 1e-9:
                    best, bt = f, t
            is_pos = p[:, pos] >= bt
        else:
            is_pos = p.argmax(1) == pos
        if name == "thai":
            other = np.array(classes)[p.argmax(1)]
            # if not positive: best of the remaining classes
            p2 = p.copy()
            p2[:, pos] = -1
            rest = np.array(classes)[p2.argmax(1)]
            pred[te] = np.where(is_pos, "scam", np.where(other == "scam", rest, other))
        else:
            pred[te] = np.where(is_pos, "spam", "legit")
    return task_f1(name, labels, pred.astype(str)), prob_pos


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("name")
    ap.add_argument("bases")
    ap.add_argument("--C", type=float, default=1.0)
    ap.add_argument("--thr", action="store_true")
    ap.add_argument("--cw", default=None)
    a = ap.parse_args()
    bs = a.bases.split(",")
    for b in bs:
        print(f"  single {b}: {single(a.name, b):.4f}")
    f, _ = stack(a.name, bs, a.C, a.thr, a.cw)
    print(f"{a.name} stack[{a.bases}] C={a.C} thr={a.thr} cw={a.cw}: {f:.4f}")
