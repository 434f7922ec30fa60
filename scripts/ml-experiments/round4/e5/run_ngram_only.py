from fuse import *
A = oof_tables(None, "ngram_ship")
t = time.process_time()
print("ngram_ship platt", evaluate([A])[0], f"{time.process_time()-t:.1f}s")
print("ngram_ship platt+thr", evaluate([A], tune_threshold=True))
