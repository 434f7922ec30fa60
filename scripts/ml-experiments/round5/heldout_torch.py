"""Score a full fine-tuning checkpoint (float weights, torch) on the held-out split, once."""
import sys, pickle, numpy as np, torch, model
st = torch.load(sys.argv[1]); h = st["head"]
cfg, m = model.load(); m.load_state_dict(st["enc"]); m.eval(); torch.set_num_threads(2)
d = pickle.load(open("data.pkl", "rb")); te, ids = d["test"], d["test_ids"]
P = []
with torch.no_grad():
    for i in range(0, len(te), 64):
        x, l = model.batch(ids[i:i + 64])
        e = torch.nn.functional.normalize(m(x, l), dim=-1) * h["scale"]
        P.append(torch.sigmoid(e @ h["lin.weight"].T + h["lin.bias"]).numpy())
P = np.concatenate(P); np.save("heldout_ft.npy", P)
S = np.load("svm_test.npy")
def f1(t, g):
    tp = (t & g).sum(); return 2 * tp / max(1, t.sum() + g.sum())
for name, Q in (("fine-tuned alone", P), ("0.5 fine-tuned + 0.5 shipped (chosen on val)", 0.5 * P + 0.5 * S), ("shipped", S)):
    out = [name]
    for ds in ("thai", "uci"):
        mk = np.array([e.dataset == ds for e in te]); L = np.array([e.label for e in te])[mk]
        if ds == "thai":
            out.append(f"thai scam {f1(L == 'scam', (Q[mk, 0] > .5) & (Q[mk, 1] >= .5)):.4f}")
        out.append(f"{ds} unwanted {f1(L != 'legit', Q[mk, 0] > .5):.4f}")
    print(" | ".join(out))
