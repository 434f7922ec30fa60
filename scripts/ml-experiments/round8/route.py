"""Round 8 router and e5 heads (see README.md: the rule, fixed before scoring)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from bigfish.ml.features import thai_script

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
# Vietnamese letters that English, Malay/Indonesian and Tagalog do not use.
VI = re.compile(
    "[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"
    "ĂÂĐÊÔƠƯẠẢẤẦẨẪẬẮẰẲẴẶẸẺẼẾỀỂỄỆỈỊỌỎỐỒỔỖỘỚỜỞỠỢỤỦỨỪỬỮỰỲỴỶỸ]"
)
WORD = re.compile(r"[a-z]{2,}")
MIN_DOCS = 3
MIN_TOKENS = 3
ENGLISH_SHARE = 0.5


def english_vocabulary(texts: Iterable[str]) -> frozenset[str]:
    """Tokens found in at least MIN_DOCS distinct texts (the English training texts)."""
    docs = Counter(tok for t in texts for tok in set(WORD.findall(t.lower())))
    return frozenset(tok for tok, n in docs.items() if n >= MIN_DOCS)


def why_e5(text: str, vocab: frozenset[str]) -> str | None:
    """The rule that sends TEXT to the e5 route, or None (shipped model)."""
    if thai_script([text])[0]:
        return None
    if HAN.search(text):
        return "han"
    if len(VI.findall(text)) >= 2:
        return "vietnamese"
    letters = [c for c in text if c.isalpha()]
    if letters and sum(c.isascii() for c in letters) < 0.5 * len(letters):
        return "script"
    tokens = WORD.findall(text.lower())
    if len(tokens) >= MIN_TOKENS and sum(t in vocab for t in tokens) < ENGLISH_SHARE * len(tokens):
        return "not-english"
    return None


def e5_route(texts: Sequence[str], vocab: frozenset[str]) -> np.ndarray:
    return np.array([why_e5(t, vocab) is not None for t in texts], dtype=bool)


class E5Heads:
    """Standardized e5 vectors → two logistic-regression heads (unwanted; scam among unwanted)."""

    def __init__(self, c: float, balanced: bool) -> None:
        self.c, self.balanced = c, balanced

    def fit(self, x: np.ndarray, labels: Sequence[str]) -> E5Heads:
        from sklearn.linear_model import LogisticRegression

        y = np.asarray(labels)
        self.mean = x.mean(axis=0)
        self.std = x.std(axis=0) + 1e-6
        z = (x - self.mean) / self.std
        cw = "balanced" if self.balanced else None
        unwanted = y != "legit"
        self.h0 = LogisticRegression(C=self.c, class_weight=cw, max_iter=5000).fit(z, unwanted)
        self.h1 = LogisticRegression(C=self.c, class_weight=cw, max_iter=5000).fit(
            z[unwanted], y[unwanted] == "scam"
        )
        return self

    def us(self, x: np.ndarray) -> np.ndarray:
        """(n, 2): P(unwanted), P(scam | unwanted)."""
        z = (x - self.mean) / self.std
        return np.stack([self.h0.predict_proba(z)[:, 1], self.h1.predict_proba(z)[:, 1]], axis=1)


def general_us(classifier, texts: Sequence[str]) -> np.ndarray:
    """(n, 2) of a bigfish Classifier's *general* route for every text (whatever its script)."""
    w = classifier.weights
    heads = classifier.margins(texts)[:, :2] * w.platt[0][:2] + w.platt[1][:2]
    return 1.0 / (1.0 + np.exp(-heads))


def labels_of(us: np.ndarray) -> np.ndarray:
    """The shipped decision: legit when u < ½, else scam when s ≥ ½, else spam."""
    return np.where(us[:, 0] < 0.5, "legit", np.where(us[:, 1] >= 0.5, "scam", "spam"))
