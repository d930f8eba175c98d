"""The block matcher's per-row loop, compiled: costs, sweeps, uniqueness and sub-pixel step.

What it computes is described in :mod:`.xfcv_stereo`; this is how, for one band
of output rows, in the order the kernel's state evolves:

* column sums: for every column ``x`` from ``N - 1`` on and every disparity
  ``d``, the sum over the window's rows of ``|L(y', x) - R(y', x - d)|``; moving
  down one row adds the new bottom row and removes the old top one (exact
  integers: the same sums the kernel's window holds);
* window costs ``SAD_d`` at every valid column: ``W`` column sums added;
* the sweeps: per sweep of ``U`` disparities the smallest cost and its largest
  disparity, the far minimum for the uniqueness test and the neighbours for
  the sub-pixel step, computed for the whole row at once (loops over ``x`` that
  vectorise), then the kernel's per-column state update -- the same branches
  as the kernel's, per pixel;
* the 16-bit output from the best cost and its neighbours, with the kernel's
  register widths (``kbits`` signed bits for the costs and ``k``, 10 for the
  fraction), 0 where the pixel is rejected or its texture is too low.

The state of one row is a handful of int32 arrays the width of the image;
costs are uint16 when they fit (``2 cap W^2 < 2^16``), int32 otherwise.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

INT_MAX = 2**31 - 1


@cache
def band_kernel() -> Any:
    """``kernel(lp, rp, texture, tt, W, N, U, ur, kbits, y0, y1, out, columns, sads)``.

    ``lp``/``rp`` are the prefiltered images, ``texture`` the window sums of
    ``|lp - cap|``, ``y0..y1`` the band's output rows (valid rows only: the
    window's rows exist), ``columns`` (N x cols - N + 1) and ``sads`` (N x valid
    columns) scratch arrays of the cost type. Writes ``out[y0:y1]``'s valid columns.
    """
    from .jit import compiled

    return compiled(_band)


def _band(lp, rp, tex, tt, W, N, U, ur, kbits, y0, y1, out, col, sad):  # type: ignore[no-untyped-def]
    """See :func:`band_kernel`. ``col``: the column sums, ``sad``: one row's window costs.

    One function, four steps per output row (marked below): slide the column
    sums, sum the windows, run the sweeps, write the output. Splitting the
    steps into inner functions made it 30% slower (Numba's closures lose the
    aliasing facts the vectoriser needs), so they stay inline.
    """

    def wrap(v, bits):  # type: ignore[no-untyped-def]
        """Two's complement wrap of ``v`` to ``bits`` signed bits (ap_int assignment)."""
        half = np.int64(1) << (bits - 1)
        return ((v + half) & ((half << 1) - 1)) - half

    rows, cols = lp.shape
    h = W // 2
    x0 = N - 1
    width = cols - x0
    xs0 = N - 1 + h
    nx = cols - h - xs0  # valid columns
    col[:, :] = 0
    for yy in range(y0 - h, y0 + h):  # the first window but its last row: the loop adds it
        L = lp[yy, x0:]
        for d in range(N):
            R = rp[yy, x0 - d : x0 - d + width]
            c = col[d]
            for i in range(width):
                a = np.int16(L[i]) - np.int16(R[i])
                c[i] += abs(a)
    # per-column state the kernel carries from sweep to sweep
    gmin = np.empty(nx, np.int32)  # best cost so far
    gmind = np.empty(nx, np.int32)  # its disparity
    skip = np.empty(nx, np.bool_)  # rejected by the uniqueness test
    skip_val = np.empty(nx, np.int32)  # the lowest rejecting cost
    edge_nb = np.empty(nx, np.int32)  # the previous sweep's last two costs
    edge = np.empty(nx, np.int32)
    min_p = np.empty(nx, np.int32)  # the costs either side of the best
    min_n = np.empty(nx, np.int32)
    # one sweep's findings for the whole row at once (loops over columns vectorise)
    lmin = np.empty(nx, np.int32)  # the sweep's smallest cost
    lmind = np.empty(nx, np.int32)  # its largest disparity
    m_far = np.empty(nx, np.int32)  # smallest cost more than one disparity away from it
    m_rest = np.empty(nx, np.int32)  # smallest cost but the sweep's first
    nbp = np.empty(nx, np.int32)  # the costs either side of the sweep's best
    nbn = np.empty(nx, np.int32)
    for y in range(y0, y1):
        # 1. slide the column sums down one row: add row y + h, drop row y - h - 1
        La = lp[y + h, x0:]
        if y > y0:
            Lr = lp[y - h - 1, x0:]
            for d in range(N):
                Ra = rp[y + h, x0 - d : x0 - d + width]
                Rr = rp[y - h - 1, x0 - d : x0 - d + width]
                c = col[d]
                for i in range(width):
                    a = np.int16(La[i]) - np.int16(Ra[i])
                    b = np.int16(Lr[i]) - np.int16(Rr[i])
                    c[i] += abs(a) - abs(b)
        else:
            for d in range(N):
                Ra = rp[y + h, x0 - d : x0 - d + width]
                c = col[d]
                for i in range(width):
                    a = np.int16(La[i]) - np.int16(Ra[i])
                    c[i] += abs(a)
        # 2. window costs: sad[d, j] for output column xs0 + j = col[d, j .. j + W - 1]
        for d in range(N):
            c = col[d]
            s = sad[d]
            for j in range(nx):
                s[j] = c[j]
            for k in range(1, W):
                ck = c[k : k + nx]
                for j in range(nx):
                    s[j] += ck[j]
        # 3. the sweeps, U disparities each, with the kernel's per-column state
        for j in range(nx):
            gmin[j] = INT_MAX
            gmind[j] = 0
            skip[j] = False
            skip_val[j] = INT_MAX
            edge_nb[j] = INT_MAX
            edge[j] = 0
            min_p[j] = INT_MAX
            min_n[j] = INT_MAX
        for sw in range(N // U):
            base = sw * U
            blk = sad[base : base + U]
            # smallest SAD of the sweep and its last (largest) disparity
            for j in range(nx):
                lmin[j] = blk[0, j]
            for d in range(1, U):
                b = blk[d]
                for j in range(nx):
                    lmin[j] = min(lmin[j], np.int32(b[j]))
            for j in range(nx):
                lmind[j] = 0
            for d in range(1, U):
                b = blk[d]
                for j in range(nx):
                    if np.int32(b[j]) == lmin[j]:
                        lmind[j] = d
            for j in range(nx):
                m_far[j] = INT_MAX
                m_rest[j] = INT_MAX
                nbp[j] = 0
                nbn[j] = 0
            for d in range(U):
                b = blk[d]
                for j in range(nx):
                    v = np.int32(b[j])
                    ld = lmind[j]
                    if d < ld - 1 or d > ld + 1:
                        m_far[j] = min(m_far[j], v)
                    if d >= 1:
                        m_rest[j] = min(m_rest[j], v)
                    if d == ld - 1:
                        nbp[j] = v
                    if d == (ld - 1 if ld == U - 1 else ld + 1):
                        nbn[j] = v
            for j in range(nx):  # the kernel's state update, branch for branch
                lm = lmin[j]
                ld = lmind[j]
                gm = gmin[j]
                gd = gmind[j]
                sv = skip_val[j]
                if sw == 0:
                    g_edge = np.int32(blk[1, j]) if U != 1 else 0
                    g_edge_nb = INT_MAX
                    g_n = min_n[j]
                else:
                    g_edge = edge[j]
                    g_edge_nb = INT_MAX if (sw == 1 and U == 1) else edge_nb[j]
                    g_n = np.int32(blk[0, j]) if gd == base - 1 else min_n[j]
                new = lm <= gm
                n_skip = False
                n_val = sv
                thresh_n = lm + (lm * ur) // 100
                if ur > 0:
                    close = gm <= thresh_n
                    far = close and (ld + base > gd + 1)
                    nxt = close and (ld + base == gd + 1)
                    c2 = nxt and (sv <= thresh_n)
                    c3 = nxt and (not c2) and (g_edge_nb <= thresh_n)
                    n_skip = far or c2 or c3
                    n_val = gm if far else (g_edge_nb if c3 else sv)
                n_p = g_edge if ld == 0 else nbp[j]
                n_n = np.int32(blk[0, j]) if U == 1 else nbn[j]
                next_edge_nb = edge[j] if U == 1 else np.int32(blk[U - 2, j])
                next_edge = np.int32(blk[U - 1, j])
                o_skip = skip[j]
                o_val = sv
                if ur > 0 and sw > 0:
                    thresh = gm + (gm * ur) // 100
                    m_ok = m_rest[j] if gd == base - 1 else lm
                    if m_ok <= thresh and m_ok < o_val:
                        o_skip = True
                        o_val = m_ok
                if ur > 0:
                    mf = m_far[j]
                    if mf <= thresh_n and mf < n_val:
                        n_skip = True
                        n_val = mf
                if new:
                    skip[j] = n_skip
                    skip_val[j] = n_val
                    min_p[j] = n_p
                    min_n[j] = n_n
                    gmind[j] = ld + base
                    gmin[j] = lm
                else:
                    skip[j] = o_skip
                    skip_val[j] = o_val
                    min_n[j] = g_n
                edge_nb[j] = next_edge_nb
                edge[j] = next_edge
        # 4. the 16-bit output (256 D + delta + 15) >> 4; 0 where rejected or too flat
        o = out[y, xs0 : xs0 + nx]
        t = tex[y, xs0 : xs0 + nx]
        for j in range(nx):
            if skip[j] or t[j] < tt:
                o[j] = 0
                continue
            gd = np.int64(gmind[j])
            p = np.int64(min_n[j] if gd == 0 else min_p[j])  # the other side at the ends
            n = np.int64(min_p[j] if gd == N - 1 else min_n[j])
            m = np.int64(gmin[j])
            p = wrap(p, kbits)
            n = wrap(n, kbits)
            k = wrap(p + n - 2 * m + abs(p - n), kbits)
            num = wrap((p - n) << 8, kbits + 8)
            if k == 0:
                delta = np.int64(0)
            else:
                q = abs(num) // abs(k)  # C division: toward zero
                delta = q if (num >= 0) == (k > 0) else -q
                delta = wrap(delta, 10)
            o[j] = np.uint16(((gd * 256 + delta + 15) >> 4) & 0xFFFF)
