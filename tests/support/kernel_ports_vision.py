"""Straight ports of the Vitis vision kernels' arithmetic (2020.2), written apart from the library.

The library's CPU models (``jupyter_ext/library/xfcv_*.py``) are vectorised
restatements of what each kernel computes. These ports instead walk the
kernels' own loops -- line buffers, per-column state, fixed-point steps -- in
plain Python integers, one pixel at a time, so a misreading in a model shows
up as a differing pixel. They are slow: small images only. They share no code
with the library; the stand-in device (``fake_pyxrt/kernels.py``) runs them too.
"""

from __future__ import annotations

import math
import struct

import numpy as np


def f32(x: float) -> float:
    """Round a Python float to IEEE single precision."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


# --- Gaussian ----------------------------------------------------------------------


def gaussian_taps(n: int, sigma: float) -> list[int]:
    s = f32(sigma)
    scale = -f32(1.0 / f32(f32(s * s) * 2.0))
    cf, total = [], 0.0
    for i in range(n):
        x = f32(float(i - (n - 1) // 2))
        t = f32(math.exp(f32(f32(scale * x) * x)))
        cf.append(t)
        total = f32(total + t)
    inv = f32(1.0 / total)
    return [math.trunc(f32(f32(c * inv) * 256.0) + 0.5) for c in cf]


def gaussian(img: np.ndarray, n: int, sigma: float) -> np.ndarray:
    w = gaussian_taps(n, sigma)
    rows, cols = img.shape[:2]
    planes = img.reshape(rows, cols, -1)
    out = np.zeros_like(planes)
    r = n // 2
    for c in range(planes.shape[2]):
        for y in range(rows):
            for x in range(cols):
                acc = 0
                for dy in range(-r, r + 1):
                    for dx in range(-r, r + 1):
                        yy, xx = y + dy, x + dx
                        if 0 <= yy < rows and 0 <= xx < cols:
                            acc += w[dy + r] * w[dx + r] * int(planes[y + dy, x + dx, c])
                val = (acc + 32768) >> 16
                out[y, x, c] = val % 256 if n == 3 else min(val, 255)
    return out.reshape(img.shape)


# --- resize: the streaming loop with its three line buffers --------------------------


def _axis(c: int, n_in: int, n_out: int) -> tuple[int, int, int]:
    """(first index, 22-bit position, raw unclamped position) of output index c."""
    scale = (n_in << 32) // n_out
    exact = (2 * c + 1) * scale - (1 << 32)  # ((c + 0.5) * scale - 0.5) * 2^33
    raw = exact // (1 << 11)  # floor to 22 fractional bits
    pos = min(max(raw, 0), (n_in - 1) << 22)
    return pos >> 22, pos, raw


def resize(img: np.ndarray, rows_out: int, cols_out: int) -> np.ndarray:
    rows_in, cols_in = img.shape[:2]
    src = img.reshape(rows_in, cols_in, -1).astype(int)
    out = np.zeros((rows_out, cols_out, src.shape[2]), np.uint8)
    lines = {0: src[0], 1: src[1]}  # buffer slot -> row data
    read, first, written = 2, 0, 0
    scale_y = (rows_in << 32) // rows_out
    for _ in range(max(rows_out, rows_in)):
        iy, posy, rawy = _axis(written, rows_in, rows_out)
        ahead = rawy + (scale_y >> 10)  # unclamped position + scale (22 fractional bits)
        next_y = math.trunc(ahead / (1 << 22))  # to an integer toward zero ...
        if next_y < 0:
            next_y += 1 << 17  # ... held in an ap_uint<17>
        wants_row = read != rows_in and next_y >= read - 1
        emit = written <= rows_out - 1 and ((iy == read - 1 and read == rows_in) or iy == read - 2)
        if emit:
            upper = lines[first % 3]
            lower = lines[(first + 1) % 3]
            if iy == read - 1:
                upper = lower
            wy = (posy & ((1 << 22) - 1)) >> 12
            for x in range(cols_out):
                ix, posx, _ = _axis(x, cols_in, cols_out)
                jx = ix if ix == cols_in - 1 else ix + 1
                wx = (posx & ((1 << 22) - 1)) >> 12
                wxy = (wx * wy) >> 10
                for ch in range(src.shape[2]):
                    a0, a1 = upper[ix, ch], upper[jx, ch]
                    b0, b1 = lower[ix, ch], lower[jx, ch]
                    p = a0 * 1024 + (a1 - a0) * wx + (b0 - a0) * wy + (a0 + b1 - b0 - a1) * wxy
                    out[written, x, ch] = math.trunc(p / 1024) % 256
            written += 1
        if wants_row:
            lines[(first + 2) % 3] = src[read]
            first, read = first + 1, read + 1
    return out.reshape((rows_out, cols_out) + img.shape[2:])


# --- color detect -------------------------------------------------------------------


def hsv_pixel(b: int, g: int, r: int) -> tuple[int, int, int]:
    v, lo = max(b, g, r), min(b, g, r)
    diff = v - lo
    sdiv = ((255 << 12) * 2 + v) // (2 * v) if v else 0  # round((255 << 12) / v)
    hdiv = ((180 << 12) * 2 + 6 * diff) // (12 * diff) if diff else 0
    s = (diff * sdiv + 2048) >> 12
    if v == r:
        num = g - b
    elif v == g:
        num = b - r + 2 * diff
    else:
        num = r - g + 4 * diff
    h = (num * hdiv + 2048) >> 12
    return (h + 180 if h < 0 else h), s, v


def color_detect(img, low, high, shape, rectangular: bool = True, size: int = 3) -> np.ndarray:
    rows, cols = img.shape[:2]
    ranges = [(list(low[3 * k : 3 * k + 3]), list(high[3 * k : 3 * k + 3]))
              for k in range(len(low) // 3)]  # fmt: skip
    mask = np.zeros((rows, cols), np.uint8)
    for y in range(rows):
        for x in range(cols):
            hsv = hsv_pixel(*(int(c) for c in img[y, x]))
            if any(all(lo[i] <= hsv[i] <= hi[i] for i in range(3)) for lo, hi in ranges):
                mask[y, x] = 255
    el = [[1] * size for _ in range(size)] if rectangular else [
        [int(shape[i * size + j] != 0) for j in range(size)] for i in range(size)]  # fmt: skip

    def morph(m: np.ndarray, pick, outside: int) -> np.ndarray:
        res = np.zeros_like(m)
        r = size // 2
        for y in range(rows):
            for x in range(cols):
                vals = [outside]
                for i in range(size):
                    for j in range(size):
                        if el[i][j]:
                            yy, xx = y + i - r, x + j - r
                            inside = 0 <= yy < rows and 0 <= xx < cols
                            vals.append(int(m[yy, xx]) if inside else outside)
                res[y, x] = pick(vals)
        return res

    mask = morph(mask, min, 255)
    mask = morph(mask, max, 0)
    mask = morph(mask, max, 0)
    return morph(mask, min, 255)


# --- stereo block matching: the column-streaming loop with per-column state ----------


def stereo_prefilter(img: np.ndarray, cap: int) -> np.ndarray:
    rows, cols = img.shape
    out = np.zeros((rows, cols), np.int64)
    p = img.astype(int)
    for y in range(rows):
        for x in range(cols):
            g = 0
            if 1 <= y <= rows - 2 and 1 <= x <= cols - 2:
                g = (2 * p[y, x + 1] - 2 * p[y, x - 1] + p[y - 1, x + 1] + p[y + 1, x + 1]
                     - p[y - 1, x - 1] - p[y + 1, x - 1])  # fmt: skip
            out[y, x] = 0 if g < -cap else (2 * cap if g > cap else g + cap)
    return out


def _tree_min(vals: list[int], first: int) -> tuple[int, int]:
    """The kernel's pairwise minimum: halves compared, the upper half wins ties."""
    if len(vals) == 1:
        return first, vals[0]
    mid = len(vals) // 2
    i1, v1 = _tree_min(vals[:mid], first)
    i2, v2 = _tree_min(vals[mid:], first + mid)
    return (i2, v2) if v2 <= v1 else (i1, v1)


def stereo_bm(left, right, cap=31, ur=15, tt=20, w=11, ndisp=32, units=32) -> np.ndarray:
    """The kernel's loops: padded rows and columns stream in, U disparities per sweep."""
    lp, rp = stereo_prefilter(left, cap), stereo_prefilter(right, cap)
    rows, cols = left.shape
    half, width = (w - 1) // 2, cols + w - 1
    lbuf = np.zeros((w, width), np.int64)  # lbuf[k, c]: padded column c, k rows ago
    rbuf = np.zeros((w, width), np.int64)
    lwin = np.zeros((w, w), np.int64)  # lwin[k, m]: column m steps ago
    rwin = np.zeros((w, w + units - 1), np.int64)
    big = 2**31 - 1
    state = [
        dict(m=big, d=0, skip=False, sv=big, enb=big, edge=0, p=big, n=big) for _ in range(width)
    ]
    bits = (255 * w * w).bit_length()
    out: list[int] = []

    def wrap(v: int, b: int) -> int:
        return ((v + (1 << (b - 1))) % (1 << b)) - (1 << (b - 1))

    for row in range(rows + w - 1):
        for sweep in range(ndisp // units):
            sad = [0] * units
            sad_cols = np.zeros((units, w), np.int64)
            text = 0
            for col in range(width):
                if sweep == 0:
                    lbuf[1:, col] = lbuf[:-1, col].copy()
                    rbuf[1:, col] = rbuf[:-1, col].copy()
                    inside = half <= row < rows + half and half <= col < cols + half
                    lbuf[0, col] = lp[row - half, col - half] if inside else cap
                    rbuf[0, col] = rp[row - half, col - half] if inside else cap
                    ltmp, rtmp = lbuf[:, col].copy(), rbuf[:, col].copy()
                else:
                    ltmp, rtmp = lbuf[:, col].copy(), rbuf[:, max(col - sweep * units, 0)].copy()
                seen = np.arange(w) <= row  # line-buffer rows that hold image (or padding) rows
                grow = int(np.abs(ltmp - cap)[seen].sum())
                drop = int(np.abs(lwin[:, w - 1] - cap)[seen].sum())
                text = (text if col > 0 else 0) + grow - (0 if col < w else drop)
                lwin[:, 1:] = lwin[:, :-1].copy()
                rwin[:, 1:] = rwin[:, :-1].copy()
                lwin[:, 0], rwin[:, 0] = ltmp, rtmp
                new = np.abs(lwin[:, :1] - rwin[:, :units]).sum(axis=0)  # one SAD column per d
                new[np.arange(units) > col] = 0  # d > col: no right pixel yet in this sweep
                sad = [int(a) for a in np.array(sad) + new - sad_cols[:, w - 1]]
                sad_cols[:, 1:] = sad_cols[:, :-1].copy()
                sad_cols[:, 0] = new
                if row < w - 1 or col < w - 1:
                    continue
                y, x = row - w + 1, col - w + 1
                skip = (
                    text < tt
                    or y < half
                    or y >= rows - half
                    or x < ndisp - 1 + half
                    or x >= cols - half
                )
                st = state[col]
                base = sweep * units
                if sweep == 0:
                    g = dict(
                        m=big,
                        d=0,
                        skip=False,
                        sv=big,
                        enb=big,
                        edge=sad[1] if units != 1 else 0,
                        p=big,
                        n=big,
                    )
                else:
                    g = dict(st)
                    if sweep == 1 and units == 1:
                        g["enb"] = big
                    g["n"] = sad[0] if st["d"] == base - 1 else st["n"]
                lm, lmin = _tree_min(sad, 0)
                if lmin <= g["m"]:
                    g["skip"] = False
                    if ur > 0:
                        t = lmin + lmin * ur // 100
                        if g["m"] <= t and lm + base > g["d"] + 1:
                            g["skip"], g["sv"] = True, g["m"]
                        elif g["m"] <= t and lm + base == g["d"] + 1 and g["sv"] <= t:
                            g["skip"] = True
                        elif g["m"] <= t and lm + base == g["d"] + 1 and g["enb"] <= t:
                            g["skip"], g["sv"] = True, g["enb"]
                        for d in range(units):
                            if sad[d] <= t and sad[d] < g["sv"] and (d < lm - 1 or d > lm + 1):
                                g["skip"], g["sv"] = True, sad[d]
                    g["p"] = g["edge"] if lm == 0 else sad[lm - 1]
                    if units == 1:
                        g["n"] = sad[0]
                    else:
                        g["n"] = sad[lm - 1] if lm == units - 1 else sad[lm + 1]
                    g["m"], g["d"] = lmin, lm + base
                elif ur > 0:
                    t = g["m"] + g["m"] * ur // 100
                    for d in range(units):
                        ok = base + d > g["d"] + 1 if g["d"] == base - 1 else True
                        if sad[d] <= t and sad[d] < g["sv"] and ok:
                            g["skip"], g["sv"] = True, sad[d]
                g["enb"] = st["edge"] if units == 1 else sad[units - 2]
                g["edge"] = sad[units - 1]
                state[col] = g
                if sweep == ndisp // units - 1:
                    p = wrap(g["n"] if g["d"] == 0 else g["p"], bits)
                    n = wrap(g["p"] if g["d"] == ndisp - 1 else g["n"], bits)
                    k = wrap(p + n - 2 * g["m"] + abs(p - n), bits)
                    num = wrap((p - n) * 256, bits + 8)
                    delta = wrap(int(num / k) if k else 0, 10)
                    disp = ((g["d"] * 256 + delta + 15) >> 4) % 65536
                    out.append(0 if (skip or g["skip"]) else disp)
    return np.array(out, np.uint16).reshape(rows, cols)


# --- stereo pipeline: fixed-point rectification maps and the kernel's remap ----------


def _wrap32(v: int) -> int:
    return ((v + (1 << 31)) % (1 << 32)) - (1 << 31)


def fixed(v: float) -> int:
    """A float32 argument as the raw ap_fixed<32,12> the kernel converts it to."""
    return _wrap32(math.floor(float(np.float32(v)) * (1 << 20)))


def rectify_maps(matrix, dist, inv, rows, cols, max_rows=1080, max_cols=1920):
    """Per-pixel map (x, y) in 1/32 pixel, in Python integers (no overflow to worry about)."""
    fx, _, cx, _, fy, cy = (fixed(v) for v in list(matrix)[:6])
    k1, k2, p1, p2, k3 = (fixed(v) for v in dist)
    ir = [fixed(v) for v in inv]
    mx = np.zeros((rows, cols), np.int64)
    my = np.zeros((rows, cols), np.int64)

    def t20(v: int) -> int:  # a 40-fractional-bit product stored in a 32-bit value
        return _wrap32(v >> 20)

    def rnd_sat(v40: int, limit: int) -> int:
        v = (v40 + (1 << 34)) >> 35
        top = 1 << (limit.bit_length() + 5)  # 1 + BitWidth integer bits, 5 fractional
        return min(max(v, -top), top - 1)

    for i in range(rows):
        for j in range(cols):
            x0 = _wrap32(i * ir[1] + j * ir[0] + ir[2])
            y0 = _wrap32(i * ir[4] + j * ir[3] + ir[5])
            winv = _wrap32((2 << 20) - _wrap32(i * ir[7] + j * ir[6] + ir[8]))
            x, y = t20(x0 * winv), t20(y0 * winv)
            xy2 = t20(2 * x * y)
            r2 = t20(x * x + y * y)
            x2, y2 = t20(x * x), t20(y * y)
            kr = t20((1 << 40) + t20(t20(k3 * r2 + (k2 << 20)) * r2 + (k1 << 20)) * r2)
            sx = t20(x * kr) + t20(p1 * xy2) + t20(p2 * (2 * x2 + r2))
            sy = t20(y * kr) + t20(p1 * (r2 + 2 * y2)) + t20(p2 * xy2)
            mx[i, j] = rnd_sat(fx * sx + (cx << 20), max_cols)
            my[i, j] = rnd_sat(fy * sy + (cy << 20), max_rows)
    return mx, my


def remap(img: np.ndarray, mx: np.ndarray, my: np.ndarray, win: int = 128) -> np.ndarray:
    """The kernel's row loop: a two-bank buffer of ``win`` rows, its swaps as written."""
    rows, cols = img.shape
    buf = np.zeros((win // 2 + 1, 2, cols // 2 + 1, 2), np.int64)
    seen = [0] * win  # which image row each buffer slot holds
    out = np.zeros((rows, cols), np.uint8)
    lag = win // 2
    for i in range(rows + lag):
        for j in range(cols + 1):
            s = int(img[i, j]) if i < rows and j < cols else 0
            slot = i % win
            buf[slot // 2, slot % 2, j // 2, j % 2] = s
            seen[slot] = i
            if i < lag or j >= cols:
                continue
            xf, yf = mx[i - lag, j] / 32.0, my[i - lag, j] / 32.0
            xq, yq = int(xf * 32), int(yf * 32)
            x, y, u, v = xq >> 5, yq >> 5, xq & 31, yq & 31
            ok = (y >= 0 and yf <= rows - 1 and seen[y % win] == y
                  and seen[(y + 1) % win] == y + 1 and x >= 0 and xf <= cols - 1)  # fmt: skip
            if not ok:
                continue
            xa0, xa1 = x // 2 + x % 2, x // 2
            ya0, ya1 = (y // 2 + y % 2) % (win // 2), (y // 2) % (win // 2)
            d00, d01 = buf[ya0, 0, xa0, 0], buf[ya0, 0, xa1, 1]
            d10, d11 = buf[ya1, 1, xa0, 0], buf[ya1, 1, xa1, 1]
            if x % 2:  # the kernel's swap of the columns, second half as written
                d00, d01 = d01, d00
                d10 = d11
                d11 = d10
            if y % 2:  # and of the rows
                d00, d10 = d10, d00
                d01 = d11
                d11 = d01
            val = d00 * (32 - v) * (32 - u) + d01 * (32 - v) * u + d10 * v * (32 - u) + d11 * v * u
            out[i - lag, j] = val >> 10
    return out


def stereo_pipeline(left, right, cams, cap=31, ur=15, tt=20, win=128, max_rows=1080,
                    max_cols=1920) -> np.ndarray:  # fmt: skip
    """Rectify both views (maps + remap), then block matching with the pipeline's 15 / 48 / 16."""
    rows, cols = left.shape
    views = []
    for img, (matrix, dist, inv) in zip((left, right), cams, strict=True):
        mx, my = rectify_maps(matrix, dist, inv, rows, cols, max_rows, max_cols)
        views.append(remap(img, mx, my, win))
    return stereo_bm(views[0], views[1], cap, ur, tt, w=15, ndisp=48, units=16)
