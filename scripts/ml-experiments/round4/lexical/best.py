"""Best CV variant of the mlA family (sparse/lexical stacking), self-contained.

Per data set (Thai / UCI) a stack of three linear SVMs over hashed, sublinear tf-idf features
  * char 1-5-grams of the normalized text (lower case, digits -> 0)
  * char_wb 2-5-grams
  * word 1-2-grams, Thai runs segmented (--seg newmm: pythainlp newmm; --seg mm: a portable
    maximal-matching segmenter over pythainlp's word list, no pythainlp at run time)
and a logistic-regression meta-learner over the SVMs' out-of-fold margins (the project's 5
CV folds inside the training data). Thai: 3 classes (legit/scam/spam), label = meta argmax.
UCI: unwanted vs legit. The SVM C per data set was chosen by nested CV (see RESULTS.md).

CV figures are nested: for each outer fold the meta-learner is trained on inner out-of-fold
margins only. The held-out split is read only with --heldout, after the CV figures.

  /work/main/.venv/bin/python /tmp/mlA/best.py --seg newmm [--heldout]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

sys.path.insert(0, str(Path(__file__).parent))
from common import SEED, load, mm_words, task_f1, thai_words  # noqa: E402

# (analyzer kind, SVM C) per data set, chosen by CV on train_part (RESULTS.md)
CONFIG = {
    "thai": [("c15", 1.0), ("wb25", 1.0), ("w12", 1.0)],
    "uci": [("c15", 10.0), ("wb25", 1.0), ("w12", 1.0)],
}


def _ngrams(toks: list[str]) -> list[str]:
    return toks + [a + " " + b for a, b in zip(toks, toks[1:])]


def vectorizer(kind: str, seg: str) -> HashingVectorizer:
    common = dict(n_features=2**20, alternate_sign=False, norm=None, lowercase=False)
    if kind == "c15":
        return HashingVectorizer(analyzer="char", ngram_range=(1, 5), **common)
    if kind == "wb25":
        return HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5), **common)
    tok = thai_words if seg == "newmm" else mm_words
    return HashingVectorizer(analyzer=lambda s: _ngrams(tok(s)), **common)


def featurize(texts: list[str], kind: str, seg: str) -> sp.csr_matrix:
    from bigfish.ml.features import normalize_text

    if kind == "w12":  # the tokenizers normalize themselves
        return vectorizer(kind, seg).transform(texts).tocsr()
    return vectorizer(kind, seg).transform([normalize_text(t) for t in texts]).tocsr()


class Base:
    def __init__(self, C: float) -> None:
        self.C = C

    def fit(self, x: sp.csr_matrix, y: np.ndarray) -> Base:
        self.tf = TfidfTransformer(sublinear_tf=True).fit(x)
        self.svm = LinearSVC(C=self.C, max_iter=20000, random_state=0).fit(self.tf.transform(x), y)
        return self

    def margins(self, x: sp.csr_matrix) -> np.ndarray:
        m = self.svm.decision_function(self.tf.transform(x))
        return m[:, None] if m.ndim == 1 else m


class Stack:
    """Bases fitted on all rows given; meta on their OOF margins over FOLD."""

    def __init__(self, name: str) -> None:
        self.name = name

    def fit(self, xs: list[sp.csr_matrix], y: np.ndarray, fold: np.ndarray) -> Stack:
        cfg = CONFIG[self.name]
        oof = []
        for (_, C), x in zip(cfg, xs, strict=True):
            z = None
            for j in np.unique(fold):
                a, b = fold != j, fold == j
                m = Base(C).fit(x[a], y[a]).margins(x[b])
                if z is None:
                    z = np.zeros((len(y), m.shape[1]))
                z[b] = m
            oof.append(z)
        self.meta = LogisticRegression(C=1.0, max_iter=5000).fit(np.hstack(oof), y)
        self.bases = [Base(C).fit(x, y) for (_, C), x in zip(cfg, xs, strict=True)]
        return self

    def predict(self, xs: list[sp.csr_matrix]) -> np.ndarray:
        z = np.hstack([b.margins(x) for b, x in zip(self.bases, xs, strict=True)])
        return self.meta.predict(z)


def target(name: str, labels: np.ndarray) -> np.ndarray:
    return labels if name == "thai" else np.where(labels == "legit", "legit", "spam")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seg", choices=("newmm", "mm"), default="newmm")
    ap.add_argument("--heldout", action="store_true", help="score test_part once at the end")
    a = ap.parse_args()
    train = load("train")
    models = {}
    for name in ("thai", "uci"):
        d = train[name]
        xs = [featurize(d["texts"], k, a.seg) for k, _ in CONFIG[name]]
        y = target(name, d["labels"])
        fold = d["fold"]
        pred = np.empty(len(y), dtype=object)
        for k in range(5):
            tr, te = fold != k, fold == k
            st = Stack(name).fit([x[tr] for x in xs], y[tr], fold[tr])
            pred[te] = st.predict([x[te] for x in xs])
        print(f"CV (nested, project folds, seed {SEED}) {name}: "
              f"{task_f1(name, d['labels'], pred.astype(str)):.4f}", flush=True)
        c0 = time.process_time()
        models[name] = Stack(name).fit(xs, y, fold)
        print(f"  fit on train_part: {time.process_time() - c0:.1f} s CPU", flush=True)
    # inference speed on training texts (features + 3 SVMs + meta), CPU time, one process
    texts = train["thai"]["texts"] + train["uci"]["texts"]
    for name in ("thai", "uci"):
        sample = train[name]["texts"]
        c0 = time.process_time()
        models[name].predict([featurize(sample, k, a.seg) for k, _ in CONFIG[name]])
        dt = time.process_time() - c0
        print(f"  inference {name}: {len(sample) / dt:.0f} messages/s CPU ({len(sample)} texts)")
    del texts
    if a.heldout:
        test = load("test")
        for name in ("thai", "uci"):
            d = test[name]
            pred = models[name].predict([featurize(d["texts"], k, a.seg) for k, _ in CONFIG[name]])
            print(f"HELD-OUT {name}: {task_f1(name, d['labels'], pred.astype(str)):.4f} "
                  f"({len(d['texts'])} messages)")


if __name__ == "__main__":
    main()
