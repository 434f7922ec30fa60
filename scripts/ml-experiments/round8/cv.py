"""Round 8 model selection on the training split only (README.md: the rule).

    nice .venv/bin/python scripts/ml-experiments/round8/cv.py   # after embed.py train

Writes $H77/cv.json and prints the tables. Never reads the held-out split or a check set.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from route import E5Heads, e5_route, english_vocabulary, general_us, labels_of

from bigfish.ml.data import read_labelled, split
from bigfish.ml.model import Classifier
from bigfish.ml.train import DEFAULT_SEED, _fold, fit_weights

ROOT = Path(__file__).resolve().parents[3]
OUT = Path(os.environ.get("H77", "/tmp/h77"))  # noqa: S108 (scratch cache)
GRID = [(c, b) for c in (0.01, 0.1, 1.0) for b in (False, True)]


def f1(truth: np.ndarray, guess: np.ndarray) -> float:
    tp = int((truth & guess).sum())
    return 2 * tp / max(2 * tp + int((truth ^ guess).sum()), 1)


def main() -> None:
    train, _ = split(read_labelled(ROOT / "data/messages"), seed=DEFAULT_SEED)
    cached = json.loads((OUT / "train.json").read_text())
    assert [r[2] for r in cached] == [ex.text for ex in train], "cache is of another split"
    x = np.load(OUT / "emb_train.npy")
    ds = np.array([ex.dataset for ex in train])
    y = np.array([ex.label for ex in train])
    texts = [ex.text for ex in train]
    en = np.flatnonzero(ds != "thai")
    th = np.flatnonzero(ds == "thai")
    out: dict[str, object] = {}

    # Leave-one-language-out proxy: fit on English, score on Thai through the general route.
    t0 = time.time()
    shipped_en = Classifier(fit_weights([train[i] for i in en]))
    sh_th = general_us(shipped_en, [texts[i] for i in th])
    print(f"shipped design fitted on English in {time.time() - t0:.0f}s", flush=True)
    scam_t, legit_t = y[th] == "scam", y[th] == "legit"

    def lolo(us: np.ndarray) -> dict[str, float]:
        lab = labels_of(us)
        rec = float((lab[scam_t] == "scam").mean())
        spec = float((lab[legit_t] == "legit").mean())
        return {
            "scam_as_scam": rec,
            "legit_as_legit": spec,
            "score": (rec + spec) / 2,
            "scam_f1": f1(scam_t, lab == "scam"),
            "unwanted_f1": f1(~legit_t, lab != "legit"),
        }

    rows = [{"variant": "shipped design alone (general route)", **lolo(sh_th)}]
    for c, b in GRID:
        heads = E5Heads(c, b).fit(x[en], y[en])
        e5 = heads.us(x[th])
        rows.append({"variant": f"e5 C={c} balanced={b}", "c": c, "balanced": b,
                     "combo": "e5", **lolo(e5)})
        rows.append({"variant": f"mean(shipped, e5) C={c} balanced={b}", "c": c,
                     "balanced": b, "combo": "mean", **lolo((e5 + sh_th) / 2)})
    out["lolo_en_to_th"] = rows

    # Reverse proxy (reported only): e5 fitted on Thai, scored on UCI and seed-en.
    rev = []
    for c, b in GRID:
        lab = labels_of(E5Heads(c, b).fit(x[th], y[th]).us(x[en]))
        r = {"variant": f"e5 C={c} balanced={b}"}
        for name in ("uci", "seed-en"):
            m = ds[en] == name
            r[f"{name}_unwanted_f1"] = f1(y[en][m] != "legit", lab[m] != "legit")
            r[f"{name}_scam_f1"] = f1(y[en][m] == "scam", lab[m] == "scam")
        rev.append(r)
    out["reverse_th_to_en"] = rev

    # Ordinary inner 5-fold CV (project folds), e5 heads alone on every data set (reported only).
    folds = np.array([_fold(ex) for ex in train])
    inner = []
    for c, b in GRID:
        lab = np.empty(len(train), dtype=object)
        for k in range(5):
            tr, te = folds != k, folds == k
            lab[te] = labels_of(E5Heads(c, b).fit(x[tr], y[tr]).us(x[te]))
        r = {"variant": f"e5 C={c} balanced={b}"}
        for name in ("thai", "uci", "seed-en"):
            m = ds == name
            r[f"{name}_scam_f1"] = f1(y[m] == "scam", lab[m] == "scam")
            r[f"{name}_unwanted_f1"] = f1(y[m] != "legit", lab[m] != "legit")
        inner.append(r)
    out["inner_cv_e5"] = inner

    # Router: share of English training texts sent to the e5 route, out of fold.
    sent = np.zeros(len(train), dtype=bool)
    for k in range(5):
        vocab = english_vocabulary(texts[i] for i in en if folds[i] != k)
        idx = [i for i in range(len(train)) if folds[i] == k]
        sent[idx] = e5_route([texts[i] for i in idx], vocab)
    out["router_oof"] = {
        name: {"n": int((ds == name).sum()), "to_e5": int(sent[ds == name].sum())}
        for name in ("uci", "seed-en", "thai")
    }
    out["router_oof_examples"] = [texts[i] for i in np.flatnonzero(sent & (ds != "thai"))][:40]

    best = max(
        (r for r in rows if "combo" in r),
        key=lambda r: (round(r["score"], 6), r["combo"] == "e5", -r["c"], not r["balanced"]),
    )
    out["chosen"] = best
    (OUT / "cv.json").write_text(json.dumps(out, indent=1, ensure_ascii=False))
    print(json.dumps(out, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
