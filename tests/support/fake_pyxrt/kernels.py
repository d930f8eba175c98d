"""What the fake device computes for each kernel, from its raw device memory.

Written against the kernels' C signatures
(docs/upstream-facts.md#kernel-signatures), not against our library: each
behaviour reads its arguments the way the hardware would (bytes at the buffer,
32-bit scalars already decoded by the fake ``run``) and computes with an
independent implementation (scipy, OpenCV, zlib, numpy). So a marshalling
mistake in the XRT backend -- a wrong argument order, a float sent
as an int, a missing sync -- shows up as a wrong answer.

``LAST`` keeps the decoded scalars of the latest call of each kernel.
"""

from __future__ import annotations

import math
import zlib
from typing import Any

import numpy as np

LAST: dict[str, dict[str, Any]] = {}


def install(px: Any) -> None:
    mem = px.device_memory
    K = px.FakeKernel

    def f32(b: Any, n: int) -> np.ndarray:
        return mem(b)[: 4 * n].view(np.float32)

    def bs_kernel(s, v, r, t, k, call, num, *outs):
        from scipy.stats import norm

        LAST["bs_kernel"] = {"call": call, "num": num}
        if num % 16:  # the kernel reads num / 16 whole 512-bit words: the rest never arrives
            raise RuntimeError(f"bs_kernel: num={num} is not a multiple of 16; the board hangs")
        S, V, R, T, X = (f32(b, num).astype(np.float64) for b in (s, v, r, t, k))
        d1 = (np.log(S / X) + (R + V * V / 2) * T) / (V * np.sqrt(T))
        d2 = d1 - V * np.sqrt(T)
        sign = 1.0 if call else -1.0
        disc = X * np.exp(-R * T)
        price = sign * (S * norm.cdf(sign * d1) - disc * norm.cdf(sign * d2))
        delta = norm.cdf(d1) - (0.0 if call else 1.0)
        gamma = norm.pdf(d1) / (S * V * np.sqrt(T))
        vega = S * norm.pdf(d1) * np.sqrt(T)
        theta = -S * norm.pdf(d1) * V / (2 * np.sqrt(T)) - sign * R * disc * norm.cdf(sign * d2)
        rho = X * T * np.exp(-R * T) * norm.cdf(sign * d2)  # cfBSMEngine: a put's rho is > 0
        # the kernel's units (cf_bsm.hpp): vega and rho per 1 %, theta per day
        vega, rho, theta = vega * 0.01, rho * 0.01, theta / 365
        for b, val in zip(outs, (price, delta, gamma, vega, theta, rho), strict=True):
            f32(b, num)[:] = val

    def mc_euro_k(s0, vol, q, r, t, strike, otype, seed, out, tol, samples, steps):
        LAST["mc_euro_k"] = dict(
            underlying=s0, volatility=vol, dividendYield=q, riskFreeRate=r, timeLength=t,
            strike=strike, optionType=otype, seed=mem(seed)[:8].view(np.uint32).tolist(),
            requiredTolerance=tol, requiredSamples=samples, timeSteps=steps,
        )  # fmt: skip
        # The device's answer: the exact price (a perfect Monte-Carlo), in float32.
        n = lambda x: 0.5 * math.erfc(-x / math.sqrt(2))  # noqa: E731
        d1 = (math.log(s0 / strike) + (r - q + vol * vol / 2) * t) / (vol * math.sqrt(t))
        d2 = d1 - vol * math.sqrt(t)
        if otype == 0:
            p = s0 * math.exp(-q * t) * n(d1) - strike * math.exp(-r * t) * n(d2)
        else:
            p = strike * math.exp(-r * t) * n(-d2) - s0 * math.exp(-q * t) * n(-d1)
        f32(out, 1)[0] = p

    def image(b: Any, rows: int, cols: int) -> np.ndarray:
        ch = mem(b).size // (rows * cols)
        shape = (rows, cols) if ch == 1 else (rows, cols, ch)
        return mem(b)[: rows * cols * ch].reshape(shape)

    def gaussian_filter_accel(inp, out, rows, cols, sigma):
        from tests.support import kernel_ports_vision as ports

        # The real kernel's arithmetic (the 3x3 build), ported loop by loop in kernel_ports_vision.
        LAST["gaussian_filter_accel"] = {"rows": rows, "cols": cols, "sigma": sigma}
        image(out, rows, cols)[...] = ports.gaussian(image(inp, rows, cols), 3, sigma)

    def resize_accel(inp, out, rows_in, cols_in, rows_out, cols_out):
        from tests.support import kernel_ports_vision as ports

        LAST["resize_accel"] = {"in": (rows_in, cols_in), "out": (rows_out, cols_out)}
        src = image(inp, rows_in, cols_in)
        image(out, rows_out, cols_out)[...] = ports.resize(src, rows_out, cols_out)

    def color_detect(inp, low, high, shape, out, rows, cols):
        from tests.support import kernel_ports_vision as ports

        LAST["color_detect"] = {"rows": rows, "cols": cols}
        lo, hi, el = mem(low)[:9], mem(high)[:9], mem(shape)[:9]
        mask = ports.color_detect(image(inp, rows, cols), lo, hi, el)  # rectangular build
        image(out, rows, cols)[...] = mask

    def stereolbm_accel(left, right, state, out, rows, cols):
        from tests.support import kernel_ports_vision as ports

        st = mem(state)[:4]
        LAST["stereolbm_accel"] = {"rows": rows, "cols": cols, "state": st.tolist()}
        d = ports.stereo_bm(
            image(left, rows, cols),
            image(right, rows, cols),
            cap=int(st[0]),
            ur=int(st[1]),
            tt=int(st[2]),
        )  # the 11 / 32 / 32 build; st[3] unused
        mem(out)[: rows * cols * 2].view(np.uint16)[:] = d.reshape(-1)

    def stereopipeline_accel(left, right, out, kl, kr, dl, dr, il, ir, state, rows, cols):
        from tests.support import kernel_ports_vision as ports

        st = mem(state)[:44].view(np.int32)
        LAST["stereopipeline_accel"] = {"rows": rows, "cols": cols, "state": st.tolist()}
        cams = [(f32(k, 9), f32(d, 5), f32(i, 9)) for k, d, i in ((kl, dl, il), (kr, dr, ir))]
        d = ports.stereo_pipeline(
            image(left, rows, cols),
            image(right, rows, cols),
            cams,
            cap=int(st[2]),
            ur=int(st[7]),
            tt=int(st[6]),
        )
        mem(out)[: rows * cols * 2].view(np.uint16)[:] = d.reshape(-1)

    def xil_gzip(inp, out, sizes, checksum, input_size, checksum_type):
        LAST["xilGzipCompBlock"] = {"input_size": input_size, "checksumType": checksum_type}
        data = mem(inp)[:input_size].tobytes()
        parts = []
        for off in range(0, len(data), 32768):  # independent blocks, each sync-flushed
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            parts.append(c.compress(data[off : off + 32768]) + c.flush(zlib.Z_SYNC_FLUSH))
        body = b"".join(parts)
        mem(out)[: len(body)] = np.frombuffer(body, np.uint8)
        mem(sizes)[:4].view(np.uint32)[0] = len(body)
        cs = mem(checksum)[:4].view(np.uint32)
        seed = int(cs[0])
        cs[0] = zlib.crc32(data, ~seed & 0xFFFFFFFF) if checksum_type else zlib.adler32(data, seed)

    def blas_kernel(instr_rd, instr_wr):
        words = mem(instr_rd)[:64].view(np.int32)
        LAST["blasKernel"] = {"words": words.tolist(), "same_buffer": instr_rd is instr_wr}
        if words[0] != 2:
            raise RuntimeError(f"blasKernel: unknown op {words[0]}")
        a_off, b_off, c_off, x_off, m, k, n, lda, ldb, ldc, ldx = (int(w) for w in words[1:12])
        base = instr_rd.address()

        def mat(off: int, rows: int, ld: int) -> np.ndarray:
            b = px.buffer_at(base + off * 4096)
            return mem(b)[: rows * ld * 4].view(np.float32).reshape(rows, ld)

        a, b, x = mat(a_off, m, lda)[:, :k], mat(b_off, k, ldb)[:, :n], mat(x_off, m, ldx)[:, :n]
        mat(c_off, m, ldc)[:, :n] = a.astype(np.float64) @ b.astype(np.float64) + x

    buf, i, u, f = "buffer", "int", "uint", "float"
    px.KERNELS.update(
        bs_kernel=K(
            [("s", buf), ("v", buf), ("r", buf), ("t", buf), ("k", buf), ("call", u), ("num", u)]
            + [(g, buf) for g in ("price", "delta", "gamma", "vega", "theta", "rho")],
            bs_kernel,
        ),
        mc_euro_k=K(
            [
                ("underlying", f),
                ("volatility", f),
                ("dividendYield", f),
                ("riskFreeRate", f),
                ("timeLength", f),
                ("strike", f),
                ("optionType", u),
                ("seed", buf),
                ("output", buf),
                ("requiredTolerance", f),
                ("requiredSamples", u),
                ("timeSteps", u),
            ],
            mc_euro_k,
        ),  # fmt: skip
        gaussian_filter_accel=K(
            [("img_inp", buf), ("img_out", buf), ("rows", i), ("cols", i), ("sigma", f)],
            gaussian_filter_accel,
        ),
        resize_accel=K(
            [
                ("img_inp", buf),
                ("img_out", buf),
                ("rows_in", i),
                ("cols_in", i),
                ("rows_out", i),
                ("cols_out", i),
            ],
            resize_accel,
        ),  # fmt: skip
        color_detect=K(
            [
                ("img_in", buf),
                ("low_thresh", buf),
                ("high_thresh", buf),
                ("process_shape", buf),
                ("img_out", buf),
                ("rows", i),
                ("cols", i),
            ],
            color_detect,
        ),  # fmt: skip
        stereolbm_accel=K(
            [
                ("img_in_l", buf),
                ("img_in_r", buf),
                ("bm_state_in", buf),
                ("img_out", buf),
                ("rows", i),
                ("cols", i),
            ],
            stereolbm_accel,
        ),  # fmt: skip
        stereopipeline_accel=K(
            [("img_L", buf), ("img_R", buf), ("img_disp", buf)]
            + [
                (n, buf)
                for n in (
                    "cameraMA_l",
                    "cameraMA_r",
                    "distC_l",
                    "distC_r",
                    "irA_l",
                    "irA_r",
                    "bm_state_arr",
                )
            ]
            + [("rows", i), ("cols", i)],
            stereopipeline_accel,
        ),  # fmt: skip
        xilGzipCompBlock=K(
            [
                ("in", buf),
                ("out", buf),
                ("compressd_size", buf),
                ("checksumData", buf),
                ("input_size", u),
                ("checksumType", u),
            ],
            xil_gzip,
            groups={0: 0, 1: 0, 2: 0, 3: 0},  # one bundle (gmem) for all four, as in the HLS
        ),  # fmt: skip
        blasKernel=K([("p_DdrRd", buf), ("p_DdrWr", buf)], blas_kernel, groups={0: 1, 1: 1}),
    )


KERNEL_FILES = {
    "finance.xclbin": ["bs_kernel", "mc_euro_k"],
    "vision.xclbin": ["gaussian_filter_accel", "resize_accel", "color_detect", "stereolbm_accel"],
    "gzip.xclbin": ["xilGzipCompBlock"],
    "blas.xclbin": ["blasKernel"],
}
