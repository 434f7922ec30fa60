P=/work/main/.venv/bin/python
$P run_base.py cat_p025 'concat_scorer(load_emb("passage"), alpha=0.25)'
$P run_base.py cat_p035 'concat_scorer(load_emb("passage"), alpha=0.35)'
$P run_base.py cat_p07 'concat_scorer(load_emb("passage"), alpha=0.7)'
$P run_base.py cat_p05_nd 'concat_scorer(load_emb("passage"), alpha=0.5, thai_dense=False)'
$P run_base.py cat_p05_c3 'concat_scorer(load_emb("passage"), alpha=0.5, c=3, c_thai=3)'
$P run_base.py cat_p05_c30 'concat_scorer(load_emb("passage"), alpha=0.5, c=30, c_thai=30)'
$P run_base.py cat_p05_nc 'concat_scorer(load_emb("passage"), alpha=0.5, centre=False)'
