"""Shared setup for the mlA experiments: train_part only, project folds, cached raw features."""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.metrics import f1_score

from bigfish.ml.data import read_shared, split
from bigfish.ml.evaluate import _cv_fold
from bigfish.ml.features import dense_features, normalize_text

SEED = 20251217
DATA = Path("/work/main/data/messages")
import os

FOLDSEED = int(os.environ.get("FOLDSEED", SEED))  # robustness checks only; default = project folds
CACHE = Path("/tmp/mlA/cache") if FOLDSEED == SEED else Path(f"/tmp/mlA/cache-{FOLDSEED}")
CACHE.mkdir(exist_ok=True)


def load(part: str = "train") -> dict[str, dict]:
    """Per data set: texts, labels, folds. part='test' only from best.py at the very end."""
    train_part, test_part = split(read_shared(DATA), seed=SEED)
    exs = train_part if part == "train" else test_part
    out = {}
    for name in ("thai", "uci"):
        mine = [e for e in exs if e.dataset == name]
        out[name] = {
            "texts": [e.text for e in mine],
            "labels": np.array([e.label for e in mine]),
            "source": np.array([e.source_label for e in mine]),
            "fold": np.array([_cv_fold(e, FOLDSEED, 5) for e in mine]),
        }
    return out


_THAI = re.compile(r"[\u0E00-\u0E7F]")


def thai_words(text: str) -> list[str]:
    from pythainlp.tokenize import word_tokenize

    toks = word_tokenize(normalize_text(text), engine="newmm", keep_whitespace=False)
    return [t for t in toks if t.strip()]


_GW: tuple[frozenset[str], int] | None = None


def greedy_words(text: str) -> list[str]:
    """Portable segmenter: greedy longest match against pythainlp's word list inside Thai runs
    (the list would ship as data; no pythainlp at run time). Non-Thai runs split on \\W."""
    global _GW
    if _GW is None:
        from pythainlp.corpus import thai_words as tw

        words = frozenset(w for w in tw() if len(w) <= 20)
        _GW = (words, max(map(len, words)))
    words, longest = _GW
    out: list[str] = []
    for run in re.findall(r"[\u0E00-\u0E7F]+|[^\W_\u0E00-\u0E7F]+|[^\w\s]", normalize_text(text)):
        if not _THAI.match(run):
            out.append(run)
            continue
        i, n = 0, len(run)
        while i < n:
            for L in range(min(longest, n - i), 0, -1):
                if L == 1 or run[i : i + L] in words:
                    out.append(run[i : i + L])
                    i += L
                    break
    return out


def mm_words(text: str) -> list[str]:
    """Portable maximal matching: per Thai run, DP minimizing (unknown chars, words) with
    pythainlp's word list; consecutive unknown chars are merged into one token."""
    greedy_words("")
    assert _GW is not None
    words, longest = _GW
    out: list[str] = []
    for run in re.findall(r"[\u0E00-\u0E7F]+|[^\W_\u0E00-\u0E7F]+|[^\w\s]", normalize_text(text)):
        if not _THAI.match(run):
            out.append(run)
            continue
        n = len(run)
        best = [(0, 0)] + [(10**9, 10**9)] * n
        back = [0] * (n + 1)
        for i in range(n):
            bi = best[i]
            if bi[0] >= 10**9:
                continue
            cand = (bi[0] + 1, bi[1] + 1)
            if cand < best[i + 1]:
                best[i + 1], back[i + 1] = cand, -i - 1  # unknown char (negative marks unknown)
            for L in range(2, min(longest, n - i) + 1):
                if run[i : i + L] in words:
                    cand = (bi[0], bi[1] + 1)
                    if cand < best[i + L]:
                        best[i + L], back[i + L] = cand, i
            if run[i] in words:
                cand = (bi[0], bi[1] + 1)
                if cand < best[i + 1]:
                    best[i + 1], back[i + 1] = cand, i
        toks: list[tuple[str, bool]] = []
        j = n
        while j > 0:
            b = back[j]
            if b < 0:
                i = -b - 1
                toks.append((run[i:j], True))
            else:
                i = b
                toks.append((run[i:j], False))
            j = i
        toks.reverse()
        merged: list[str] = []
        prev_unknown = False
        for t, unk in toks:
            if unk and prev_unknown:
                merged[-1] += t
            else:
                merged.append(t)
            prev_unknown = unk
        out.extend(merged)
    return out


def latin_words(text: str) -> list[str]:
    return re.findall(r"\w+|[^\w\s]", normalize_text(text))


def raw_features(texts: list[str], kind: str) -> sp.csr_matrix:
    """Stateless hashed count features (idf is fitted per training fold later)."""
    norm = [normalize_text(t) for t in texts]
    if kind == "c15":
        hv = HashingVectorizer(analyzer="char", ngram_range=(1, 5), n_features=2**20,
                               alternate_sign=False, norm=None, lowercase=False)
        return hv.transform(norm).tocsr()
    if kind == "wb25":
        hv = HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5), n_features=2**20,
                               alternate_sign=False, norm=None, lowercase=False)
        return hv.transform(norm).tocsr()
    if kind in ("w12", "tw12", "tw13", "gw12", "mw12"):
        tok = {"w": latin_words, "t": thai_words, "g": greedy_words, "m": mm_words}[kind[0]]
        hi = 3 if kind == "tw13" else 2
        hv = HashingVectorizer(analyzer=lambda s: _ngrams(tok(s), hi), n_features=2**20,
                               alternate_sign=False, norm=None, lowercase=False)
        return hv.transform(texts).tocsr()
    if kind == "dense":
        return sp.csr_matrix(dense_features(texts))
    raise ValueError(kind)


def _ngrams(toks: list[str], hi: int) -> list[str]:
    out = list(toks)
    for n in range(2, hi + 1):
        out += [" ".join(toks[i : i + n]) for i in range(len(toks) - n + 1)]
    return out


def cached(name: str, texts: list[str], kind: str) -> sp.csr_matrix:
    p = CACHE / f"{name}-{kind}-{len(texts)}.npz"
    if p.exists():
        return sp.load_npz(p).tocsr()
    x = raw_features(texts, kind)
    sp.save_npz(p, x)
    return x


def tfidf(xtr: sp.csr_matrix, xte: sp.csr_matrix) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    t = TfidfTransformer(sublinear_tf=True).fit(xtr)
    return t.transform(xtr), t.transform(xte)


def task_f1(name: str, labels: np.ndarray, pred: np.ndarray) -> float:
    if name == "thai":
        return float(f1_score(labels == "scam", pred == "scam"))
    return float(f1_score(labels != "legit", pred != "legit"))


class Timer:
    def __enter__(self):
        self.t = time.process_time()
        return self

    def __exit__(self, *a):
        self.dt = time.process_time() - self.t
