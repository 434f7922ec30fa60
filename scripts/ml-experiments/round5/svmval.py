import pickle, numpy as np, sys
from bigfish.ml.data import split
from bigfish.ml.train import fit_weights
from bigfish.ml.model import Classifier
d = pickle.load(open("data.pkl", "rb"))
mode = sys.argv[1]
if mode == "val":
    fit, val = split(d["train"], seed=777, test_fraction=0.2)
else:
    fit, val = d["train"], d["test"]
w = fit_weights(fit)
clf = Classifier(w)
P = clf.probabilities([e.text for e in val])
lab = list(w.labels)
u = 1 - P[:, lab.index("legit")]
s = P[:, lab.index("scam")] / np.maximum(u, 1e-12)
np.save(f"svm_{mode}.npy", np.stack([u, s], 1))
def f1(t, g):
    tp = (t & g).sum(); return 2 * tp / max(1, t.sum() + g.sum())
for ds in ("thai", "uci"):
    m = np.array([e.dataset == ds for e in val]); L = np.array([e.label for e in val])[m]
    print(ds, "unwanted", f1(L != "legit", u[m] > .5), "scam", f1(L == "scam", (u[m] > .5) & (s[m] >= .5)))
