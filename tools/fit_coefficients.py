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
   coefficient; with Q(a) = 1 - Phi(a), per interval polynomials in
   t = a - c with float32 coefficients, and e**(-r/2) = 1 + r*P(r) on the
   range of the reduced argument r:
       V(a) = a Q(a) exp(a**2/2)      (gelu:  a*Q(a) = exp(-a**2/2) V(a)),
       G(a) = -2 ln Q(a) - a**2       (gelu:  Q(a) = exp(-(a**2 + G(a))/2)),
       H(a) = a/sqrt(2 pi) - Q(a) exp(a**2/2)
                                      (gelu_grad: a*phi(a) - Q(a) = exp(-a**2/2) H(a)).
   AVX-512 (vpermt2ps, 32 entries of two registers): mbits = 3, 32
   intervals (widths 1/8 to 1), V and H of degree 5, the exponential of
   a*a alone (see simd_avx512_tables).  AVX2 (8-entry
   _mm256_permutevar8x32_ps): mbits = 1, 8 intervals (widths 1/2 to 4),
   G and H of degree 7, gelu's polynomial is G - n*2ln2 with an integer n
   per interval; H's expansion points are placed so that the kernel can
   recover the rounding error of H's last Horner step (t8_h_point).
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
# AVX-512 tables
V_MBITS = 3             # 32 intervals
V_DEG = 5               # degree of the V and H polynomials
V_EXP_DEG = 6           # degree of e**(-r/2) = 1 + r*P(r)
V_NODES = 42            # least-squares nodes of every AVX-512 fit (exp included)
V_GRID = 600            # error grid of the per-interval polynomials
V_MID_ULPS = 64         # expansion-point candidates on each side, per step (v_mid)
# AVX2 tables
T8_NODES = 32           # least-squares nodes of every per-interval fit
T8_DEG_G, T8_DEG_H, T8_DEG_EXP = 7, 7, 6
T8_GRID = 600
T8_MAGIC = 12582912.0   # 1.5 * 2**23: adding it rounds a float to an integer


def simd_intervals(mbits):
    """[(lo, hi)] in a (unclamped), indexed like the kernels' permutes: slot
    = the low mbits + 2 bits of bits(u) >> (23 - mbits), u = a + 1 in
    [1, 16) -- two exponent bits and the `mbits` leading mantissa bits of u.
    The biased exponent 127 + e of u in [2**e, 2**(e+1)) has low bits
    (e + 3) & 3, so a in [0, 1) takes the LAST quarter of the slots and
    slot 0 is a in [1, 1 + 2**-mbits).
    mbits = 3: 32 slots (AVX-512), 1: 8 slots (AVX2)."""
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


def simd_V(a):
    """a Q(a) exp(a**2/2) = a erfcx(a/sqrt 2)/2: a/2 near 0, -> 1/sqrt(2 pi)."""
    return a * mp.erfc(a / mp.sqrt(2)) * mp.exp(a * a / 2) / 2


def simd_H(a):
    return a / mp.sqrt(2 * mp.pi) - simd_Q(a) * mp.exp(a * a / 2)


def simd_S(a):
    """a/sqrt(2 pi) + Q(a) exp(a**2/2): the sum of the magnitudes of H's two
    terms; H's error is weighted by 1/S (relative to |H| away from its zero
    a0 = 0.7518, relative to the terms of gelu_grad near it)."""
    return a / mp.sqrt(2 * mp.pi) + simd_Q(a) * mp.exp(a * a / 2)


def fit_piece(F, W, c, lo, hi, degree, fixed, grid, nodes):
    """F(a) ~ sum_j cs[j] * (a - c)**j on [lo, hi] with float32 coefficients
    (fit_rounded, weight W, `nodes` nodes); returns cs and the largest
    |W*(F - p)| on a grid of grid + 1 points."""
    f = lambda t: F(c + t)
    w = lambda t: W(c + t)
    cs = fit_rounded(f, lo - c, hi - c, degree, w=w, rnd=f32, fixed=fixed, nodes=nodes)
    return cs, poly_max_error(f, w, cs, lo - c, hi - c, grid)


def fit_exp_half(rmax, degree, nodes, rate=mp.mpf(1) / 2):
    """exp(-rate*r) = 1 + r*P(r) on |r| <= rmax (rate 1/2 unless given), P
    of degree - 1 with float32 coefficients, fitted in relative error of
    exp(-rate*r); returns P's coefficients and the relative error of
    1 + r*P(r) (grid of 2001 points)."""
    c = fit_rounded(lambda r: mp.expm1(-rate * r), -rmax, rmax, degree,
                    w=lambda r: mp.exp(rate * r), rnd=f32, fixed=(0,), nodes=nodes)[1:]
    mpc = [mp.mpf(x) for x in c]
    err = max_rel_error(lambda r: mp.exp(-rate * r), lambda r: 1 + r * horner(mpc, r), -rmax, rmax, 2000)
    return c, err


def v_mid(f, lo, hi):
    """(m, c0): a float32 m near the middle of [lo, hi] at which f(m) is
    relatively within 2**-34 of a float32 c0, so that c0, f's constant term,
    has almost no rounding error (AVX-512 tables; the AVX2 ones use t8_mid).
    Candidates: V_MID_ULPS float32 steps on each side of the middle, the
    step doubling (up to 1/16 of the interval away) until one qualifies --
    where f is flat, neighbouring floats share f's rounding; else the best.
    The kernel's t = a - m is exact: m/2 <= a <= 2m on every interval but
    [0, 1/8), which expands at 0 (Sterbenz)."""
    import struct
    m0 = f32((lo + hi) / 2)
    b0 = struct.unpack("I", struct.pack("f", m0))[0]
    best, step = None, 1
    while True:
        for j in sorted(range(-V_MID_ULPS, V_MID_ULPS + 1), key=abs):
            m = mp.mpf(struct.unpack("f", struct.pack("I", b0 + j * step))[0])
            if abs(m - m0) > (hi - lo) / 16:
                continue
            v = f(m)
            c0 = mp.mpf(f32(v))
            e = abs(v - c0) / abs(v)
            if best is None or e < best[0]:
                best = (e, m, c0)
        if best[0] < mp.mpf(2)**-34 or step * V_MID_ULPS * mp.ldexp(1, mp.frexp(m0)[1] - 24) > (hi - lo) / 16:
            return best[1], best[2]
        step *= 2


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


def binade32(v):
    """(start of the binade of |v|, float32 ulp there), v normal and nonzero."""
    _, e = mp.frexp(abs(mp.mpf(v)))            # |v| = m 2**e, 1/2 <= m < 1
    return mp.ldexp(1, e - 1), mp.ldexp(1, e - 24)


def split_exact(c0, vlo, vhi):
    """Whether h - c0 is a float32 for every float32 h in [vlo, vhi] (a
    range on one side of 0, c0 a float32 of the same sign): h - c0 is a
    multiple of g = min(ulp(h), ulp(c0)), and exact when it is below
    2**24 g.  Checked binade by binade of h."""
    if vlo * vhi <= 0 or vlo * c0 <= 0:
        return False
    lo, hi = sorted((abs(mp.mpf(vlo)), abs(mp.mpf(vhi))))
    c = abs(mp.mpf(c0))
    while lo <= hi:
        start, ulp_h = binade32(lo)
        top = min(hi, 2 * start)                    # this binade of h: [lo, top]
        g = min(ulp_h, binade32(c)[1])
        if max(abs(lo - c), abs(top - c)) >= 2**24 * g:
            return False
        lo = 2 * start
    return True


def h_range(lo, hi):
    """The values of H (monotonic there) on [lo, hi], widened by 2**-20
    relative: the polynomial's error, and fl(a + 1) rounding a just below lo
    into the interval."""
    vlo, vhi = sorted((simd_H(lo), simd_H(hi)))
    return vlo - abs(vlo) * mp.mpf(2)**-20, vhi + abs(vhi) * mp.mpf(2)**-20


def t8_h_point(lo, hi, steps=32):
    """gelu_grad's expansion point on [lo, hi] (an interval without H's zero):
    the float32 nearest the middle, in steps of (hi - lo)/(2 steps), at which
    the constant term c0 = f32(H(c)) leaves h - c0 exact (split_exact) for
    every value h of H on the interval (widened by 2**-20 relative: the
    polynomial's error and fl(a + 1) rounding across an edge), then moved by
    t8_mid to where H is within 2**-9 ulp of a float32.  The kernel recovers
    the rounding error of H's last Horner step exactly from h - c0 (see
    _simd_avx2.h).  H is monotonic on every such interval."""
    m = (lo + hi) / 2
    vlo, vhi = h_range(lo, hi)
    for j in range(2 * steps):
        c = m + (j // 2 + 1 if j % 2 else -(j // 2)) * (hi - lo) / (2 * steps)
        if not lo < c < hi:
            continue
        c = t8_mid(simd_H, mp.mpf(f32(c)))
        if split_exact(mp.mpf(f32(simd_H(c))), vlo, vhi):
            return c
    raise ValueError(f"no expansion point on [{lo}, {hi}] leaves h - c0 exact")


def log2s(e):
    return f"2**{float(mp.log(e, 2)):.1f}"


def simd_avx512_tables(L):
    """The AVX-512 tables (32 intervals, degree 5): see _simd_avx512.h.
    With a = |x| and Q(a) = 1 - Phi(a), per interval
        gelu:      a Q(a)        = exp(-a**2/2) V(a),  V(a) = a Q(a) exp(a**2/2),
        gelu_grad: a phi(a) - Q(a) = exp(-a**2/2) H(a).
    The kernels reduce a*a by L_V, a 16-bit number near 2 ln 2 (no low
    part): with k = round(a*a/L_V) and r = a*a - k L_V (exact but for one
    rounding),
        exp(-a**2/2) = 2**-k exp(-r ln2/L_V) exp(-beta a**2),
        beta = 1/2 - ln2/L_V (4.3e-4 for the L_V chosen below);
    the polynomial is exp(-r ln2/L_V) and the tables carry the smooth factor
    exp(-beta a**2) and 2**64 (GF_V_SCALE undoes it in the last FMA):
    V*(a) = 2**64 exp(-beta a**2) V(a), H*(a) likewise.  V* is fitted in
    relative error, H* in error relative to S* (simd_S, scaled alike); both
    expand at a float32 v_mid with the constant term f32(f(mid)) fixed,
    except on [0, 1/8), which expands at 0 (V* without constant term, so
    that tiny a keep relative accuracy; H*(0) = -2**63 exactly)."""
    import sys
    clamp = mp.mpf(SIMD_CLAMP_NEG)
    ivs = [(lo, min(hi, clamp)) for lo, hi in simd_intervals(V_MBITS)]
    eps = mp.mpf(2)**-20                            # fl(a + 1) may move a by an ulp across an edge
    # L_V: the 16-bit neighbour of 2 ln 2 (k*L_V exact for k < 2**8) within
    # 64 steps of it whose ln2/L_V -- the exponential's linear coefficient,
    # whose rounding the fit cannot absorb -- is relatively nearest a float32
    rel32 = lambda c: abs(c - mp.mpf(f32(c))) / c
    L_v = min(((mp.nint(L * 2**15) + j) / 2**15 for j in range(-64, 65)),
              key=lambda l: (rel32(mp.log(2) / l), abs(l - L)))
    beta = mp.mpf(1) / 2 - mp.log(2) / L_v
    g = lambda a: mp.exp(-beta * a * a)             # fitted without the 2**64 (exact: scaled after)
    V_s = lambda a: simd_V(a) * g(a)
    H_s = lambda a: simd_H(a) * g(a)
    # V*'s relative error weight; at a = 0 both V* and its polynomial (no
    # constant term) are exactly 0, so the weight there is immaterial
    w_v = lambda a: 1 / V_s(a) if a > 0 else mp.mpf(0)
    w_h = lambda a: 1 / (simd_S(a) * g(a))
    tabs = {}
    for name, F, W in (("V", V_s, w_v), ("H", H_s, w_h)):
        mids, rows, errs = [], [[None] * len(ivs) for _ in range(V_DEG + 1)], []
        for i, (lo0, hi0) in enumerate(ivs):
            lo, hi = max(lo0 - eps, mp.mpf(0)), hi0 + eps
            if lo0 == 0:
                m, fixed = mp.mpf(0), ((0,) if name == "V" else (-0.5,))
            else:
                m, c0 = v_mid(F, lo, hi)
                fixed = (c0,)
            c, err = fit_piece(F, W, m, lo, hi, V_DEG, fixed, V_GRID, V_NODES)
            mids.append(m)
            for j in range(V_DEG + 1):
                rows[j][i] = c[j] * 2.0**64                 # exact
            errs.append(err)
            print(f"{name} [{i:2d}] a in [{float(lo0):6.3f}, {float(hi0):6.3f}) mid {float(m)!r:20} "
                  f"max weighted error {float(err):.2e} = {log2s(err)}", file=sys.stderr)
        tabs[name] = (mids, rows, errs)
    # exp(-r ln2/L_V) = 1 + r*P(r): k is rounded from fl(a*a) (fl(a*a)/L_V is
    # off by up to 2**-16 near a = 14.9), |r| <= L_V/2 (1 + 2**-14)
    rmax = L_v / 2 * (1 + mp.mpf(2)**-14)
    E, eerr = fit_exp_half(rmax, V_EXP_DEG, V_NODES, rate=mp.log(2) / L_v)
    print(f"VEXP |r| <= {float(rmax):.5f}: max relative error {float(eerr):.2e} = {log2s(eerr)}",
          file=sys.stderr)

    (vmid, vrows, verr), (hmid, hrows, herr) = tabs["V"], tabs["H"]
    worst = lambda errs: f"{log2s(max(errs))} (interval {errs.index(max(errs))})"
    lines = [f"""
/* ---- AVX-512 (_simd_avx512.h) ------------------------------------------
 * a = |x| clamped to GF_V_CLAMP; interval i = the low 5 bits of
 * bits(fl(a + 1)) >> 20: two exponent bits and three mantissa bits of
 * u = a + 1 in [1, 16).  u in [1, 2) has biased exponent 127 (low bits 3),
 * so a in [0, 1) is intervals 24..31 and interval 0 starts at a = 1.  Each
 * is fitted on [lo - 2**-20, hi + 2**-20] (fl(a + 1) may round across an
 * edge).  The reduction: k = round(a*a/GF_V_L), r = a*a - k GF_V_L and
 *   exp(-a**2/2) = 2**-k exp(-r ln2/GF_V_L) exp(-beta a**2),
 *   beta = 1/2 - ln2/GF_V_L = {float(beta):.3e};
 * the tables hold V* = 2**64 exp(-beta a**2) V and H* likewise.  Error of the
 * rounded polynomials per interval: V* relative, H* relative to
 * S* = 2**64 exp(-beta a**2) (a/sqrt(2 pi) + Q(a) exp(a**2/2)):"""]
    for i, (lo, hi) in enumerate(ivs):
        ulo, uhi = simd_intervals(V_MBITS)[i]
        lines.append(f" *   [{i:2d}] a in [{float(lo):6.3f}, {float(hi):6.3f}{']' if hi == clamp else ')'}"
                     f"  (u in [{float(ulo + 1):6.3f}, {float(uhi + 1):6.3f})):  "
                     f"V {log2s(verr[i])},  H {log2s(herr[i])}")
    lines += f""" * V(a) = a Q(a) exp(a**2/2); V*(a) ~= sum_j GF_V_C[j][i] t**j, t = a - GF_V_MID[i]:
 *   gelu(x) = max(x, 0) - 2**(-k-64) exp(-r ln2/GF_V_L) V*(a); largest error {worst(verr)}.
 * H(a) = a/sqrt(2 pi) - Q(a) exp(a**2/2); H*(a) ~= sum_j GF_H_C[j][i] t**j,
 *   t = a - GF_H_MID[i]: gelu_grad(x) = 1 + D (x >= 0), -D (x < 0),
 *   D = 2**(-k-64) exp(-r ln2/GF_V_L) H*(a); largest error relative to S* {worst(herr)}.
 * The constant terms are the float32 nearest V* (H*) at MID, a float32 near
 * the middle where that rounding is below 2**-34 (v_mid); interval 24,
 * [0, 1/8), expands at 0 with V*(0) = 0 (no constant term: tiny a keep
 * relative accuracy) and H*(0) = -2**63 exactly.
 * exp(-r ln2/GF_V_L) = 1 + r*P(r), P(r) = sum_j GF_VEXP_j r**j, |r| <= {float(rmax):.5f}:
 *   relative error {log2s(eerr)} ({float(eerr):.2e}).
 * Errors measured on a grid of {V_GRID + 1} points per interval (2001 for exp).
 */
#define GF_V_DEG {V_DEG}
#define GF_H_DEG {V_DEG}
#define GF_VEXP_DEG {V_EXP_DEG}
#define GF_V_L {c_hex(L_v)}   /* ~2 ln 2, 16 bits: k*GF_V_L exact for k < 2**8 */
#define GF_V_INV_L {c_hex(f32(1 / L_v))}   /* 1/GF_V_L */
#define GF_V_MAGIC_L {c_hex(-T8_MAGIC * L_v)}   /* -1.5*2**23 * GF_V_L, exact */
#define GF_V_SCALE 0x1p-64f   /* the V and H tables carry 2**64 */
#define GF_V_CLAMP {c_hex(f32(SIMD_CLAMP_NEG))}   /* {SIMD_CLAMP_NEG}: clamp of |x| */""".split("\n")
    for j, c in enumerate(E):
        lines.append(f"#define GF_VEXP_{j} {c_hex(c)}")
    lines += [simd_c_array("GF_V_MID", vmid, "gelu: expansion point per interval (t = a - MID)"),
              simd_c_array("GF_V_C", vrows, f"gelu: V coefficients, [power][interval]; relative error per "
                                            f"interval: column V above, at most {log2s(max(verr))}"),
              simd_c_array("GF_H_MID", hmid, "gelu_grad: expansion point per interval (t = a - MID)"),
              simd_c_array("GF_H_C", hrows, f"gelu_grad: H coefficients, [power][interval]; error relative "
                                            f"to S per interval: column H above, at most {log2s(max(herr))}")]
    return lines


def simd_avx2_tables(L):
    """The AVX2 tables (8 intervals, degree 7): see _simd_avx2.h."""
    import sys
    clamp = mp.mpf(SIMD_CLAMP_NEG)
    ivs = [(lo, min(hi, clamp)) for lo, hi in simd_intervals(1)]
    ns = len(ivs)
    # expansion points: float32 near the middle; 0 for the first interval (t = a)
    # (G's; H's are placed by t8_h_point, below)
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
        cs, gerr[s] = fit_piece(F, lambda a: mp.mpf(1), c, lo, hi, T8_DEG_G, fixed, T8_GRID, T8_NODES)
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
        # the interval of H's zero keeps its middle (h - c0 cannot be exact
        # across a sign change); every other one, [0, 1/2) included, an
        # expansion point that leaves h - c0 exact
        c = t8_mid(simd_H, mids[s]) if lo <= a0 < hi else t8_h_point(lo, hi)
        W = (lambda a: 1 / simd_S(a)) if lo <= a0 < hi else (lambda a: 1 / abs(simd_H(a)))
        cs, herr[s] = fit_piece(simd_H, W, c, lo, hi, T8_DEG_H, (), T8_GRID, T8_NODES)
        # the fitted constant (not H(c) rounded) is the kernel's c0
        if not lo <= a0 < hi and not split_exact(mp.mpf(cs[0]), *h_range(lo, hi)):
            raise ValueError(f"H slot {s}: h - c0 not exact for c0 = {cs[0]!r}")
        off_h[s] = c
        for k in range(T8_DEG_H + 1):
            H[k][s] = cs[k]
        print(f"T8 H [{s}] a in [{float(lo):6.3f}, {float(hi):6.3f}] c {float(c)!r:12} "
              f"max weighted error {float(herr[s]):.2e} = {log2s(herr[s])}", file=sys.stderr)
    # exp(-r/2) = 1 + r*P(r): both kernels reduce to |r| <= ln 2 (+ rounding)
    # (24 nodes, 4 per coefficient; the AVX-512 fits use 6 per coefficient + 6:
    # each set of tables keeps the nodes it was fitted and checked with)
    rmax = L / 2 * (1 + mp.mpf(2)**-12)
    E, eerr = fit_exp_half(rmax, T8_DEG_EXP, 4 * T8_DEG_EXP)
    print(f"T8 EXP |r| <= {float(rmax):.4f}: max relative error {float(eerr):.2e} = {log2s(eerr)}",
          file=sys.stderr)

    L_hi = mp.nint(L * 2**15) / 2**15               # 16 bits: k*L_HI exact for k < 2**8
    L_lo = mp.mpf(f32(L - L_hi))
    lines = ["""
/* ---- AVX2 (_simd_avx2.h) -----------------------------------------------
 * a = |x| clamped to GF_CLAMP_NEG; slot s = the low 3 bits of
 * bits(fl(a + 1)) >> 22: two exponent bits and one mantissa bit of
 * u = a + 1, so a in [0, 1) is slots 6 and 7.  Error of the rounded
 * polynomials per slot: G absolute, H relative (to S in slot 7):"""]
    for s, (lo, hi) in enumerate(ivs):
        ulo, uhi = simd_intervals(1)[s]
        hrel = "rel. to S" if lo <= a0 < hi else "rel."
        lines.append(f" *   [{s}] a in [{float(lo):5.2f}, {float(hi):5.2f}{']' if hi == clamp else ')'}"
                     f"  (u in [{float(ulo + 1):5.2f}, {float(uhi + 1):5.2f})):  "
                     f"G {log2s(gerr[s])} abs,  H {log2s(herr[s])} {hrel}")
    lines += f""" * G(a) = -2 ln Q(a) - a**2, Q(a) = exp(-(a**2 + G(a))/2);
 * P(a) = G(a) - n*2ln2 ~= sum_k GF_T8_G[k][s] * t**k, t = a - GF_T8_OFF_G[s],
 *   n = GF_T8_T[s] - 1.5*2**23 (the kernel's k = round((a*a + P)/(2 ln 2)) + n);
 *   P in [{prange[0]:.3f}, {prange[1]:.3f}]; slot 6 expands at 0 with P(0) = 0 exactly.
 *   Largest absolute error: {log2s(max(gerr))} ({float(max(gerr)):.2e}).
 * H(a) = a/sqrt(2 pi) - Q(a) exp(a**2/2) ~= sum_k GF_T8_H[k][s] * t**k,
 *   t = a - GF_T8_OFF_H[s]; largest error relative to |H| (to S in slot 7,
 *   which holds H's zero a0 = {float(a0):.4f}): {log2s(max(herr))} ({float(max(herr)):.2e}).
 * exp(-r/2) = 1 + r*sum_k GF_T8_E[k] * r**k, |r| <= {float(rmax):.4f}: max relative
 *   error {log2s(eerr)} ({float(eerr):.2e}).
 * The expansion points are float32s where G - n*2ln2 (H) is within 2**-9 ulp
 * of a float32.  H's also leave h - c0 a float32 (c0 the constant term) for
 * every value h of H on the slot, so that the kernel recovers the rounding
 * error of H's last Horner step exactly; not in slot 7, which holds H's zero;
 * slot 6 expands near 1/4, not at 0.  Errors measured on a grid of
 * {T8_GRID + 1} points per interval (2001 for exp).
 */

/* 2 ln 2 = GF_L_HI + GF_L_LO; GF_L_HI has 16 bits (k*GF_L_HI exact for |k| < 256) */
static const float GF_L_HI = {c_hex(L_hi)};   /* {float(L_hi)!r} */
static const float GF_L_LO = {c_hex(L_lo)};   /* {float(L_lo)!r} */
static const float GF_INV_L = {c_hex(f32(1 / L))};  /* 1/(2 ln 2) */
static const float GF_CLAMP_NEG = {c_hex(f32(SIMD_CLAMP_NEG))};  /* {SIMD_CLAMP_NEG}: clamp of |x| */""".split("\n")
    lines += ["#define GF_T8_SLOTS {ns}".format(ns=ns),
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
              simd_c_array("GF_T8_G", G, f"gelu: P = G - n*2ln2 coefficients, [power][slot]; absolute "
                                         f"error per slot: column G above, at most {log2s(max(gerr))}"),
              simd_c_array("GF_T8_H", H, f"gelu_grad: H coefficients, [power][slot]; relative error (slot 7: "
                                         f"rel. to S) per slot: column H above, at most {log2s(max(herr))}"),
              simd_c_array("GF_T8_E", E, f"exp(-r/2) = 1 + r*P(r), |r| <= {float(rmax):.4f}: P's coefficients "
                                         f"of r**0..r**{T8_DEG_EXP - 1}; max relative error {log2s(eerr)}")]
    return lines


# ---- the logistic kernels (gelu_tanh, gelu_sigmoid; _simd_avx512.h) ----------
LG_EXP_DEG = 3          # exp(r) = 1 + r*P(r), P of degree LG_EXP_DEG - 1
LG_TABLE = 16           # 2**(-j/16): one zmm register (vpermps)
LG8_EXP_DEG = 4         # AVX2: 2**(-j/8), one ymm register, |r| <= ln2/16
LG_L_BITS = 12          # bits of L_HI: (n/16)*L_HI exact for |n| < 2**12
LG_TINY = mp.mpf(2)**-30   # below: z and a*z' are dropped (see the header)
# (name, |x| clamp for x < 0, for x >= 0) as in _math.pxi's logistic()
LG_CLAMPS = {"T": (11.5, 7.5), "S": (70.0, 24.0)}


def simd_logistic_tables():
    """The constants and tables of the explicit-SIMD logistic kernels (see
    _simd_avx512.h): with n = round(-16 z/ln 2) <= 0 and r = z + (n/16) ln 2,
    exp(z) = 2**(-n/16) exp(r) = 2**(-floor(n/16)) (EXP2_HI[j] + EXP2_LO[j]) exp(r),
    EXP2[j] = 2**(-j/16), j = n mod 16, and exp(r) = 1 + r P(r) on
    |r| <= ln2/32 (1 + 2**-10); the approximations' constants split into
    float32 HI + LO pairs."""
    import sys
    L = mp.log(2)

    def exp_fit(size, degree):
        """exp(r) = 1 + r P(r) on |r| <= ln2/(2 size) (1 + 2**-10) and the
        table 2**(-j/size) as float32 hi + lo"""
        rmax = L / (2 * size) * (1 + mp.mpf(2)**-10)
        P = fit_rounded(lambda r: mp.expm1(r), -rmax, rmax, degree, w=lambda r: mp.exp(-r),
                        rnd=f32, fixed=(0, 1), nodes=6 * degree + 6)[1:]
        mpP = [mp.mpf(c) for c in P]
        perr = max_rel_error(mp.exp, lambda r: 1 + r * horner(mpP, r), -rmax, rmax, 2000)
        print(f"LG EXP ({size} entries) |r| <= {float(rmax):.6f}: max relative error "
              f"{float(perr):.2e} = {log2s(perr)}", file=sys.stderr)
        T = [mp.mpf(2)**(-mp.mpf(j) / size) for j in range(size)]
        t_hi = [mp.mpf(f32(t)) for t in T]
        t_lo = [mp.mpf(f32(t - h)) for t, h in zip(T, t_hi)]
        terr = max(abs(h + l - t) / t for t, h, l in zip(T, t_hi, t_lo))
        return rmax, P, perr, t_hi, t_lo, terr
    rmax, P, perr, t_hi, t_lo, terr = exp_fit(LG_TABLE, LG_EXP_DEG)
    rmax8, P8, perr8, t8_hi, t8_lo, terr8 = exp_fit(LG_TABLE // 2, LG8_EXP_DEG)
    ulp_e = mp.floor(mp.log(L, 2))                   # ln 2 in [2**e, 2**(e+1))
    l_hi = mp.nint(L * 2**(LG_L_BITS - 1 - ulp_e)) / 2**(LG_L_BITS - 1 - ulp_e)
    l_lo = mp.mpf(f32(L - l_hi))
    lerr = abs(l_hi + l_lo - L)

    def split(v, quantum=None):
        hi = mp.mpf(f32(v)) if quantum is None else mp.nint(v / quantum) * quantum
        lo = mp.mpf(f32(v - hi))
        return hi, lo, abs(hi + lo - v) / v
    c1 = 2 * mp.sqrt(2 / mp.pi)
    c3 = c1 * mp.mpf("0.044715")
    # C1_HI a multiple of 2**-19: B - C1_HI is exact for every float32 B < 32
    c1h, c1l, c1e = split(c1, mp.mpf(2)**-19)
    c3h, c3l, c3e = split(c3)
    c33h, c33l, c33e = split(3 * c3)
    sc = mp.mpf("1.702")
    sch, scl, sce = split(sc)
    lines = f"""
/* ---- logistic kernels (gelu_tanh, gelu_sigmoid: _simd_avx512.h, _simd_avx2.h)
 * exp(z) = 2**(-n/16) exp(r):  kd = fl(MAGIC + z * GF_LG_K) (GF_LG_K = -1/ln 2, or
 *   GF_LG_S_K = -1.702/ln 2 applied to |x|) rounds to a multiple of 1/16:
 *   kf = kd - MAGIC = n/16 with n = round(-16 z/ln 2) <= 0, and the low 4 bits
 *   of kd's representation are j = n mod 16; r = z + kf*(L_HI + L_LO)
 *   (ln 2 = L_HI + L_LO to {float(lerr):.1e}, L_HI with {LG_L_BITS} bits: kf*L_HI is exact
 *   for |n| < 2**{LG_L_BITS}); 2**(-n/16) = 2**(-floor(kf)) * 2**(-j/16),
 *   2**(-j/16) = GF_LG_EXP2_HI[j] + GF_LG_EXP2_LO[j] (relative error {float(terr):.1e});
 * exp(r) = 1 + r*P(r), P(r) = sum_i GF_LG_P[i] r**i, |r| <= {float(rmax):.6f}
 *   (ln2/32 (1 + 2**-10)): relative error {log2s(perr)} ({float(perr):.2e}), P(0) = 1 exactly.
 * _simd_avx2.h (8-entry permutes): the same with GF_LG8_MAGIC = 1.5 * 2**20
 *   (kf = n/8, j = n mod 8 the low 3 bits), 2**(-j/8) = GF_LG8_EXP2_HI[j] +
 *   GF_LG8_EXP2_LO[j] (relative error {float(terr8):.1e}), and exp(r) = 1 + r*P8(r),
 *   P8(r) = sum_i GF_LG8_P[i] r**i, |r| <= {float(rmax8):.6f} (ln2/16 (1 + 2**-10)):
 *   relative error {log2s(perr8)} ({float(perr8):.2e}).
 * The approximations' constants, exact decimals split into float32 HI + LO
 * (relative error of HI + LO in brackets):
 *   gelu_tanh:    z = C1 a + C3 a**3 = a (C1 + C3 a**2),  a z'(a) = a (C1 + 3 C3 a**2),
 *                 C1 = 2 sqrt(2/pi) [{float(c1e):.1e}], C1_HI a multiple of 2**-19,
 *                 C3 = C1 * 0.044715 [{float(c3e):.1e}], 3 C3 [{float(c33e):.1e}]
 *   gelu_sigmoid: z = a z'(a) = C a, C = 1.702 [{float(sce):.1e}]
 * Clamps of a = |x| (x < 0 / x >= 0), as the portable kernels' (_math.pxi):
 * beyond them the result has underflowed (x < 0) or equals its limit.
 */
#define GF_LG_MAGIC 786432.0f   /* 1.5 * 2**19: adding it rounds to a multiple of 1/16 */
#define GF_LG_K {c_hex(f32(-1 / L))}   /* -1/ln 2 */
#define GF_LG_L_HI {c_hex(l_hi)}   /* ln 2 to {LG_L_BITS} bits */
#define GF_LG_L_LO {c_hex(l_lo)}
#define GF_LG_TINY {c_hex(LG_TINY)}   /* a below this: z and a z'(a) taken as 0 */""".split("\n")
    for i, c in enumerate(P):
        lines.append(f"#define GF_LG_P{i} {c_hex(c)}")
    lines.append("#define GF_LG8_MAGIC 1572864.0f   /* 1.5 * 2**20: adding it rounds to a multiple of 1/8 */")
    for i, c in enumerate(P8):
        lines.append(f"#define GF_LG8_P{i} {c_hex(c)}")
    lines += [
        f"#define GF_LG_T_C1_HI {c_hex(c1h)}",
        f"#define GF_LG_T_C1_LO {c_hex(c1l)}",
        f"#define GF_LG_T_C3_HI {c_hex(c3h)}",
        f"#define GF_LG_T_C3_LO {c_hex(c3l)}",
        f"#define GF_LG_T_3C3_HI {c_hex(c33h)}",
        f"#define GF_LG_T_3C3_LO {c_hex(c33l)}",
        f"#define GF_LG_T_NEG {c_hex(LG_CLAMPS['T'][0])}   /* {LG_CLAMPS['T'][0]} */",
        f"#define GF_LG_T_POS {c_hex(LG_CLAMPS['T'][1])}   /* {LG_CLAMPS['T'][1]} */",
        f"#define GF_LG_S_C_HI {c_hex(sch)}",
        f"#define GF_LG_S_C_LO {c_hex(scl)}",
        f"#define GF_LG_S_K {c_hex(f32(-sc / L))}   /* -1.702/ln 2 */",
        f"#define GF_LG_S_NEG {c_hex(LG_CLAMPS['S'][0])}   /* {LG_CLAMPS['S'][0]} */",
        f"#define GF_LG_S_POS {c_hex(LG_CLAMPS['S'][1])}   /* {LG_CLAMPS['S'][1]} */",
        simd_c_array("GF_LG_EXP2_HI", t_hi, "2**(-j/16), j = 0..15, rounded to float32"),
        simd_c_array("GF_LG_EXP2_LO", t_lo, "2**(-j/16) - GF_LG_EXP2_HI[j], rounded to float32"),
        simd_c_array("GF_LG8_EXP2_HI", t8_hi, "2**(-j/8), j = 0..7, rounded to float32"),
        simd_c_array("GF_LG8_EXP2_LO", t8_lo, "2**(-j/8) - GF_LG8_EXP2_HI[j], rounded to float32"),
    ]
    return lines


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
    t512 = simd_avx512_tables(L)
    t8 = simd_avx2_tables(L)
    tlg = simd_logistic_tables()
    text = "\n".join([f"""/*
 * gelu_fast/_simd_tables.h -- GENERATED by `python tools/fit_coefficients.py
 * --simd`; do not edit.  Float32 tables of the explicit-SIMD exact GELU
 * kernels (see the design notes of _simd_avx512.h and _simd_avx2.h).  Plain
 * data, usable by any instruction set.
 *
 * Both kernels split a = |x| into intervals numbered by bits of u = fl(a + 1)
 * (two exponent bits and leading mantissa bits), so that one register
 * permute per coefficient fetches the interval's entry, evaluate per
 * interval polynomials in t = a - (expansion point), and one exponential
 * exp(-r/2) = 1 + r*P(r) after a reduction by 2 ln 2; Q(a) = 1 - Phi(a).
 * Each reads its own tables, because the permutes differ in width:
 *   GF_V_*, GF_H_*, GF_VEXP_*: _simd_avx512.h.  vpermt2ps indexes the 32
 *     entries of two zmm registers: 32 intervals (widths 1/8 to 1, three
 *     mantissa bits of u), on which degree {V_DEG} suffices.  The polynomials
 *     are the factors of exp(-a**2/2), V(a) = a Q(a) exp(a**2/2) (gelu) and
 *     H(a) = a/sqrt(2 pi) - Q(a) exp(a**2/2) (gelu_grad), so the exponential
 *     depends on a*a alone and runs in parallel with the polynomial:
 *     |r| <= ln 2, degree {V_EXP_DEG}, with its own constants (16-bit L, no
 *     low part: the tables absorb the difference).
 *   GF_T8_*, GF_L_HI, GF_L_LO, GF_INV_L, GF_CLAMP_NEG: _simd_avx2.h.
 *     _mm256_permutevar8x32_ps indexes 8 entries: 8 intervals (widths 1/2
 *     to 4, one mantissa bit), degree {T8_DEG_G} (the wider intervals need it).
 *     gelu's polynomial is in the exponent: G(a) - n*2ln2, G(a) =
 *     -2 ln Q(a) - a**2, with an integer n per interval (GF_T8_T), and k is
 *     rounded from a*a + P; gelu_grad's is H as above; one exponential of
 *     degree {T8_DEG_EXP} on |r| <= ln 2 serves both (16-bit L_HI).
 * The interval lists below give each table's error per interval.
 *
 * Every polynomial is fitted in {mp.mp.dps}-digit arithmetic by weighted least
 * squares on Chebyshev nodes, its coefficients rounded to float32 one at a
 * time (lowest order first) with the rest refitted; the errors are of the
 * rounded polynomials, measured in exact arithmetic.
 */
#ifndef GELU_FAST_SIMD_TABLES_H
#define GELU_FAST_SIMD_TABLES_H

#ifndef GF_ALIGNED
#if defined(_MSC_VER)
#define GF_ALIGNED __declspec(align(64))
#else
#define GF_ALIGNED __attribute__((aligned(64)))
#endif
#endif""",
        *t512, *t8, *tlg, "\n#endif\n"])
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
