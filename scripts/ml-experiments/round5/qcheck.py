import torch, numpy as np, pickle, model, e5io, sys
from bigfish.ml.data import split
st = torch.load(sys.argv[1]); enc = st["enc"]; h = st["head"]
cfg, m = model.load()
base = {k: v.clone() for k, v in m.state_dict().items()}
q = {}
for k, v in enc.items():
    if k.endswith(".weight") and any(f".{n}." in k for n in ("q", "k", "v", "ao", "fi", "fo")):
        q[k] = torch.from_numpy(e5io.deq(e5io.quant(v.numpy())).reshape(v.shape))
        moved = (q[k] != base[k]).float().mean().item()
        if k.startswith("layers.0.") or k.startswith("layers.11."): print(k, "grid points changed", round(moved, 4), "max|ft-base|", (v - base[k]).abs().max().item())
    else:
        q[k] = v
m.load_state_dict(q); m.eval()
d = pickle.load(open("data.pkl", "rb"))
ids_of = {id(e): t for e, t in zip(d["train"], d["train_ids"])}
_, val = split(d["train"], seed=777, test_fraction=0.2)
P = []
with torch.no_grad():
    for i in range(0, len(val), 64):
        ids, l = model.batch([ids_of[id(e)] for e in val[i:i+64]])
        e = torch.nn.functional.normalize(m(ids, l), dim=-1) * h["scale"]
        P.append(torch.sigmoid(e @ h["lin.weight"].T + h["lin.bias"]).numpy())
P = np.concatenate(P)
def f1(t, g):
    tp = (t & g).sum(); return 2 * tp / max(1, t.sum() + g.sum())
for ds in ("thai", "uci"):
    mk = np.array([e.dataset == ds for e in val]); L = np.array([e.label for e in val])[mk]
    print(ds, "unwanted", round(f1(L != "legit", P[mk, 0] > .5), 4), "scam", round(f1(L == "scam", (P[mk, 0] > .5) & (P[mk, 1] >= .5)), 4))
