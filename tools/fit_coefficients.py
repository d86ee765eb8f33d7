"""Derive every polynomial coefficient used by gelu_fast/_math.pxi.

Run:  python tools/fit_coefficients.py      (needs mpmath; a few seconds)

Each approximation is a polynomial in the monomial basis (evaluated by
Horner's rule) fitted in 60-digit arithmetic by least squares in relative
error on Chebyshev nodes -- close to the minimax polynomial of the same degree
(Trefethen, "Approximation Theory and Approximation Practice", ch. 16) --
with its coefficients rounded to double one at a time, lowest order first,
refitting the rest after each rounding (see fit_rounded).  The degrees are
chosen so that the approximation error is a small fraction of the rounding
error of the arithmetic that evaluates them.  The script prints, for each
table, the coefficients rounded to double (17 significant digits, which
round-trips) and the maximum relative error of the *rounded* polynomial
against the mpmath function, evaluated in exact arithmetic on a fine grid.
These are the bounds quoted in the comments of _math.pxi.

1. The exponential core  e**r ~= 1 + r + r**2 * q(r),  |r| <= ln(2)/2 * (1 + 2**-20).
   The leading 1 + r is exact; q has degree 10 (double) and 4 (float32 target).
   K = 4, a power of two, makes t = 1 - 8/(a+4) exact to one rounding.

2. The scaled complementary normal tail.  For a >= 0,
       Q(a) = 1 - Phi(a) = 1/2 * exp(-a**2/2) * R(a),   R(a) = erfcx(a/sqrt(2)).
   R falls like sqrt(2/pi)/a, so it is written as
       R(a) = f(t) / (a + K),   t = (a - K)/(a + K)  in [-1, 1),
   (Schonfelder, Math. Comp. 32 (1978), uses this map for erfc).  f is smooth on
   [-1, 1], f(-1) = K, f(1) = sqrt(2/pi), and is approximated by a polynomial
   in t on [-1, t(a_max)].  a_max is where gelu underflows to zero (the kernels
   clamp |x| there): 40 for double, 15 for the float32 kernel.

3. The explicit float32 SIMD kernels (gelu_fast/_simd_avx512.h and
   gelu_fast/_simd_avx2.h), whose tables are written, all into one C header,
   by

       python tools/fit_coefficients.py --simd     (writes gelu_fast/_simd_tables.h)

   (see fit_simd below, the comment at the top of the header and the design
   notes of the two kernel headers).  Both kernels cut a = |x| into intervals
   read off the bits of u = fl(a + 1) -- two exponent bits and `mbits`
   leading mantissa bits, the interval's table slot being the low mbits + 2
   bits of bits(u) >> (23 - mbits) -- so that one register permute fetches a
   coefficient; with Q(a) = 1 - Phi(a), per interval
       G(a) = -2 ln Q(a) - a**2       (gelu:  Q(a) = exp(-(a**2 + G(a))/2)),
       H(a) = a/sqrt(2 pi) - Q(a) exp(a**2/2)
                                      (gelu_grad: a*phi(a) - Q(a) = exp(-a**2/2) H(a))
   are polynomials in t = a - c with float32 coefficients, and
   e**(-r/2) = 1 + r*P(r) on the range of the reduced argument r.
   AVX-512 (16-entry vpermps): mbits = 2, 16 intervals (widths 1/4 to 2),
   degree 6, G's constant term on a 2**-16 grid.  AVX2 (8-entry
   _mm256_permutevar8x32_ps): mbits = 1, 8 intervals (widths 1/2 to 4),
   degree 7, gelu's polynomial is G - n*2ln2 with an integer n per interval.
"""
import mpmath as mp

mp.mp.dps = 60


def fit_rounded(f, lo, hi, n, w=None, rnd=float, fixed=(), nodes=None):
    """Degree-n polynomial for f on [lo, hi], coefficients rounded by `rnd`
    (to double by default; f32 for the SIMD tables).

    Rounding the coefficients of the exact interpolant costs up to half an
    ulp of each, which adds up at the ends of the interval.  Instead the
    coefficients are fixed one at a time, lowest order first: each step fits
    the remaining ones by least squares in w(t)*(f(t) - p(t)) (w = 1/f by
    default: relative error) on `nodes` Chebyshev nodes (4(n+1) by default),
    in the working precision, then rounds the next one, so later
    coefficients absorb the rounding of earlier ones.  `fixed` are
    coefficients imposed from degree 0 up (an exact constant term, or 0).
    """
    M = nodes or 4 * (n + 1)
    ts = [(hi - lo) / 2 * mp.cos(mp.pi * (k + mp.mpf(1) / 2) / M) + (hi + lo) / 2 for k in range(M)]
    fs = [f(t) for t in ts]
    ws = [w(t) for t in ts] if w else [1 / fv for fv in fs]
    fixed = [mp.mpf(c) for c in fixed]
    for k in range(len(fixed), n + 1):
        A = mp.matrix(M, n + 1 - k)
        b = mp.matrix(M, 1)
        for j, (t, fv, wv) in enumerate(zip(ts, fs, ws)):
            b[j] = (fv - horner(fixed, t)) * wv
            for i in range(k, n + 1):
                A[j, i - k] = t**i * wv
        sol, _ = mp.qr_solve(A, b)
        fixed.append(mp.mpf(rnd(sol[0])))
    return [float(c) for c in fixed]


def horner(coeffs, v):
    p = mp.mpf(0)
    for c in reversed(coeffs):
        p = p * v + c
    return p


def max_rel_error(exact, approx, lo, hi, m=3000):
    return max(abs(approx(v) / exact(v) - 1)
               for v in (lo + (hi - lo) * mp.mpf(i) / m for i in range(m + 1)))


def show(name, coeffs, err, note):
    print(f"# {name}: {note}; max relative error of the rounded polynomial {float(err):.2e}")
    print(f"{name} = (")
    for c in coeffs:
        print(f"    {c!r},")
    print(")\n")


def fit_exp(degree_q):
    rmax = mp.log(2) / 2 * (1 + mp.mpf(2)**-20)
    # q(r) = sum_k r**k / (k+2)!  (the series avoids the cancellation in (e**r - 1 - r)/r**2)
    q = lambda r: mp.fsum(r**k / mp.factorial(k + 2) for k in range(60))
    c = fit_rounded(q, -rmax, rmax, degree_q)
    mpc = [mp.mpf(x) for x in c]
    err = max_rel_error(mp.exp, lambda r: 1 + r + r * r * horner(mpc, r), -rmax, rmax)
    return c, err


def fit_tail(K, amax, degree):
    K, amax = mp.mpf(K), mp.mpf(amax)
    R = lambda a: mp.erfc(a / mp.sqrt(2)) * mp.exp(a * a / 2)
    f = lambda t: (K * (1 + t) / (1 - t) + K) * R(K * (1 + t) / (1 - t))
    tmax = (amax - K) / (amax + K)
    c = fit_rounded(f, mp.mpf(-1), tmax, degree)
    mpc = [mp.mpf(x) for x in c]
    err = max_rel_error(R, lambda a: horner(mpc, (a - K) / (a + K)) / (a + K), mp.mpf(0), amax)
    return c, err


def show_constant(name, value, note):
    hi = float(value)
    lo = float(value - mp.mpf(hi))
    print(f"# {name}: {note}\n{name}_HI = {hi!r}\n{name}_LO = {lo!r}\n")


# ---- float32 SIMD tables (--simd) -------------------------------------------

def f32(v):
    """mpf -> nearest float32 (as a Python float; via double, which is exact
    enough here: the next coefficients are refitted after each rounding)."""
    import struct
    return struct.unpack("f", struct.pack("f", float(v)))[0]


def poly_max_error(f, w, coeffs, lo, hi, m):
    """max of |w(t)*(f(t) - p(t))| on a grid of m+1 points, in exact arithmetic."""
    cs = [mp.mpf(c) for c in coeffs]
    return max(abs((f(t) - horner(cs, t)) * w(t))
               for t in (lo + (hi - lo) * mp.mpf(i) / m for i in range(m + 1)))


SIMD_CLAMP_NEG = 14.9   # |x| clamp (gelu(x <= -14.31) has underflowed to -0)
SIMD_NODES = 32         # least-squares nodes of every per-interval fit (both ISAs)
# AVX-512 tables
SIMD_DEG = 6            # degree of the G and H polynomials
SIMD_EXP_DEG = {"GELU": 7, "GRAD": 6}   # degree of e**(-r/2) = 1 + r*P(r)
SIMD_GRID = 400         # error grid of the per-interval polynomials
# AVX2 tables
T8_DEG_G, T8_DEG_H, T8_DEG_EXP = 7, 7, 6
T8_GRID = 600
T8_MAGIC = 12582912.0   # 1.5 * 2**23: adding it rounds a float to an integer


def simd_intervals(mbits):
    """[(lo, hi)] in a (unclamped), indexed like the kernels' permutes: slot
    = the low mbits + 2 bits of bits(u) >> (23 - mbits), u = a + 1 in
    [1, 16) -- two exponent bits and the `mbits` leading mantissa bits of u.
    mbits = 2: 16 slots (AVX-512), 1: 8 slots (AVX2)."""
    nj = 1 << mbits
    out = [None] * (4 * nj)
    for e in range(4):                       # u in [2**e, 2**(e+1))
        for j in range(nj):
            ulo = mp.mpf(2)**e * (1 + mp.mpf(j) / nj)
            uhi = mp.mpf(2)**e * (1 + mp.mpf(j + 1) / nj)
            out[((e + 3) & 3) * nj + j] = (ulo - 1, uhi - 1)     # (127 + e) & 3 = (e + 3) & 3
    return out


def simd_Q(a):
    return mp.erfc(a / mp.sqrt(2)) / 2


def simd_G(a):
    return -2 * mp.log(simd_Q(a)) - a * a


def simd_H(a):
    return a / mp.sqrt(2 * mp.pi) - simd_Q(a) * mp.exp(a * a / 2)


def simd_S(a):
    """a/sqrt(2 pi) + Q(a) exp(a**2/2): the sum of the magnitudes of H's two
    terms; H's error is weighted by 1/S (relative to |H| away from its zero
    a0 = 0.7518, relative to the terms of gelu_grad near it)."""
    return a / mp.sqrt(2 * mp.pi) + simd_Q(a) * mp.exp(a * a / 2)


def fit_piece(F, W, c, lo, hi, degree, fixed, grid):
    """F(a) ~ sum_j cs[j] * (a - c)**j on [lo, hi] with float32 coefficients
    (fit_rounded, weight W, SIMD_NODES nodes); returns cs and the largest
    |W*(F - p)| on a grid of grid + 1 points."""
    f = lambda t: F(c + t)
    w = lambda t: W(c + t)
    cs = fit_rounded(f, lo - c, hi - c, degree, w=w, rnd=f32, fixed=fixed, nodes=SIMD_NODES)
    return cs, poly_max_error(f, w, cs, lo - c, hi - c, grid)


def fit_exp_half(rmax, degree, nodes):
    """exp(-r/2) = 1 + r*P(r) on |r| <= rmax, P of degree - 1 with float32
    coefficients, fitted in relative error of exp(-r/2); returns P's
    coefficients and the relative error of 1 + r*P(r) (grid of 2001 points)."""
    c = fit_rounded(lambda r: mp.expm1(-r / 2), -rmax, rmax, degree,
                    w=lambda r: mp.exp(r / 2), rnd=f32, fixed=(0,), nodes=nodes)[1:]
    mpc = [mp.mpf(x) for x in c]
    err = max_rel_error(lambda r: mp.exp(-r / 2), lambda r: 1 + r * horner(mpc, r), -rmax, rmax, 2000)
    return c, err


def simd_mid(f, lo, hi, grid):
    """A float32 m near the middle of [lo, hi] at which f(m) is within ~2**-36
    relative of a value c0 on `grid` (a function rounding to the grid), so
    that c0 is f's constant term with (almost) no rounding error: 2**-16
    multiples for G (c0 - k*L_HI is then exact in the kernel), float32 for H.
    Candidates m (up to 1/8 of the width from the middle) are scanned in
    double with a degree-7 Taylor model of f; the best is checked in mpmath.
    (AVX-512 tables; the AVX2 ones use the simpler search of t8_mid.)"""
    import numpy as np
    m0 = f32((lo + hi) / 2)
    tay = [float(v) for v in mp.taylor(f, mp.mpf(m0), 7)]
    bits0 = np.array([m0], dtype=np.float32).view(np.uint32)[0]
    span = float(hi - lo) / 8
    ulp = float(np.spacing(np.float32(m0)))
    n = min(int(span / ulp), 1 << 20)
    j = np.arange(-n, n + 1, dtype=np.int64)
    cand = (np.int64(bits0) + j).astype(np.uint32).view(np.float32).astype(np.float64)
    d = cand - m0
    fv = np.zeros_like(d)
    for c in reversed(tay):
        fv = fv * d + c
    g = np.array([float(grid(v)) for v in fv]) if n < 300 else grid(fv)
    dist = np.abs(fv - g) / np.abs(fv)
    order = np.argsort(dist)[:8]
    best = None
    for i in order:
        m = mp.mpf(float(cand[i]))
        v = f(m)
        c0 = mp.mpf(float(grid(np.float64(v))))
        e = abs(v - c0) / abs(v)
        if best is None or e < best[0]:
            best = (e, m, c0)
    return best[1], best[2]


def t8_mid(f, c, ncand=4000):
    """A float32 near c at which f is within 2**-9 ulp of a float32 (the
    first such, scanning outward in steps of 4 ulps; else the best of ncand),
    so that f's constant term, f(c) rounded to float32, has essentially no
    rounding error (AVX2 tables).  t = a - c stays exact: c is a float32 in
    the interval and a/2 <= c <= 2a (Sterbenz)."""
    import math
    ulp32 = lambda v: mp.mpf(2)**(math.frexp(float(v))[1] - 24)
    best, bc = 1.0, c
    step = ulp32(c) * 4
    with mp.workdps(30):
        for j in range(ncand):
            cc = mp.mpf(f32(c + (j // 2 + 1) * step * (1 if j % 2 else -1)))
            v = f(cc)
            d = abs(v / ulp32(v) - mp.nint(v / ulp32(v)))
            if d < best:
                best, bc = float(d), cc
            if best < 1.0 / 512:
                break
    return bc


def grid_2m16(v):
    import numpy as np
    return np.round(np.asarray(v, dtype=np.float64) * 65536.0) / 65536.0


def grid_f32(v):
    import numpy as np
    return np.asarray(v, dtype=np.float64).astype(np.float32).astype(np.float64)


def log2s(e):
    return f"2**{float(mp.log(e, 2)):.1f}"


def simd_avx512_tables(L):
    """The AVX-512 tables (16 intervals, degree 6): see _simd_avx512.h."""
    import sys
    ivs = simd_intervals(2)
    clamp = mp.mpf(SIMD_CLAMP_NEG)
    eps = mp.mpf(2)**-20                            # fl(a + 1) may move a by an ulp across an edge
    pw = SIMD_DEG + 1
    # gelu: G, constant term c0 = G(mid) on the 2**-16 grid
    gmid, grows, gerr, gvar = [], [[None] * 16 for _ in range(pw)], [], []
    for i, (lo, hi) in enumerate(ivs):
        lo, hi = max(lo - eps, mp.mpf(0)), min(hi, clamp) + eps
        m, c0 = simd_mid(simd_G, lo, hi, grid_2m16)
        c, err = fit_piece(simd_G, lambda a: 1, m, lo, hi, SIMD_DEG, (c0,), SIMD_GRID)
        var = max(abs(simd_G(lo) - c0), abs(simd_G(hi) - c0))
        gmid.append(m)
        for j in range(pw):
            grows[j][i] = c[j]
        gerr.append(err)
        gvar.append(var)
        print(f"G  [{i:2d}] a in [{float(lo):6.3f}, {float(hi):6.3f}] mid {float(m)!r:12} "
              f"c0 = {float(c0)!r} (G(mid) - c0 = {float(simd_G(m) - c0):.1e}) "
              f"max |G - c0| {float(var):.3f}, max abs error {float(err):.2e} = {log2s(err)}",
              file=sys.stderr)
    # gelu_grad: H, weighted by 1/S
    hmid, hrows, herr = [], [[None] * 16 for _ in range(pw)], []
    for i, (lo, hi) in enumerate(ivs):
        hi = min(hi, clamp)
        if i == 12:     # H(0) = -1/2 exactly: gelu_grad(+-0) = 0.5
            m, c0 = mp.mpf(0), mp.mpf(-0.5)
        else:
            m, c0 = simd_mid(simd_H, lo, hi, grid_f32)
        lo, hi = max(lo - eps, mp.mpf(0)), hi + eps
        c, err = fit_piece(simd_H, lambda a: 1 / simd_S(a), m, lo, hi, SIMD_DEG, (c0,), SIMD_GRID)
        hmid.append(m)
        for j in range(pw):
            hrows[j][i] = c[j]
        herr.append(err)
        print(f"H  [{i:2d}] a in [{float(lo):6.3f}, {float(hi):6.3f}] mid {float(m)!r:12} "
              f"(H(mid) - c0)/S = {float((simd_H(m) - c0) / simd_S(m)):.1e} "
              f"max |error|/S {float(err):.2e} = {log2s(err)}", file=sys.stderr)
    # e**(-r/2) = 1 + r*P(r)
    rmax = {"GELU": L / 2 * (1 + mp.mpf(2)**-16) + max(gvar) + mp.mpf(2)**-10,
            "GRAD": L / 2 * (1 + mp.mpf(2)**-16)}
    exps = []
    for name in ("GELU", "GRAD"):
        deg = SIMD_EXP_DEG[name]
        c, err = fit_exp_half(rmax[name], deg, 4 * (deg + 1))
        exps.append((name, rmax[name], c, err))
        print(f"EXP_{name} |r| <= {float(rmax[name]):.4f}: max relative error {float(err):.2e} = {log2s(err)}",
              file=sys.stderr)

    comment = [" *", " * AVX-512 tables (_simd_avx512.h; 16-entry vpermps).  Interval i (the low",
               " * 4 bits of bits(fl(|x| + 1)) >> 21) of a = |x|:"]
    for i, (lo, hi) in enumerate(ivs):
        comment.append(f" *   [{i:2d}] a in [{float(lo):5.2f}, {float(hi):5.2f}):  G error {log2s(gerr[i])} abs,"
                       f"  H error {log2s(herr[i])} rel. to S")
    comment += f""" * G(a) = -2 ln Q(a) - a**2 ~= sum_j GF_GELU_G[j][i] * t**j, t = a - GF_GELU_MID[i];
 *   GF_GELU_G[0][i] is a multiple of 2**-16 equal to G(GF_GELU_MID[i]) to ~2**-30.
 *   Largest absolute error of the rounded polynomials: {log2s(max(gerr))};
 *   largest |G(a) - GF_GELU_G[0][i]| on an interval: {float(max(gvar)):.4f}.
 * H(a) = a/sqrt(2 pi) - Q(a) exp(a**2/2) ~= sum_j GF_GRAD_H[j][i] * t**j,
 *   t = a - GF_GRAD_MID[i] (interval 12 starts at MID = 0 with H(0) = -1/2
 *   exactly); largest error relative to S(a) = a/sqrt(2 pi) + Q(a) exp(a**2/2):
 *   {log2s(max(herr))}.
 * exp(-r/2) = 1 + r*P(r), P(r) = sum_j GF_EXP_*[j] * r**j:""".split("\n")
    for name, r, c, err in exps:
        comment.append(f" *   GF_EXP_{name}: |r| <= {float(r):.4f}, max relative error {log2s(err)} ({float(err):.2e})")
    comment.append(f" * Errors measured on a grid of {SIMD_GRID + 1} points per interval (2001 for exp).")
    out = [f"#define GF_SIMD_DEG {SIMD_DEG}",
           f"#define GF_SIMD_EXP_DEG_GELU {SIMD_EXP_DEG['GELU']}",
           f"#define GF_SIMD_EXP_DEG_GRAD {SIMD_EXP_DEG['GRAD']}",
           simd_c_array("GF_GELU_MID", gmid, "gelu: interval centres"),
           simd_c_array("GF_GELU_G", grows, f"gelu: G coefficients, [power][interval]; "
                                            f"max abs error {float(max(gerr)):.2e}"),
           simd_c_array("GF_GRAD_MID", hmid, "gelu_grad: interval centres"),
           simd_c_array("GF_GRAD_H", hrows, f"gelu_grad: H coefficients, [power][interval]; "
                                            f"max error rel. to S {float(max(herr)):.2e}")]
    for name, r, c, err in exps:
        out.append(simd_c_array(f"GF_EXP_{name}", c,
                                f"exp(-r/2) = 1 + r*P(r), |r| <= {float(r):.4f}: P's coefficients of "
                                f"r**0..r**{SIMD_EXP_DEG[name] - 1}; max relative error {float(err):.2e}"))
    return comment, out


def simd_avx2_tables(L):
    """The AVX2 tables (8 intervals, degree 7): see _simd_avx2.h."""
    import sys
    clamp = mp.mpf(SIMD_CLAMP_NEG)
    ivs = [(lo, min(hi, clamp)) for lo, hi in simd_intervals(1)]
    ns = len(ivs)
    # expansion points: float32 near the middle; 0 for the first interval (t = a)
    mids = [mp.mpf(0) if lo == 0 else mp.mpf(f32((lo + hi) / 2)) for lo, hi in ivs]
    # gelu: P = G - n*2ln2, n per interval centring P on 0; the kernel rounds
    # k = round((a*a + P)/(2 ln 2)) + n from T = n + 1.5*2**23
    off_g, T, gerr, G = [None] * ns, [None] * ns, [None] * ns, [[None] * ns for _ in range(T8_DEG_G + 1)]
    prange = [0.0, 0.0]
    for s, (lo, hi) in enumerate(ivs):
        c, fixed = mids[s], ()
        if lo == 0:
            n, fixed = 1, (0.0,)    # G(0) = 2 ln 2 exactly: P(0) = 0, relative accuracy at tiny a
        else:
            n = int(mp.nint((simd_G(lo) + simd_G(hi)) / 2 / L))
        F = lambda a, n=n: simd_G(a) - n * L
        if lo != 0:
            c = t8_mid(F, c)
        cs, gerr[s] = fit_piece(F, lambda a: mp.mpf(1), c, lo, hi, T8_DEG_G, fixed, T8_GRID)
        pr = [float(F(lo + (hi - lo) * mp.mpf(i) / 64)) for i in range(65)]
        prange = [min(prange[0], min(pr)), max(prange[1], max(pr))]
        off_g[s], T[s] = c, T8_MAGIC + n
        for k in range(T8_DEG_G + 1):
            G[k][s] = cs[k]
        print(f"T8 G [{s}] a in [{float(lo):6.3f}, {float(hi):6.3f}] c {float(c)!r:12} n {n} "
              f"max abs error {float(gerr[s]):.2e} = {log2s(gerr[s])}", file=sys.stderr)
    # gelu_grad: H, relative error (relative to S in the interval of H's zero a0)
    a0 = mp.findroot(simd_H, 0.75)
    off_h, herr, H = [None] * ns, [None] * ns, [[None] * ns for _ in range(T8_DEG_H + 1)]
    for s, (lo, hi) in enumerate(ivs):
        c = mids[s] if lo == 0 else t8_mid(simd_H, mids[s])
        W = (lambda a: 1 / simd_S(a)) if lo <= a0 < hi else (lambda a: 1 / abs(simd_H(a)))
        cs, herr[s] = fit_piece(simd_H, W, c, lo, hi, T8_DEG_H, (), T8_GRID)
        off_h[s] = c
        for k in range(T8_DEG_H + 1):
            H[k][s] = cs[k]
        print(f"T8 H [{s}] a in [{float(lo):6.3f}, {float(hi):6.3f}] c {float(c)!r:12} "
              f"max weighted error {float(herr[s]):.2e} = {log2s(herr[s])}", file=sys.stderr)
    # exp(-r/2) = 1 + r*P(r): both kernels reduce to |r| <= ln 2 (+ rounding)
    # (24 nodes, 4 per coefficient; the AVX-512 fits use 4 per coefficient + 4:
    # each set of tables keeps the nodes it was fitted and checked with)
    rmax = L / 2 * (1 + mp.mpf(2)**-12)
    E, eerr = fit_exp_half(rmax, T8_DEG_EXP, 4 * T8_DEG_EXP)
    print(f"T8 EXP |r| <= {float(rmax):.4f}: max relative error {float(eerr):.2e} = {log2s(eerr)}",
          file=sys.stderr)

    comment = [" *", " * AVX2 tables (_simd_avx2.h; 8-entry _mm256_permutevar8x32_ps).  Slot s",
               " * (the low 3 bits of bits(fl(|x| + 1)) >> 22) of a = |x|:"]
    for s, (lo, hi) in enumerate(ivs):
        hrel = "rel. to S" if lo <= a0 < hi else "rel."
        comment.append(f" *   [{s}] a in [{float(lo):5.2f}, {float(hi):5.2f}{']' if hi == clamp else ')'}:  "
                       f"G error {log2s(gerr[s])} abs,  H error {log2s(herr[s])} {hrel}")
    comment += f""" * P(a) = G(a) - n*2ln2 ~= sum_k GF_T8_G[k][s] * t**k, t = a - GF_T8_OFF_G[s],
 *   n = GF_T8_T[s] - 1.5*2**23 (the kernel's k = round((a*a + P)/(2 ln 2)) + n);
 *   P in [{prange[0]:.3f}, {prange[1]:.3f}]; slot 6 expands at 0 with P(0) = 0 exactly.
 *   Largest absolute error: {log2s(max(gerr))} ({float(max(gerr)):.2e}).
 * H(a) ~= sum_k GF_T8_H[k][s] * t**k, t = a - GF_T8_OFF_H[s]; largest error
 *   relative to |H| (to S in slot 7, which holds H's zero a0 = {float(a0):.4f}):
 *   {log2s(max(herr))} ({float(max(herr)):.2e}).
 * exp(-r/2) = 1 + r*sum_k GF_T8_E[k] * r**k, |r| <= {float(rmax):.4f}: max relative
 *   error {log2s(eerr)} ({float(eerr):.2e}).
 * The expansion points are float32s where G - n*2ln2 (H) is within 2**-9 ulp
 * of a float32.  Errors measured on a grid of {T8_GRID + 1} points per interval
 * (2001 for exp).""".split("\n")
    out = [f"#define GF_T8_SLOTS {ns}",
           "#define GF_T8_SHIFT 22   /* slot = low 3 bits of bits(a + 1) >> GF_T8_SHIFT */",
           f"#define GF_T8_DEG_G {T8_DEG_G}",
           f"#define GF_T8_DEG_H {T8_DEG_H}",
           f"#define GF_T8_NEXP {T8_DEG_EXP}   /* coefficients of P in exp(-r/2) = 1 + r*P(r) */",
           "#define GF_T8_A_MAX GF_CLAMP_NEG",
           "#define GF_T8_INV_C GF_INV_L",
           "#define GF_T8_C_HI GF_L_HI",
           "#define GF_T8_C_LO GF_L_LO",
           simd_c_array("GF_T8_OFF_G", off_g, "gelu: expansion point per slot (t = a - c)"),
           simd_c_array("GF_T8_OFF_H", off_h, "gelu_grad: expansion point per slot (t = a - c)"),
           simd_c_array("GF_T8_T", T, "gelu: n + 1.5*2**23 per slot"),
           simd_c_array("GF_T8_G", G, f"gelu: P = G - n*2ln2 coefficients, [power][slot]; "
                                      f"max abs error {float(max(gerr)):.2e}"),
           simd_c_array("GF_T8_H", H, f"gelu_grad: H coefficients, [power][slot]; "
                                      f"max rel. error (slot 7: rel. to S) {float(max(herr)):.2e}"),
           simd_c_array("GF_T8_E", E, f"exp(-r/2) = 1 + r*P(r), |r| <= {float(rmax):.4f}: P's coefficients "
                                      f"of r**0..r**{T8_DEG_EXP - 1}; max relative error {float(eerr):.2e}")]
    return comment, out


def c_hex(v):
    """float32 value as an exact C hex literal, e.g. 0x1.8p-3f."""
    h = float(v).hex()                                  # 0x1.8000000000000p-3
    m, e = h.split("p")
    m = m.rstrip("0").rstrip(".") if "." in m else m
    return f"{m}p{e}f"


def simd_c_array(name, rows, comment):
    lines = [f"/* {comment} */"]
    if isinstance(rows[0], list):
        lines.append(f"GF_ALIGNED static const float {name}[{len(rows)}][{len(rows[0])}] = {{")
        for r in rows:
            lines.append("    {" + ", ".join(c_hex(v) for v in r) + "},")
    else:
        lines.append(f"GF_ALIGNED static const float {name}[{len(rows)}] = {{")
        lines.append("    " + ", ".join(c_hex(v) for v in rows) + ",")
    lines.append("};")
    return "\n".join(lines)


def fit_simd():
    """Write gelu_fast/_simd_tables.h (see section 3 of the docstring)."""
    import os
    import sys
    mp.mp.dps = 40
    L = 2 * mp.log(2)
    L_hi = mp.nint(L * 2**15) / 2**15               # 16 bits: k*L_HI exact for k < 2**8
    L_lo = mp.mpf(f32(L - L_hi))
    c512, t512 = simd_avx512_tables(L)
    c8, t8 = simd_avx2_tables(L)
    text = "\n".join(["""/*
 * gelu_fast/_simd_tables.h -- GENERATED by `python tools/fit_coefficients.py
 * --simd`; do not edit.  Float32 tables of the explicit-SIMD exact GELU
 * kernels (see the design notes of _simd_avx512.h and _simd_avx2.h).  Plain
 * data, usable by any instruction set.
 *
 * Both kernels split a = |x| into intervals numbered by bits of fl(a + 1),
 * so that one register permute per coefficient fetches the interval's
 * entry, and evaluate per interval polynomials of G(a) = -2 ln Q(a) - a**2
 * (gelu) and H(a) = a/sqrt(2 pi) - Q(a) exp(a**2/2) (gelu_grad),
 * Q(a) = 1 - Phi(a), then exp(-r/2) = 1 + r*P(r).  They read different
 * tables because the permutes differ in width:
 *   GF_GELU_*, GF_GRAD_*, GF_EXP_*: _simd_avx512.h.  vpermps indexes 16
 *     entries of a zmm register: 16 intervals (widths 1/4 to 2, two mantissa
 *     bits of a + 1), degree 6.  gelu's constant terms are multiples of
 *     2**-16, so that k can be rounded from a*a + c0 alone in parallel with
 *     the polynomial; its exponential then covers |r| <= 1.0003 (degree 7).
 *   GF_T8_*: _simd_avx2.h.  _mm256_permutevar8x32_ps indexes 8 entries:
 *     8 intervals (widths 1/2 to 4, one mantissa bit), degree 7 (the wider
 *     intervals need it).  gelu's polynomial is G - n*2ln2 with an integer n
 *     per interval (GF_T8_T), k is rounded from a*a + P, and one exponential
 *     of degree 6 on |r| <= ln 2 serves both functions.
 *   GF_L_HI, GF_L_LO, GF_INV_L, GF_CLAMP_NEG: both (the GF_T8_ names of the
 *     constants are aliases).""",
        *c512, *c8,
        f""" *
 * Every polynomial is fitted in {mp.mp.dps}-digit arithmetic by weighted least
 * squares on Chebyshev nodes, its coefficients rounded to float32 one at a
 * time (lowest order first) with the rest refitted; the errors above are of
 * the rounded polynomials, measured in exact arithmetic.
 */
#ifndef GELU_FAST_SIMD_TABLES_H
#define GELU_FAST_SIMD_TABLES_H

#ifndef GF_ALIGNED
#if defined(_MSC_VER)
#define GF_ALIGNED __declspec(align(64))
#else
#define GF_ALIGNED __attribute__((aligned(64)))
#endif
#endif

/* 2 ln 2 = GF_L_HI + GF_L_LO; GF_L_HI has 16 bits (k*GF_L_HI exact for |k| < 256) */
static const float GF_L_HI = {c_hex(L_hi)};   /* {float(L_hi)!r} */
static const float GF_L_LO = {c_hex(L_lo)};   /* {float(L_lo)!r} */
static const float GF_INV_L = {c_hex(f32(1 / L))};  /* 1/(2 ln 2) */
static const float GF_CLAMP_NEG = {c_hex(f32(SIMD_CLAMP_NEG))};  /* {SIMD_CLAMP_NEG}: clamp of |x| */

/* ---- AVX-512 (_simd_avx512.h) ---- */""",
        *t512, "\n/* ---- AVX2 (_simd_avx2.h) ---- */", *t8, "\n#endif\n"])
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gelu_fast", "_simd_tables.h")
    with open(path, "w") as fh:
        fh.write(text)
    print(f"wrote {os.path.normpath(path)}", file=sys.stderr)


if __name__ == "__main__":
    import sys
    if "--simd" in sys.argv[1:]:
        fit_simd()
        sys.exit(0)
    show_constant("INV_SQRT_2PI", 1 / mp.sqrt(2 * mp.pi), "1/sqrt(2*pi) as a sum of two doubles")
    # gelu_tanh(x) = x*sigmoid(z), z = 2*sqrt(2/pi)*(x + 0.044715*x**3) = C1*x + C3*x**3
    c1 = 2 * mp.sqrt(2 / mp.pi)
    show_constant("TANH_C1", c1, "2*sqrt(2/pi)")
    show_constant("TANH_C3", c1 * mp.mpf("0.044715"), "2*sqrt(2/pi)*0.044715 (the exact decimal)")
    show_constant("SIGMOID_C", mp.mpf("1.702"), "1.702 (the exact decimal)")
    c, e = fit_exp(10)
    show("EXP_Q_F64", c, e, "e**r = 1 + r + r**2*q(r), |r| <= ln2/2, double kernel")
    c, e = fit_exp(4)
    show("EXP_Q_F32", c, e, "same, float32 kernel")
    c, e = fit_tail(4, 40, 23)
    show("TAIL_F64", c, e, "R(a) = f(t)/(a+4), t = (a-4)/(a+4), 0 <= a <= 40")
    c, e = fit_tail(4, 15, 9)
    show("TAIL_F32", c, e, "R(a) = f(t)/(a+4), t = (a-4)/(a+4), 0 <= a <= 15")
