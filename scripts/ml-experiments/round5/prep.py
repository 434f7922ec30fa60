import pickle, numpy as np
from pathlib import Path
from bigfish.ml.data import read_shared, split
import e5io
ex = read_shared(Path("/work/main/data/messages"))
tr, te = split(ex, seed=20251217)
tok = e5io.Tok()
def enc(L): return [tok(e.text, maxlen=128) for e in L]
pickle.dump({"train": tr, "test": te, "train_ids": enc(tr), "test_ids": enc(te)}, open("data.pkl", "wb"))
lens = np.array([len(t) for t in enc(tr)])
print(len(tr), len(te), np.percentile(lens, [50, 90, 99, 100]), (lens >= 128).mean())
from collections import Counter
print(Counter((e.dataset, e.label) for e in tr)); print(Counter((e.dataset, e.label) for e in te))
