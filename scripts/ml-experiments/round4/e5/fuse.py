"""Nested-CV evaluation of single base scorers, stacking and weighted late fusion."""
import itertools
import numpy as np
from sklearn.linear_model import LogisticRegression
from common import *

def _sig(z):
    return 1 / (1 + np.exp(-z))

def _lr(Xin, y, C=1e4):
    return LogisticRegression(C=C, max_iter=2000).fit(Xin, y)

def _calibrate(bases, k, test_rows, C=1e4, stack=True):
    """Per route/head: LR over the stacked margins of BASES fitted on inner rows of outer fold k
    (pair tables), applied to TEST_ROWS' single tables. Returns P(unwanted), P(scam|unw) per base
    (stack=False: one calibrated prob per base, shape (nbase, n, 2)) or stacked (n, 2)."""
    inner = np.flatnonzero(FOLD != k)
    nb = len(bases)
    if stack:
        out = np.full((len(test_rows), 2), 0.5)
    else:
        out = np.full((nb, len(test_rows), 2), 0.5)
    for r, h, rows, y in targets(inner):
        sel = ROUTE[test_rows] == r
        col = 2 * r + h
        Xin = np.stack([b[1][k][rows, col] for b in bases], 1)
        Xout = np.stack([b[0][test_rows[sel], col] for b in bases], 1)
        if stack:
            out[sel, h] = _lr(Xin, y, C).predict_proba(Xout)[:, 1]
        else:
            for j in range(nb):
                out[j, sel, h] = _lr(Xin[:, j:j+1], y, C).predict_proba(Xout[:, j:j+1])[:, 1]
    return out

def _inner_probs(bases, k, stack=True, C=1e4):
    """Calibrated probabilities of the inner rows of fold k, themselves out-of-fold (calibrator
    fitted on the other inner folds' pair margins) — used to pick weights/thresholds."""
    inner = np.flatnonzero(FOLD != k)
    shape = (len(TRAIN), 2) if stack else (len(bases), len(TRAIN), 2)
    out = np.full(shape, 0.5)
    for j in set(range(K)) - {k}:
        fit_rows_mask = (FOLD != k) & (FOLD != j)
        te = np.flatnonzero(FOLD == j)
        for r, h, rows, y in targets(np.flatnonzero(fit_rows_mask)):
            sel = te[ROUTE[te] == r]
            col = 2 * r + h
            Xin = np.stack([b[1][k][rows, col] for b in bases], 1)
            Xo = np.stack([b[1][k][sel, col] for b in bases], 1)
            if stack:
                out[sel, h] = _lr(Xin, y, C).predict_proba(Xo)[:, 1]
            else:
                for q in range(len(bases)):
                    out[q, sel, h] = _lr(Xin[:, q:q+1], y, C).predict_proba(Xo[:, q:q+1])[:, 1]
    return out

def _score(f):
    return f["thai"] + f["uci"]

def evaluate(bases, mode="stack", tune_threshold=False, grid=np.linspace(0, 1, 11)):
    """Outer CV prediction of every train row. mode: 'stack' (LR meta over margins; with one base
    it is Platt scaling), 'wsum' (weighted sum of per-base calibrated probabilities, weight per
    route chosen on inner out-of-fold probabilities). Optional per-route thresholds chosen likewise."""
    pred = np.empty(len(TRAIN), dtype=object)
    chosen = []
    for k in range(K):
        te = np.flatnonzero(FOLD == k)
        inner = np.flatnonzero(FOLD != k)
        if mode == "stack":
            P = _calibrate(bases, k, te)
            Pin = _inner_probs(bases, k) if tune_threshold else None
            w = None
        else:
            Pb = _calibrate(bases, k, te, stack=False)
            Pib = _inner_probs(bases, k, stack=False)
            best, w = -1, None
            for w0, w1 in itertools.product(grid, grid):
                W = np.where(ROUTE == 1, w1, w0)[:, None]
                Pi = W * Pib[0] + (1 - W) * Pib[1]
                sc = _score(task_f1(decide(Pi[inner, 0], Pi[inner, 1], .5, .5), inner))
                if sc > best:
                    best, w = sc, (w0, w1)
            Wt = np.where(ROUTE[te] == 1, w[1], w[0])[:, None]
            P = Wt * Pb[0] + (1 - Wt) * Pb[1]
            Pin = (np.where(ROUTE == 1, w[1], w[0])[:, None] * Pib[0]
                   + (1 - np.where(ROUTE == 1, w[1], w[0])[:, None]) * Pib[1]) if tune_threshold else None
        tu = ts = np.full(len(te), 0.5)
        th = None
        if tune_threshold:
            best = -1
            cand = [0.3, 0.4, 0.5, 0.6, 0.7]
            for tu0, ts0, tu1, ts1 in itertools.product([.3, .4, .5, .6], [.5], cand, cand):
                TU = np.where(ROUTE == 1, tu1, tu0); TS = np.where(ROUTE == 1, ts1, ts0)
                sc = _score(task_f1(decide(Pin[inner, 0] - TU[inner], Pin[inner, 1] - TS[inner]), inner))
                if sc > best:
                    best, th = sc, (tu0, ts0, tu1, ts1)
            tu = np.where(ROUTE[te] == 1, th[2], th[0]); ts = np.where(ROUTE[te] == 1, th[3], th[1])
        pred[te] = decide(P[:, 0] - tu, P[:, 1] - ts)
        chosen.append((w, th))
    return task_f1(pred), chosen
