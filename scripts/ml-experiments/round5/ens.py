import pickle, numpy as np, sys
from bigfish.ml.data import split
d = pickle.load(open("data.pkl", "rb"))
_, val = split(d["train"], seed=777, test_fraction=0.2)
S = np.load("svm_val.npy")
def f1(t, g):
    tp = (t & g).sum(); return 2 * tp / max(1, t.sum() + g.sum())
for ep in sys.argv[1:]:
    F = np.load(f"val_val_ep{ep}.npy")
    for w in (0, .3, .5, .7, 1):
        P = w * F + (1 - w) * S
        out = []
        for ds in ("thai", "uci"):
            m = np.array([e.dataset == ds for e in val]); L = np.array([e.label for e in val])[m]
            out.append(round(f1(L == "scam", (P[m, 0] > .5) & (P[m, 1] >= .5)), 4) if ds == "thai" else None)
            out.append(round(f1(L != "legit", P[m, 0] > .5), 4))
        print(ep, w, out)
