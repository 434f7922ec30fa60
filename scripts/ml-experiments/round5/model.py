import math, numpy as np, torch, torch.nn as nn, torch.nn.functional as F
import e5io

class Layer(nn.Module):
    def __init__(s, H, FF):
        super().__init__()
        s.q = nn.Linear(H, H); s.k = nn.Linear(H, H); s.v = nn.Linear(H, H); s.ao = nn.Linear(H, H)
        s.aln = nn.LayerNorm(H, eps=1e-12); s.fi = nn.Linear(H, FF); s.fo = nn.Linear(FF, H); s.oln = nn.LayerNorm(H, eps=1e-12)
        s.NH = 12
    def forward(s, x, mask):
        B, T, H = x.shape; hd = H // s.NH
        def sp(t): return t.view(B, T, s.NH, hd).transpose(1, 2)
        q, k, v = sp(s.q(x)), sp(s.k(x)), sp(s.v(x))
        a = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=0.1 if s.training else 0.0)
        a = a.transpose(1, 2).reshape(B, T, H)
        x = s.aln(x + F.dropout(s.ao(a), 0.1, s.training))
        return s.oln(x + F.dropout(s.fo(F.gelu(s.fi(x))), 0.1, s.training))

class E5(nn.Module):
    def __init__(s, cfg):
        super().__init__()
        H = cfg["H"]
        s.word = nn.Embedding(cfg["VOC"], H); s.pos = nn.Embedding(cfg["MAXP"], H); s.ttype = nn.Parameter(torch.zeros(H))
        s.eln = nn.LayerNorm(H, eps=1e-12)
        s.layers = nn.ModuleList([Layer(H, cfg["FF"]) for _ in range(cfg["NL"])])
    def forward(s, ids, lens):
        B, T = ids.shape
        keep = torch.arange(T)[None, :] < lens[:, None]
        x = s.word(ids) + s.pos(torch.arange(T))[None] + s.ttype
        x = s.eln(x)
        mask = keep[:, None, None, :]
        for l in s.layers:
            x = l(x, mask)
        m = keep[..., None].float()
        return (x * m).sum(1) / m.sum(1)   # raw mean pool

def load(path=e5io.PATH):
    cfg, w, _ = e5io.load_weights(path)
    m = E5(cfg)
    H = cfg["H"]
    def t(name, shape): return torch.from_numpy(w[name][: int(np.prod(shape))].reshape(shape).copy())
    with torch.no_grad():
        m.word.weight.copy_(t("emb.word", (cfg["VOC"], H)))
        m.pos.weight.copy_(t("emb.pos", (cfg["MAXP"], H)))
        m.ttype.copy_(t("emb.type", (H,)))  # token type 0 row
        m.eln.weight.copy_(t("emb.ln.w", (H,))); m.eln.bias.copy_(t("emb.ln.b", (H,)))
        for i, L in enumerate(m.layers):
            for nm, lin in (("q", L.q), ("k", L.k), ("v", L.v), ("ao", L.ao), ("fi", L.fi), ("fo", L.fo)):
                lin.weight.copy_(t(f"l{i}.{nm}.w", tuple(lin.weight.shape))); lin.bias.copy_(t(f"l{i}.{nm}.b", tuple(lin.bias.shape)))
            for nm, ln in (("aln", L.aln), ("oln", L.oln)):
                ln.weight.copy_(t(f"l{i}.{nm}.w", (H,))); ln.bias.copy_(t(f"l{i}.{nm}.b", (H,)))
    return cfg, m

def batch(tok_lists):
    T = max(len(t) for t in tok_lists)
    ids = torch.full((len(tok_lists), T), 1, dtype=torch.long)
    for i, t in enumerate(tok_lists): ids[i, : len(t)] = torch.tensor(t)
    return ids, torch.tensor([len(t) for t in tok_lists])
