"""Round 8 error analysis (a diagnostic second look at the check sets, AFTER the one scoring;
it chooses nothing): each multilingual check message's shipped general-route (u, s), the
chosen e5 heads' own (u, s), and the mean that the candidate used.

    nice .venv/bin/python scripts/ml-experiments/round8/diagnose.py > /tmp/h77/diagnose.tsv
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from route import E5Heads, general_us, labels_of

from bigfish.ml.model import load_classifier

OUT = Path(os.environ.get("H77", "/tmp/h77"))  # noqa: S108 (scratch cache)


def main() -> None:
    chosen = json.loads((OUT / "cv.json").read_text())["chosen"]
    rows = json.loads((OUT / "train.json").read_text())
    heads = E5Heads(chosen["c"], chosen["balanced"]).fit(
        np.load(OUT / "emb_train.npy"), [r[1] for r in rows]
    )
    checks = json.loads((OUT / "checks.json").read_text())
    keep = [i for i, r in enumerate(checks) if r[0] in ("mc1", "mc2")]
    texts = [checks[i][3] for i in keep]
    e5 = heads.us(np.load(OUT / "emb_checks.npy")[keep])
    sh = general_us(load_classifier(), texts)
    mean = (e5 + sh) / 2
    print("set\tlang\tlabel\tshipped_u\tshipped_s\te5_u\te5_s\tmean_lab\te5_lab\ttext")
    for j, i in enumerate(keep):
        s, lang, label, text = checks[i]
        print(f"{s}\t{lang}\t{label}\t{sh[j, 0]:.3f}\t{sh[j, 1]:.3f}\t{e5[j, 0]:.3f}\t"
              f"{e5[j, 1]:.3f}\t{labels_of(mean[j:j + 1])[0]}\t{labels_of(e5[j:j + 1])[0]}\t"
              f"{text}")


if __name__ == "__main__":
    main()
