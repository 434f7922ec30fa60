import argparse, json, pickle, random, time, math
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F
import model
from bigfish.ml.data import split

ap = argparse.ArgumentParser()
ap.add_argument("--epochs", type=int, default=5)
ap.add_argument("--full", action="store_true")  # train on the whole training split
ap.add_argument("--lr", type=float, default=4e-5)
ap.add_argument("--out", default="run")
ap.add_argument("--bitfit", action="store_true")
a = ap.parse_args()
torch.manual_seed(0); random.seed(0); np.random.seed(0)
torch.set_num_threads(2)
d = pickle.load(open("data.pkl", "rb"))
ids_of = {id(e): t for e, t in zip(d["train"], d["train_ids"])}
if a.full:
    fit, val = d["train"], []
else:
    fit, val = split(d["train"], seed=777, test_fraction=0.2)
print(len(fit), len(val), flush=True)

class Head(nn.Module):
    def __init__(s):
        super().__init__(); s.lin = nn.Linear(384, 2); s.scale = nn.Parameter(torch.tensor(10.0))
    def forward(s, e):
        return s.lin(F.normalize(e, dim=-1) * s.scale)

cfg, enc = model.load(); enc.word.weight.requires_grad_(False)
if a.bitfit:
    for n_, p_ in enc.named_parameters():
        if n_.startswith("layers.") and n_.endswith(".weight") and n_.split(".")[2] in ("q", "k", "v", "ao", "fi", "fo"):
            p_.requires_grad_(False)
print("trainable", sum(p.numel() for p in enc.parameters() if p.requires_grad), flush=True)
head = Head()
params = [{"params": [p for p in enc.parameters() if p.requires_grad], "lr": a.lr, "weight_decay": 0.0 if a.bitfit else 0.01},
          {"params": head.parameters(), "lr": 1e-3}]
opt = torch.optim.AdamW(params, weight_decay=0.01)

def targets(exs):
    u = torch.tensor([e.label != "legit" for e in exs], dtype=torch.float)
    s = torch.tensor([e.label == "scam" for e in exs], dtype=torch.float)
    sm = torch.tensor([e.dataset == "thai" and e.label != "legit" for e in exs], dtype=torch.float)
    return u, s, sm

def batches(exs, bs=32, shuffle=True):
    idx = list(range(len(exs)))
    if shuffle:
        random.shuffle(idx)
    groups = [sorted(idx[i:i + bs * 20], key=lambda j: len(ids_of[id(exs[j])])) for i in range(0, len(idx), bs * 20)]
    out = [g[i:i + bs] for g in groups for i in range(0, len(g), bs)]
    if shuffle:
        random.shuffle(out)
    return out

train_pool = fit + [e for e in fit if e.dataset == "thai"]   # Thai twice
steps_per = math.ceil(len(train_pool) / 32); total = steps_per * a.epochs; warm = int(0.1 * total)
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda st: min(1.0, (st + 1) / max(1, warm)) * max(0.0, (total - st) / max(1, total - warm)) if st >= warm else (st + 1) / max(1, warm))

def predict(exs):
    enc.eval(); head.eval(); P = np.zeros((len(exs), 2))
    with torch.no_grad():
        for b in batches(exs, 64, shuffle=False):
            ids, l = model.batch([ids_of[id(exs[j])] for j in b])
            P[b] = torch.sigmoid(head(enc(ids, l))).numpy()
    return P

def f1(t, g):
    tp = (t & g).sum(); return 2 * tp / max(1, t.sum() + g.sum())

def score(exs, P):
    r = {}
    for ds in ("thai", "uci"):
        m = np.array([e.dataset == ds for e in exs])
        if not m.any(): continue
        lab = np.array([e.label for e in exs])[m]
        if ds == "thai":
            r["thai_scam_f1"] = f1(lab == "scam", (P[m, 0] > 0.5) & (P[m, 1] > 0.5))
        r[f"{ds}_unwanted_f1"] = f1(lab != "legit", P[m, 0] > 0.5)
    return r

step = 0
for ep in range(a.epochs):
    enc.train(); head.train(); t0 = time.time(); tot = 0
    for b in batches(train_pool):
        exs = [train_pool[j] for j in b]
        ids, l = model.batch([ids_of[id(e)] for e in exs])
        lo = head(enc(ids, l)); u, s, sm = targets(exs)
        w = torch.tensor([1.0 for e in exs])
        loss = (F.binary_cross_entropy_with_logits(lo[:, 0], u, reduction="none") * w).mean()
        loss = loss + (F.binary_cross_entropy_with_logits(lo[:, 1], s, reduction="none") * sm).sum() / max(1.0, sm.sum().item())
        loss.backward(); torch.nn.utils.clip_grad_norm_(enc.parameters(), 1.0)
        opt.step(); sched.step(); opt.zero_grad(); step += 1; tot += loss.item()
    msg = {"epoch": ep + 1, "loss": tot / steps_per, "sec": round(time.time() - t0)}
    if val:
        P = predict(val); msg.update(score(val, P)); np.save(f"{a.out}_val_ep{ep+1}.npy", P)
    print(json.dumps(msg), flush=True)
    torch.save({"enc": enc.state_dict(), "head": head.state_dict()}, f"{a.out}_ep{ep+1}.pt")
