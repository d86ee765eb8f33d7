# cython: language_level=3
#
# gelu_fast/_math.pxi -- the scalar mathematics of gelu_fast, in one place.
#
# Every array loop (_loops.pxi, generated from _loops.pxi.tp) calls the small
# `cdef inline ... noexcept nogil` functions at the bottom of this file, once
# per element.  They are written branch-free (selects instead of `if`), with no
# calls that the compiler cannot inline, so GCC and Clang vectorize the
# contiguous loops; see _loops.pxi.tp for how that is checked.
#
# Design
# ------
# GELU(x) = x*Phi(x) and its derivative Phi(x) + x*phi(x) both reduce to the
# upper tail of the normal distribution at a = |x|:
#
#     Q(a) = 1 - Phi(a) = 1/2 * E(a) * R(a),   E(a) = exp(-a*a/2),
#     R(a) = erfcx(a/sqrt(2))  (the scaled complementary error function),
#
#     gelu(x)      = x*Q(a)            for x < 0,   x*(1 - Q(a))     for x >= 0,
#     gelu_grad(x) = -E(a)*G(a)        for x < 0,   1 + E(a)*G(a)    for x >= 0,
#     G(a)         = a/sqrt(2*pi) - R(a)/2.
#
# This is what keeps the negative tail accurate.  The textbook form
# 0.5*x*(1 + erf(x/sqrt2)) cancels catastrophically for x < -3 (it is 100 %
# wrong below x ~ -6 in float32), and even 0.5*x*erfc(-x/sqrt2) loses ~100 ULP
# there because the rounding error of x/sqrt2 is amplified by 2*z**2.  Here no
# subtraction of nearly equal numbers occurs in either tail, and
#   * R is smooth and well conditioned, ~ sqrt(2/pi)/a for large a, and is
#     approximated as f(t)/(a + 4) with a polynomial f in t = (a-4)/(a+4);
#   * E gets its argument exactly: a*a = hi + lo (an FMA two-product, or
#     Dekker's split without FMA), and exp(-(hi+lo)/2) is evaluated with
#     Cody-Waite range reduction that carries lo, so the absolute error of the
#     argument -- which becomes relative error of the result -- stays at the
#     level of one rounding however large a*a/2 is (up to 800).
#   * Results that are subnormal are rounded once: the power of two from the
#     range reduction is applied with a bias of 2**200 and the product is
#     scaled by 2**-200 as the very last operation.
#
# Precision.  The float64 kernel works in double arithmetic with degree-23 /
# degree-12 polynomials (relative errors below 3e-17 / 3e-19).  The float32
# kernel also works in double, with lower degrees (errors below 3e-10 /
# 2e-10), then rounds once to float32: its results are correctly rounded
# except within ~1e-8 ULP of a rounding boundary.  float16 is computed by the
# float32 kernel and rounded once more (see _loops.pxi.tp).  All coefficients
# come from tools/fit_coefficients.py, which prints them with their bounds.
#
# Measured accuracy (tests/test_accuracy.py, against mpmath at 50 digits):
# see the table in README.md.  Bounds promised: float32 <= 2 ULP, float64
# <= 4 ULP for gelu and gelu_grad; gelu_grad near its zero (x ~ -0.7518)
# relative to its terms, |err| <= bound*ULP + eps*(|Phi(x)| + |x*phi(x)|).
#
# Special values, by construction and tested: NaN propagates; gelu(+inf) =
# +inf, gelu(-inf) = -0.0, gelu(+-0) = +-0; gelu_grad(+inf) = 1,
# gelu_grad(-inf) = -0.0, gelu_grad(0) = 0.5.  |x| is clamped before it enters
# E and R (to 40 / 16 on the negative side, where the true results have
# underflowed to zero, and to 9 on the positive side, where 1 - Q and 1 + E*G
# already round to 1), so no inf*0 or inf-inf ever happens and no underflow is
# raised for a result that does not underflow.  Clamps are written as
# `v > c ? c : v`, which lets NaN through.

cdef extern from "_fp.h" nogil:
    double gf_fma(double a, double b, double c)
    double gf_two_prod_lo(double a, double b, double p)
    double gf_pow2_biased(double kd)
    float gf_half_to_float(unsigned short h)
    unsigned short gf_float_to_half(float f)
    const int GF_HAVE_FMA

cdef extern from *:
    """
    /* Constants of gelu_fast/_math.pxi, as C constants so that the compiler
       can fold them and hoist them out of the vectorized loops. */
    static const double GF_MAGIC = 6755399441055744.0;       /* 0x1.8p52: round-to-integer constant */
    static const double GF_LOG2E = 1.4426950408889634;       /* 1/ln 2, correctly rounded */
    static const double GF_LN2_HI = 6.93147180369123816490e-01;  /* ln 2 to 32 bits: k*LN2_HI exact for |k| < 2**21 */
    static const double GF_LN2_LO = 1.90821492927058770002e-10;  /* ln 2 - LN2_HI, correctly rounded */
    static const double GF_INV_SQRT_2PI_HI = 0.3989422804014327;   /* 1/sqrt(2 pi) = HI + LO */
    static const double GF_INV_SQRT_2PI_LO = -2.49232720227773e-17; /* to ~2**-107 */
    static const double GF_UNBIAS = 6.223015277861142e-61;   /* 2**-200, undoes gf_pow2_biased */
    """
    const double GF_MAGIC
    const double GF_LOG2E
    const double GF_LN2_HI
    const double GF_LN2_LO
    const double GF_INV_SQRT_2PI_HI
    const double GF_INV_SQRT_2PI_LO
    const double GF_UNBIAS


cdef struct NormalTail:
    double E        # exp(-a*a/2) * 2**200
    double R        # erfcx(a/sqrt(2))
    double a        # the clamped |x| both were computed at


cdef inline double exp_biased(double yh, double yl, bint single) noexcept nogil:
    """exp(yh + yl) * 2**200 for -1000 <= yh <= 0 and |yl| <= ulp(yh).

    Cody-Waite reduction: k = round(yh/ln2), r = (yh - k*LN2_HI) + (yl - k*LN2_LO).
    The first difference is exact (Sterbenz; k*LN2_HI is exact), so r carries
    the absolute error of one rounding (<= 2**-54 * |r|) whatever the size of
    yh.  Then e**r = 1 + r + r**2*q(r) on |r| <= ln2/2 * (1 + 2**-20), with q
    from tools/fit_coefficients.py: relative error 2.0e-19 (double kernel,
    degree 10) or 2.0e-10 (float32 kernel, degree 5).
    """
    cdef double kd = gf_fma(yh, GF_LOG2E, GF_MAGIC)
    cdef double k = kd - GF_MAGIC
    cdef double r = gf_fma(-k, GF_LN2_HI, yh) + gf_fma(-k, GF_LN2_LO, yl)
    cdef double q
    if single:
        q = 0.00019849518509988087
        q = gf_fma(q, r, 0.001393358136362728)
        q = gf_fma(q, r, 0.008333373127738505)
        q = gf_fma(q, r, 0.04166646572251921)
        q = gf_fma(q, r, 0.16666666495212512)
        q = gf_fma(q, r, 0.5000000013350329)
    else:
        q = 2.0892452996499737e-09
        q = gf_fma(q, r, 2.5105391864503694e-08)
        q = gf_fma(q, r, 2.755733891753761e-07)
        q = gf_fma(q, r, 2.7557254872095216e-06)
        q = gf_fma(q, r, 2.4801587259398556e-05)
        q = gf_fma(q, r, 0.00019841269875373423)
        q = gf_fma(q, r, 0.0013888888888910235)
        q = gf_fma(q, r, 0.008333333333325905)
        q = gf_fma(q, r, 0.04166666666666664)
        q = gf_fma(q, r, 0.1666666666666667)
        q = gf_fma(q, r, 0.5)
    return (1.0 + gf_fma(r * r, q, r)) * gf_pow2_biased(kd)


cdef inline double erfcx_scaled(double a, bint single) noexcept nogil:
    """R(a) = erfcx(a/sqrt(2)) = 2*exp(a*a/2)*Q(a) for 0 <= a <= 40 (16 single).

    R(a) = f(t)/(a + 4), t = (a - 4)/(a + 4) in [-1, 1): the map (Schonfelder,
    Math. Comp. 1978) turns the 1/a decay into a bounded smooth f with
    f(-1) = 4, f(1) = sqrt(2/pi).  One division.  Relative error of the
    approximation (double coefficients, exact arithmetic): 3.0e-17 (degree 23,
    a <= 40) and 2.7e-10 (degree 11, a <= 16), from tools/fit_coefficients.py.
    The double kernel's evaluation error is about one rounding of the
    Horner scheme plus one of the final product.
    """
    cdef double d = 1.0 / (a + 4.0)
    cdef double dl = 0.0
    cdef double s, e, sd, t, p
    if not single:
        # Carry 1/(a+4) as d + dl (Markstein: the residual of a rounded
        # reciprocal is exact), including the rounding error e of a + 4
        # (TwoSum, Knuth), so that neither t nor the final product inherits
        # the two roundings of d.
        s = a + 4.0
        e = (a - (s - (s - a))) + (4.0 - (s - a))
        sd = s * d
        dl = d * ((1.0 - sd) - gf_two_prod_lo(s, d, sd) - e * d)
    # t = (a - 4)/(a + 4) = 1 - 8/(a + 4); 8*d is exact and, for a <= 12,
    # so is 1 - 8*d (Sterbenz).
    t = (1.0 - 8.0 * d) - 8.0 * dl
    if single:
        p = 3.4929228035454937e-05
        p = gf_fma(p, t, -2.0384710746600473e-05)
        p = gf_fma(p, t, -0.0004343158850735067)
        p = gf_fma(p, t, 0.0002835125085833265)
        p = gf_fma(p, t, 0.0032521592413502004)
        p = gf_fma(p, t, -0.00696527800294066)
        p = gf_fma(p, t, -0.01507878615329923)
        p = gf_fma(p, t, 0.12079399052747847)
        p = gf_fma(p, t, -0.37304384298790827)
        p = gf_fma(p, t, 0.7742747602843444)
        p = gf_fma(p, t, -1.2157932806221876)
        p = gf_fma(p, t, 1.5105702611361678)
    else:
        p = -1.5294053784280196e-09
        p = gf_fma(p, t, -5.1412146520912186e-09)
        p = gf_fma(p, t, 4.194365655834525e-09)
        p = gf_fma(p, t, 3.97098168075698e-08)
        p = gf_fma(p, t, 2.5860029409544047e-08)
        p = gf_fma(p, t, -1.7178519411594795e-07)
        p = gf_fma(p, t, -3.0916279210403583e-07)
        p = gf_fma(p, t, 5.447262509058271e-07)
        p = gf_fma(p, t, 2.0425894053604944e-06)
        p = gf_fma(p, t, -1.2601933295570058e-06)
        p = gf_fma(p, t, -1.1840119904780005e-05)
        p = gf_fma(p, t, 1.4337034514870766e-06)
        p = gf_fma(p, t, 7.028930713029825e-05)
        p = gf_fma(p, t, -3.8166289888555005e-06)
        p = gf_fma(p, t, -0.000462189858226308)
        p = gf_fma(p, t, 0.00026668864647583516)
        p = gf_fma(p, t, 0.003261636913750229)
        p = gf_fma(p, t, -0.006959384737338099)
        p = gf_fma(p, t, -0.01508037793335348)
        p = gf_fma(p, t, 0.12079314978203971)
        p = gf_fma(p, t, -0.3730437159193182)
        p = gf_fma(p, t, 0.7742748014844241)
        p = gf_fma(p, t, -1.2157932839437842)
        p = gf_fma(p, t, 1.510570260831503)
    return gf_fma(p, d, p * dl)


cdef inline double neg_clamp(bint single) noexcept nogil:
    """|x| beyond which gelu(x < 0) and gelu_grad(x < 0) have underflowed to 0."""
    return 16.0 if single else 40.0


cdef inline NormalTail normal_tail(double x, bint single) noexcept nogil:
    """E and R at a = |x|, clamped as described in the design note."""
    cdef NormalTail nt
    cdef double a = fabs(x)
    cdef double c = neg_clamp(single) if x < 0.0 else 9.0
    a = c if a > c else a                       # NaN passes through
    cdef double aa = a if a > 1e-100 else 0.0   # a*a would underflow: E = 1 exactly
    cdef double hi = aa * aa
    cdef double lo = gf_two_prod_lo(aa, aa, hi)
    nt.E = exp_biased(-0.5 * hi, -0.5 * lo, single)
    nt.R = erfcx_scaled(a, single)
    nt.a = a
    return nt


cdef inline double gelu_core(double x, bint single) noexcept nogil:
    """x * Phi(x), computed in double; `single` selects the float32 kernel."""
    cdef NormalTail nt = normal_tail(x, single)
    cdef double q_biased = 0.5 * nt.R * nt.E                 # Q(a) * 2**200
    cdef double m = neg_clamp(single)
    cdef double xm = -m if x < -m else x                      # keeps gelu(-inf) finite
    cdef double neg = (xm * q_biased) * GF_UNBIAS             # one rounding if subnormal
    cdef double pos = x * (1.0 - q_biased * GF_UNBIAS)
    return neg if x < 0.0 else pos


cdef inline double gelu_grad_core(double x, bint single) noexcept nogil:
    """Phi(x) + x*phi(x), computed in double; `single` selects the float32 kernel."""
    cdef NormalTail nt = normal_tail(x, single)
    # G(a) = a/sqrt(2 pi) - R/2, with a/sqrt(2 pi) carried to ~2**-106: near
    # the zero of gelu_grad the two terms cancel.
    cdef double ac = nt.a * GF_INV_SQRT_2PI_HI
    cdef double ac_lo = gf_two_prod_lo(nt.a, GF_INV_SQRT_2PI_HI, ac) + nt.a * GF_INV_SQRT_2PI_LO
    cdef double g = (ac - 0.5 * nt.R) + ac_lo
    cdef double eg = (nt.E * g) * GF_UNBIAS
    return -eg if x < 0.0 else 1.0 + eg


# ---- the functions the loops call, one per (ufunc, dtype) ------------------
# float32 arguments are widened to double (exactly), computed by the float32
# kernel, and rounded once on return.

cdef inline floating gelu(floating x) noexcept nogil:
    return <floating>gelu_core(x, floating is float)


cdef inline floating gelu_grad(floating x) noexcept nogil:
    return <floating>gelu_grad_core(x, floating is float)


cdef inline floating gelu_backward(floating g, floating x) noexcept nogil:
    return <floating>(<double>g * gelu_grad_core(x, floating is float))
