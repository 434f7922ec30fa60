"""Round 8: score the chosen variant ONCE on the check sets (README.md: the rule).

    nice .venv/bin/python scripts/ml-experiments/round8/embed.py checks
    nice .venv/bin/python scripts/ml-experiments/round8/score.py   # reads $H77/cv.json's choice

Writes $H77/score.json (every check message: route, reason, shipped and candidate label and
P(scam)) and prints per-language tables.
"""

from __future__ import annotations

import json
import os
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from route import E5Heads, english_vocabulary, general_us, labels_of, why_e5

from bigfish.ml.data import read_labelled, split
from bigfish.ml.model import load_classifier
from bigfish.ml.train import DEFAULT_SEED

ROOT = Path(__file__).resolve().parents[3]
OUT = Path(os.environ.get("H77", "/tmp/h77"))  # noqa: S108 (scratch cache)


def main() -> None:
    chosen = json.loads((OUT / "cv.json").read_text())["chosen"]
    train, _ = split(read_labelled(ROOT / "data/messages"), seed=DEFAULT_SEED)
    assert [r[2] for r in json.loads((OUT / "train.json").read_text())] == [
        ex.text for ex in train
    ]
    x = np.load(OUT / "emb_train.npy")
    heads = E5Heads(chosen["c"], chosen["balanced"]).fit(x, [ex.label for ex in train])
    vocab = english_vocabulary(ex.text for ex in train if ex.dataset != "thai")

    rows = json.loads((OUT / "checks.json").read_text())
    xc = np.load(OUT / "emb_checks.npy")
    texts = [r[3] for r in rows]
    shipped = load_classifier()
    base = shipped.classify_batch(texts)
    base_lab = np.array([c.label for c in base])
    base_p = np.array([c.scam_probability for c in base])
    e5 = heads.us(xc)
    if chosen["combo"] == "mean":
        e5 = (e5 + general_us(shipped, texts)) / 2
    e5_lab = labels_of(e5)
    reasons = [why_e5(t, vocab) for t in texts]
    routed = np.array([r is not None for r in reasons])
    cand_lab = np.where(routed, e5_lab, base_lab)
    cand_p = np.where(routed, e5[:, 0] * e5[:, 1], base_p)

    table: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for i, (s, lang, label, _) in enumerate(rows):
        for key in ((s, lang), (s, "all")):
            t = table[key]
            t[f"n_{label}"] += 1
            t["to_e5"] += int(routed[i])
            for who, lab in (("shipped", base_lab[i]), ("cand", cand_lab[i])):
                if label == "scam":
                    t[f"{who}_scam_as_scam"] += int(lab == "scam")
                    t[f"{who}_scam_as_unwanted"] += int(lab != "legit")
                else:
                    t[f"{who}_legit_as_legit"] += int(lab == "legit")
                    t[f"{who}_legit_as_scam"] += int(lab == "scam")
    print("| set | lang | to e5 route | scams→scam shipped / cand | scams→unwanted | "
          "legit→legit | legit→scam |")
    for (s, lang), t in table.items():
        print(f"| {s} | {lang} | {t['to_e5']}/{t['n_scam'] + t['n_legit']} | "
              f"{t['shipped_scam_as_scam']} / {t['cand_scam_as_scam']} (of {t['n_scam']}) | "
              f"{t['shipped_scam_as_unwanted']} / {t['cand_scam_as_unwanted']} | "
              f"{t['shipped_legit_as_legit']} / {t['cand_legit_as_legit']} (of {t['n_legit']}) | "
              f"{t['shipped_legit_as_scam']} / {t['cand_legit_as_scam']} |")
    mc2 = table[("mc2", "all")]
    en_same = all(cand_lab[i] == base_lab[i] for i, r in enumerate(rows) if r[0] in ("en1", "en2"))
    passed = mc2["cand_scam_as_scam"] >= 40 and mc2["cand_legit_as_legit"] >= 47 and en_same
    verdict = {"chosen": chosen, "english_unchanged": en_same, "passed": bool(passed)}
    print(json.dumps(verdict, indent=1))
    detail = [
        {"set": r[0], "lang": r[1], "label": r[2], "text": r[3], "route": reasons[i],
         "shipped": str(base_lab[i]), "shipped_p": float(base_p[i]),
         "cand": str(cand_lab[i]), "cand_p": round(float(cand_p[i]), 4),
         "e5_u": round(float(e5[i, 0]), 4), "e5_s": round(float(e5[i, 1]), 4)}
        for i, r in enumerate(rows)
    ]
    (OUT / "score.json").write_text(json.dumps(
        {"verdict": verdict, "table": {f"{k[0]}/{k[1]}": v for k, v in table.items()},
         "messages": detail}, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
