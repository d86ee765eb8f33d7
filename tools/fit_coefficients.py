"""Derive every polynomial coefficient used by gelu_fast/_math.pxi.

Run:  python tools/fit_coefficients.py      (needs mpmath; takes about a minute)

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
"""
import mpmath as mp

mp.mp.dps = 60


def fit_rounded(f, lo, hi, n, nodes=None):
    """Degree-n polynomial for f on [lo, hi] with double coefficients.

    Rounding the coefficients of the exact interpolant to double costs up to
    half an ulp of each, which adds up at the ends of the interval.  Instead
    the coefficients are fixed one at a time, lowest order first: each step
    fits the remaining ones by least squares in relative error (on 4n
    Chebyshev nodes, 60 digits), then rounds the next to double, so later
    coefficients absorb the rounding of earlier ones.
    """
    M = nodes or 4 * (n + 1)
    ts = [(hi - lo) / 2 * mp.cos(mp.pi * (k + mp.mpf(1) / 2) / M) + (hi + lo) / 2 for k in range(M)]
    fs = [f(t) for t in ts]
    fixed = []
    for k in range(n + 1):
        A = mp.matrix(M, n + 1 - k)
        b = mp.matrix(M, 1)
        for j, (t, fv) in enumerate(zip(ts, fs)):
            b[j] = (fv - horner(fixed, t)) / fv
            for i in range(k, n + 1):
                A[j, i - k] = t**i / fv
        sol, _ = mp.qr_solve(A, b)
        fixed.append(mp.mpf(float(sol[0])))
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


if __name__ == "__main__":
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
