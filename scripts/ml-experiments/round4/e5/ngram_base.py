"""Out-of-fold margins of the shipped n-gram model (fit_weights, no calibration) on CV folds."""
import sys, time
from common import *
from bigfish.ml.train import fit_weights
from bigfish.ml.model import Classifier

def make(**params):
    def fp(tr, te):
        t0 = time.process_time()
        w = fit_weights([TRAIN[i] for i in tr], calibrate=False, **params)
        m = Classifier(w).margins([TEXTS[i] for i in te])
        print(f"  fit {len(tr)} -> {time.process_time()-t0:.1f}s cpu", flush=True)
        return m
    return fp

if __name__ == "__main__":
    name = sys.argv[1]
    params = dict(c=10.0, c_thai=10.0) if name == "ngram_ship" else eval(sys.argv[2])
    single, pair = oof_tables(make(**params), name)
    u, s = own(single).T
    print(name, "CV", task_f1(decide(u, s)))
