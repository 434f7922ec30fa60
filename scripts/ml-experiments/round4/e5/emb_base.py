"""Base scorers on cached e5 embeddings, and n-gram+embedding concatenation."""
import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC
from sklearn.neural_network import MLPClassifier
from common import *

def load_emb(kind):
    return np.load(f"/tmp/mlB/emb_{kind}.npy")[TR_IDX].astype(np.float64)

def emb_scorer(X, model="lr", C=1.0, centre=True, cw=None, shared_routes=False):
    """Per route and head: a linear model on (centred, renormalized) embeddings X (train rows)."""
    def fp(tr, te):
        Xtr, Xte = X[tr], X[te]
        if centre:
            mu = Xtr.mean(0)
            Xtr, Xte = Xtr - mu, Xte - mu
            n = np.linalg.norm(Xtr, axis=1).mean()
            Xtr, Xte = Xtr / n, Xte / n
        out = np.zeros((len(te), 4))
        for r, h, rows, y in targets(tr):
            if shared_routes:   # both routes learn from every row of the head (not only route's)
                pass
            pos = np.searchsorted(tr, rows)
            if model == "lr":
                m = LogisticRegression(C=C, max_iter=3000, class_weight=cw)
            elif model == "svm":
                m = LinearSVC(C=C, max_iter=20000, class_weight=cw, random_state=0)
            elif model == "mlp":
                m = MLPClassifier(hidden_layer_sizes=(int(C),), alpha=1e-3, max_iter=400,
                                  early_stopping=False, random_state=0)
            m.fit(Xtr[pos], y)
            if model == "mlp":
                p = np.clip(m.predict_proba(Xte)[:, 1], 1e-6, 1 - 1e-6)
                out[:, 2 * r + h] = np.log(p / (1 - p))
            else:
                out[:, 2 * r + h] = m.decision_function(Xte)
        return out
    return fp

def concat_scorer(X, alpha=0.5, c=10.0, c_thai=10.0, dense_scale=0.2, thai_dense=True, centre=True):
    """Shipped n-gram design hstacked with alpha * (centred) embeddings, LinearSVC per head."""
    from bigfish.ml.train import _idf, _design, _fit
    from bigfish.ml.features import HashingSpec
    spec = HashingSpec()
    def fp(tr, te):
        ttr = [TEXTS[i] for i in tr]; tte = [TEXTS[i] for i in te]
        idf = _idf(ttr, spec)
        Xtr, Xte = X[tr], X[te]
        if centre:
            mu = Xtr.mean(0); Xtr, Xte = Xtr - mu, Xte - mu
            n = np.linalg.norm(Xtr, axis=1).mean(); Xtr, Xte = Xtr / n, Xte / n
        Dtr = sparse.hstack([_design(ttr, spec, idf, dense_scale), sparse.csr_matrix(alpha * Xtr)], format="csr")
        Dte = sparse.hstack([_design(tte, spec, idf, dense_scale), sparse.csr_matrix(alpha * Xte)], format="csr")
        out = np.zeros((len(te), 4))
        nd = Dtr.shape[1] - spec.width - X.shape[1]   # dense signal columns
        keep = np.ones(Dtr.shape[1]); keep[spec.width:spec.width + nd] = 0.0
        K1 = sparse.diags(keep)
        for r, h, rows, y in targets(tr):
            pos = np.searchsorted(tr, rows)
            A, B = Dtr[pos], Dte
            if r == 1 and not thai_dense:
                A, B = A @ K1, B @ K1
            m = _fit(A, y, (c, c_thai)[r])
            out[:, 2 * r + h] = m.decision_function(B)
        return out
    return fp
