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
# degree-10 polynomials (relative errors below 3e-17 / 2e-19) and the
# compensations described above.  The float32 kernel also works in double --
# 8 lanes per 512-bit vector instead of 16, but every step carries 29 bits
# more than float32 needs -- and drops everything float32 does not need: the
# low parts of a*a and of the reciprocal, the 2**200 bias (a float32 subnormal
# is a normal double, so the one rounding is the final conversion), and
# degrees 9 / 4 (relative errors below 9.9e-9 / 9.2e-9, 0.17 / 0.16 ULP), so
# its results are within 0.5 + 0.33 ULP.  A float32-arithmetic version of the
# same algorithm was measured at 3.3-3.8 ULP (the accumulated roundings of
# 1/(a+4), the Horner scheme and three products), beyond the 2 ULP bound, and
# needs as many extra operations to compensate as the double version costs;
# BENCHMARKS.md has the figures.  float16 is computed by the float32 kernel
# and rounded once more (see _loops.pxi.tp).  All coefficients come from
# tools/fit_coefficients.py, which prints them with their bounds.
#
# Where these kernels run.  Every float64 loop and the baseline level use
# them.  At the avx2 and avx512 levels the float32, float16 and bfloat16
# loops of all nine ufuncs run explicit-SIMD kernels instead: float32
# arithmetic, one exponential, tables held in vector registers, no division,
# <= 2 ULP (measured over every float32 input; the tanh and sigmoid
# families' within 0.81 ULP); see _simd.h and the design note of
# _simd_avx512.h (part 1: the exact family, part 2: the approximations).
# The second derivatives (gelu_grad2 & co.) and float64 use the double
# kernels below at every level.
#
# Measured accuracy (tests/test_accuracy.py, against mpmath at 50 digits):
# see the table in README.md.  Bounds promised: float32 <= 2 ULP, float64
# <= 4 ULP for gelu and gelu_grad; gelu_grad near its zero (x ~ -0.7518)
# relative to its terms, |err| <= bound*ULP + eps*(|Phi(x)| + |x*phi(x)|).
#
# Special values, by construction and tested: NaN propagates; gelu(+inf) =
# +inf, gelu(-inf) = -0.0, gelu(+-0) = +-0; gelu_grad(+inf) = 1,
# gelu_grad(-inf) = -0.0, gelu_grad(0) = 0.5.  |x| is clamped before it enters
# E and R (to 40 / 15 on the negative side, where the true results have
# underflowed to zero, and to 9 on the positive side, where 1 - Q and 1 + E*G
# already round to 1), so no inf*0 or inf-inf ever happens and no underflow is
# raised for a result that does not underflow.  Clamps and the choice between
# the x < 0 and x >= 0 forms are bit-mask selects on a sign (gf_if_negative,
# see _fp.h), so the loops have no control flow: x = -0.0 takes the x < 0
# form, which gives the same results at zero, and a NaN passes every clamp
# (c - NaN is a NaN of positive sign).

cdef extern from "_fp.h" nogil:
    double gf_fma(double a, double b, double c)
    double gf_two_prod_lo(double a, double b, double p)
    double gf_two_sum_lo(double a, double b, double s)
    double gf_pow2(double kd, int bias)
    double gf_if_negative(double s, double a, double b)
    float gf_half_to_float(unsigned short h)
    unsigned short gf_float_to_half(float f)
    float gf_bf16_to_float(unsigned short b)
    unsigned short gf_float_to_bf16(float f)
    const int GF_HAVE_FMA

cdef extern from *:
    """
    /* Constants of gelu_fast/_math.pxi, as C constants so that the compiler
       can fold them and hoist them out of the vectorized loops. */
    static const double GF_MAGIC = 6755399441055744.0;       /* 0x1.8p52: round-to-integer constant */
    static const double GF_LOG2E = 1.4426950408889634;       /* 1/ln 2, correctly rounded */
    static const double GF_LN2_HI = 6.93147180369123816490e-01;  /* ln 2 to 32 bits: k*LN2_HI exact for |k| < 2**21 */
    static const double GF_LN2_LO = 1.90821492927058770002e-10;  /* ln 2 - LN2_HI, correctly rounded */
    static const double GF_LN2 = 0.6931471805599453;          /* ln 2, correctly rounded */
    static const double GF_INV_SQRT_2PI_HI = 0.3989422804014327;   /* 1/sqrt(2 pi) = HI + LO */
    static const double GF_INV_SQRT_2PI_LO = -2.49232720227773e-17; /* to ~2**-107 */
    static const double GF_UNBIAS = 6.223015277861142e-61;   /* 2**-200, undoes gf_pow2(kd, 200) */
    static const double GF_DBL_MAX = 1.7976931348623157e308;  /* DBL_MAX - |x| < 0 only for x = +-inf */
    /* The approximations' constants as exact-decimal HI + LO pairs
       (tools/fit_coefficients.py): z = C1*x + C3*x**3 for the tanh form,
       z = C*x for the sigmoid form. */
    static const double GF_TANH_C1_HI = 1.5957691216057308;       /* 2*sqrt(2/pi) */
    static const double GF_TANH_C1_LO = -9.96930880911092e-17;
    static const double GF_TANH_C3_HI = 0.07135481627260025;      /* 2*sqrt(2/pi)*0.044715 */
    static const double GF_TANH_C3_LO = -6.175149918155315e-19;
    static const double GF_SIGMOID_C_HI = 1.702;
    static const double GF_SIGMOID_C_LO = 4.263256414560601e-17;
    """
    const double GF_MAGIC
    const double GF_LOG2E
    const double GF_LN2_HI
    const double GF_LN2_LO
    const double GF_LN2
    const double GF_INV_SQRT_2PI_HI
    const double GF_INV_SQRT_2PI_LO
    const double GF_UNBIAS
    const double GF_DBL_MAX
    const double GF_TANH_C1_HI
    const double GF_TANH_C1_LO
    const double GF_TANH_C3_HI
    const double GF_TANH_C3_LO
    const double GF_SIGMOID_C_HI
    const double GF_SIGMOID_C_LO


cdef struct Pair:
    double hi       # a value carried as the unevaluated sum hi + lo
    double lo


cdef inline Pair reciprocal(double s, double e, bint compensated) noexcept nogil:
    """1/(s + e) as hi + lo, for |e| <= ulp(s); lo = 0 unless `compensated`.

    The residual 1 - s*hi of a correctly rounded reciprocal is exact
    (Markstein), so hi + lo is 1/(s + e) to ~2**-104 relative: products with
    it round once instead of inheriting the division's rounding too.
    """
    cdef Pair r
    r.hi = 1.0 / s
    r.lo = 0.0
    cdef double sd
    if compensated:
        sd = s * r.hi
        r.lo = r.hi * ((1.0 - sd) - gf_two_prod_lo(s, r.hi, sd) - e * r.hi)
    return r


cdef struct NormalTail:
    double E        # exp(-a*a/2) / unbias(single)
    double R        # erfcx(a/sqrt(2))
    double a        # the clamped |x| both were computed at


cdef inline double unbias(bint single) noexcept nogil:
    """The factor that undoes exp_biased's scaling: 2**-200 (double kernel) or 1."""
    return 1.0 if single else GF_UNBIAS


cdef inline double exp_biased(double yh, double yl, bint single) noexcept nogil:
    """exp(yh + yl) / unbias(single) for -1000 <= yh <= 0 and |yl| <= ulp(yh).

    Cody-Waite reduction: k = round(yh/ln2), r = (yh - k*LN2_HI) + (yl - k*LN2_LO).
    The first difference is exact (Sterbenz; k*LN2_HI is exact), so r carries
    the absolute error of one rounding (<= 2**-54 * |r|) whatever the size of
    yh.  Then e**r = 1 + r + r**2*q(r) on |r| <= ln2/2 * (1 + 2**-20), with q
    from tools/fit_coefficients.py: relative error 2.0e-19 (double kernel,
    degree 10) or 9.2e-9 (float32 kernel, degree 4).  The float32 kernel
    (yh >= -130: gelu_tanh at its clamp 11.5 reaches -127; yl ignored)
    reduces with k*ln2 in one FMA: |k| <= 188, so the error of the rounded
    ln 2 adds below 188 * 2**-54 = 1e-14 to r, 2e-7 of a float32 ULP.
    """
    cdef double kd = gf_fma(yh, GF_LOG2E, GF_MAGIC)
    cdef double k = kd - GF_MAGIC
    cdef double r, q
    if single:
        r = gf_fma(-k, GF_LN2, yh)
        q = 0.0013893831541479497
        q = gf_fma(q, r, 0.008363125821790985)
        q = gf_fma(q, r, 0.04166694269349216)
        q = gf_fma(q, r, 0.16666577451065862)
        q = gf_fma(q, r, 0.4999999941951793)
        return (1.0 + gf_fma(r * r, q, r)) * gf_pow2(kd, 0)
    else:
        r = gf_fma(-k, GF_LN2_HI, yh) + gf_fma(-k, GF_LN2_LO, yl)
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
    return (1.0 + gf_fma(r * r, q, r)) * gf_pow2(kd, 200)


cdef inline double erfcx_scaled(double a, bint single) noexcept nogil:
    """R(a) = erfcx(a/sqrt(2)) = 2*exp(a*a/2)*Q(a) for 0 <= a <= 40 (15 single).

    R(a) = f(t)/(a + 4), t = (a - 4)/(a + 4) in [-1, 1): the map (Schonfelder,
    Math. Comp. 1978) turns the 1/a decay into a bounded smooth f with
    f(-1) = 4, f(1) = sqrt(2/pi).  One division.  Relative error of the
    approximation (double coefficients, exact arithmetic): 3.0e-17 (degree 23,
    a <= 40) and 9.9e-9 (degree 9, a <= 15), from tools/fit_coefficients.py.
    The double kernel's evaluation error is about one rounding of the
    Horner scheme plus one of the final product.
    """
    # The double kernel carries 1/(a+4) as d + dl, including the rounding
    # error of a + 4, so that neither t nor the final product inherits the
    # two roundings of d.
    cdef double s = a + 4.0
    cdef Pair inv = reciprocal(s, gf_two_sum_lo(a, 4.0, s), not single)
    cdef double d = inv.hi, dl = inv.lo
    cdef double t, p
    # t = (a - 4)/(a + 4) = 1 - 8/(a + 4); 8*d is exact and, for a <= 12,
    # so is 1 - 8*d (Sterbenz).
    t = (1.0 - 8.0 * d) if single else (1.0 - 8.0 * d) - 8.0 * dl
    if single:
        p = -0.00027323055886977415
        p = gf_fma(p, t, 0.00034085322032299337)
        p = gf_fma(p, t, 0.0031369713497969576)
        p = gf_fma(p, t, -0.0070143472190289415)
        p = gf_fma(p, t, -0.01504677736121793)
        p = gf_fma(p, t, 0.12080553287002825)
        p = gf_fma(p, t, -0.37304759555304184)
        p = gf_fma(p, t, 0.7742739526956338)
        p = gf_fma(p, t, -1.21579314719723)
        p = gf_fma(p, t, 1.5105702688312679)
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
    if single:
        return p * d
    return gf_fma(p, d, p * dl)


cdef inline double neg_clamp(bint single) noexcept nogil:
    """|x| beyond which gelu(x < 0) and gelu_grad(x < 0) have underflowed to 0."""
    return 15.0 if single else 40.0


cdef inline double flush_tiny(double a, bint single) noexcept nogil:
    """a, or 0 below 1e-100 (double kernel only): for the terms that are
    negligible there and whose products would underflow (a*a, low parts)."""
    return a if single else gf_if_negative(a - 1e-100, 0.0, a)     # NaN passes


cdef inline double clamped_abs(double x, double c_neg, double c_pos) noexcept nogil:
    """|x| clamped to c_neg (x < 0) or c_pos (x >= 0); 1 for x = +-inf.

    Infinities are not evaluated at the clamp, whose tiny results would
    raise a false underflow for a limit that is exact: the callers evaluate
    them at a = 1 (nothing underflows, and the second terms keep the signs of
    the finite tails) and zero the exponential (if_infinite).  NaN passes
    through (c - NaN is a NaN of positive sign)."""
    cdef double a = fabs(x)
    cdef double c = gf_if_negative(x, c_neg, c_pos)
    c = gf_if_negative(GF_DBL_MAX - a, 1.0, c)
    return gf_if_negative(c - a, c, a)


cdef inline double if_infinite(double x, double v, double otherwise) noexcept nogil:
    return gf_if_negative(GF_DBL_MAX - fabs(x), v, otherwise)


cdef inline NormalTail normal_tail(double x, bint single) noexcept nogil:
    """E and R at a = |x|, clamped as described in the design note."""
    cdef NormalTail nt
    cdef double a = clamped_abs(x, neg_clamp(single), 9.0)
    # a*a would underflow below 1e-154 (float64 only): E = 1 exactly, and
    # R = R(0) to the last bit
    cdef double aa = flush_tiny(a, single)
    cdef double hi = aa * aa
    cdef double lo = 0.0 if single else gf_two_prod_lo(aa, aa, hi)
    nt.E = if_infinite(x, 0.0, exp_biased(-0.5 * hi, -0.5 * lo, single))
    nt.R = erfcx_scaled(aa, single)
    nt.a = a
    return nt


cdef inline double gelu_core(double x, bint single) noexcept nogil:
    """x * Phi(x), computed in double; `single` selects the float32 kernel."""
    cdef NormalTail nt = normal_tail(x, single)
    cdef double q_biased = 0.5 * nt.R * nt.E                 # Q(a) / unbias
    cdef double xs = copysign(nt.a, x)      # x clamped: keeps gelu(-inf) finite, NaN passes
    cdef double neg = (xs * q_biased) * unbias(single)        # one rounding if subnormal
    cdef double pos = x * (1.0 - q_biased * unbias(single))
    return gf_if_negative(x, neg, pos)


cdef inline double gelu_grad_core(double x, bint single) noexcept nogil:
    """Phi(x) + x*phi(x), computed in double; `single` selects the float32 kernel."""
    cdef NormalTail nt = normal_tail(x, single)
    # G(a) = a/sqrt(2 pi) - R/2, with a/sqrt(2 pi) carried to ~2**-106: near
    # the zero of gelu_grad the two terms cancel.
    # (below 1e-100 a/sqrt(2 pi) is negligible and its low part would underflow)
    cdef double at = flush_tiny(nt.a, single)
    cdef double ac = at * GF_INV_SQRT_2PI_HI
    cdef double ac_lo = 0.0 if single else (
        gf_two_prod_lo(at, GF_INV_SQRT_2PI_HI, ac) + at * GF_INV_SQRT_2PI_LO)
    cdef double g = (ac - 0.5 * nt.R) + ac_lo
    cdef double eg = (nt.E * g) * unbias(single)
    return gf_if_negative(x, -eg, 1.0 + eg)


# ---- the approximations: x * sigmoid(z(x)) ---------------------------------
# gelu_tanh:    z = 2*sqrt(2/pi)*(x + 0.044715*x**3)   (1 + tanh(u) = 2*sigmoid(2u),
#               so 0.5*x*(1 + tanh(u)) = x*sigmoid(2u), with no cancellation)
# gelu_sigmoid: z = 1.702*x
# Both z are odd, so with a = |x| and w = exp(-z(a)) in (0, 1]:
#     f(x)  = x/(1 + w)                                 for x >= 0
#           = x*w/(1 + w)                               for x < 0
#     f'(x) = (1 + w + a*z'(a)*w) / (1 + w)**2          for x >= 0
#           = w*(1 + w - a*z'(a)) / (1 + w)**2          for x < 0
# (f' = s + x*z'*s*(1 - s), s = sigmoid(z), s*(1 - s) = w/(1 + w)**2.)  The
# only subtraction is 1 + w - a*z' near the zero of f' (x ~ -0.75 / -0.78),
# where the bound is relative to the terms.  In the tails the result is
# ~ x*exp(-z), so z must be exact to the last bit of the result: the double
# kernel computes z(a) as a double-double from exact products (the constants
# are HI + LO pairs of the exact decimals 0.044715 and 1.702), and 1/(1 + w)
# is compensated like erfcx_scaled's reciprocal.  |x| is clamped where the
# result has reached its limit (x < 0: the result has underflowed, z ~ 800
# double / ~ 120 float32; x > 0: w < 2**-54).

cdef struct Logistic:
    double W        # exp(-z(a)) / unbias(single)
    double w        # exp(-z(a)); underflows only where the x < 0 result does
    double a        # the clamped |x|
    double az       # a * z'(a)
    Pair inv        # 1/(1 + w)


cdef inline Logistic logistic(double x, bint tanh_form, bint single) noexcept nogil:
    cdef Logistic lg
    cdef double a, a2, a2l, a3, a3l, t1, t1l, t3, t3l, zh, zl
    if tanh_form:
        a = clamped_abs(x, 11.5 if single else 22.0, 7.5)
    else:
        a = clamped_abs(x, 70.0 if single else 470.0, 24.0)
    # z(a) from a flushed to 0 below 1e-100 (double kernel): there z is
    # negligible (w = 1 exactly), and a**3 or the low parts would underflow
    cdef double ab = flush_tiny(a, single)
    if tanh_form:
        # z = t1 + t3 = C1*a + C3*a**3, and a*z'(a) = t1 + 3*t3
        a2 = ab * ab
        a3 = ab * a2
        t1 = GF_TANH_C1_HI * ab
        t3 = GF_TANH_C3_HI * a3
        t1l = 0.0
        t3l = 0.0
        if not single:
            a2l = gf_two_prod_lo(ab, ab, a2)
            a3l = gf_two_prod_lo(ab, a2, a3) + ab * a2l
            t1l = gf_two_prod_lo(GF_TANH_C1_HI, ab, t1) + GF_TANH_C1_LO * ab
            t3l = gf_two_prod_lo(GF_TANH_C3_HI, a3, t3) + (GF_TANH_C3_HI * a3l + GF_TANH_C3_LO * a3)
        zh = t1 + t3
        zl = gf_two_sum_lo(t1, t3, zh) + (t1l + t3l)
        lg.az = gf_fma(3.0, t3, t1) if single else gf_fma(3.0, t3, t1) + (t1l + 3.0 * t3l)
    else:
        # z = C*a, and a*z'(a) = z
        zh = GF_SIGMOID_C_HI * ab
        zl = 0.0 if single else gf_two_prod_lo(GF_SIGMOID_C_HI, ab, zh) + GF_SIGMOID_C_LO * ab
        lg.az = zh if single else zh + zl
    lg.W = if_infinite(x, 0.0, exp_biased(-zh, -zl, single))
    lg.w = lg.W * unbias(single)
    cdef double s = 1.0 + lg.w
    # the rounding error of 1 + w, dropped once w < 1e-30 (2**-99 relative:
    # negligible, and products with it would underflow)
    cdef double e = gf_two_sum_lo(1.0, lg.w, s)
    lg.inv = reciprocal(s, gf_if_negative(lg.w - 1e-30, 0.0, e), not single)
    lg.a = a
    return lg


cdef inline double logistic_gelu_core(double x, bint tanh_form, bint single) noexcept nogil:
    """x * sigmoid(z(x)), computed in double; `single` selects the float32 kernel."""
    cdef Logistic lg = logistic(x, tanh_form, single)
    cdef double xs = copysign(lg.a, x)      # x clamped: finite, keeps -0.0's sign and NaN
    cdef double xw = xs * lg.W
    # x >= 0: x/(1 + w); x < 0: x*w/(1 + w) (times unbias): the numerator is
    # selected before the shared multiply by 1/(1 + w).
    cdef double num = gf_if_negative(x, xw, x)
    if single:      # no low parts: 1/(1 + w) rounds once in double
        return num * lg.inv.hi
    return gf_fma(num, lg.inv.hi, gf_if_negative(x, xw, xs) * lg.inv.lo) * gf_if_negative(x, GF_UNBIAS, 1.0)


cdef inline double logistic_grad_core(double x, bint tanh_form, bint single) noexcept nogil:
    """d/dx [x * sigmoid(z(x))], computed in double."""
    cdef Logistic lg = logistic(x, tanh_form, single)
    cdef double sq = lg.inv.hi * lg.inv.hi              # 1/(1 + w)**2 = sq + sql
    cdef double num_pos = 1.0 + gf_fma(lg.w, lg.az, lg.w)
    cdef double num_neg = lg.W * ((1.0 + lg.w) - lg.az)
    cdef double num = gf_if_negative(x, num_neg, num_pos)   # selected before the shared multiply
    if single:
        return num * sq
    cdef double sql = gf_two_prod_lo(lg.inv.hi, lg.inv.hi, sq) + 2.0 * lg.inv.hi * lg.inv.lo
    return gf_fma(num, sq, num * sql) * gf_if_negative(x, GF_UNBIAS, 1.0)


# ---- second derivatives (double backward) ----------------------------------
# gelu''(x) = phi(x)*(2 - x*x) = E(a)*(2 - a*a)/sqrt(2 pi), even in x.  The
# exponential gets its argument exactly, as in normal_tail; 2 - a*a is
# (2 - hi) - lo, where 2 - hi is exact near the zeros x = +-sqrt(2)
# (Sterbenz), so its one rounding is relative to the terms 2*phi and
# x*x*phi, which is the bound there.  Both sides clamp at neg_clamp (the
# result has underflowed to -0 beyond it); +-inf give -0 (the limit, from
# below) without evaluating the exponential.
#
# The approximations, f = x*s(z), s = sigmoid, are even as well:
#     f''(x) = s(1 - s) * (2 z' + x z'' + x z'**2 (1 - 2 s))
#            = w/(1 + w)**2 * (2 z'(a) + a z''(a) - a z'(a)**2 (1 - w)/(1 + w)),
# with w = exp(-z(a)) from logistic() (evaluated at -a: the x < 0 clamp on
# both sides).  The subtraction is the only cancellation (x ~ +-1.41 for the
# sigmoid form, +-1.39 for the tanh form), where the bound is relative to the
# two terms; 1 - w loses relative accuracy only for small a, where its term
# is negligible beside 2 z'.

cdef inline double gelu_grad2_core(double x, bint single) noexcept nogil:
    """phi(x)*(2 - x*x), computed in double; `single` selects the float32 kernel."""
    cdef double c = neg_clamp(single)
    cdef double a = clamped_abs(x, c, c)
    cdef double aa = flush_tiny(a, single)
    cdef double hi = aa * aa
    cdef double lo = 0.0 if single else gf_two_prod_lo(aa, aa, hi)   # (float32: a*a is exact)
    cdef double W = if_infinite(x, 0.0, exp_biased(-0.5 * hi, -0.5 * lo, single))
    cdef double d = (2.0 - hi) - lo
    cdef double dc = (d * GF_INV_SQRT_2PI_HI) if single else gf_fma(d, GF_INV_SQRT_2PI_HI, d * GF_INV_SQRT_2PI_LO)
    return if_infinite(x, -0.0, (W * dc) * unbias(single))


cdef inline double logistic_grad2_core(double x, bint tanh_form, bint single) noexcept nogil:
    """d2/dx2 [x * sigmoid(z(x))], computed in double.

    The double kernel carries every factor as hi + lo (z'(a) from the HI + LO
    constants, the products by two_prod, 1 - w by two_sum, 1/(1 + w) and its
    square from logistic()), so the result has one rounding beyond the
    exponential's; the float32 kernel drops the low parts."""
    cdef Logistic lg = logistic(-fabs(x), tanh_form, single)
    cdef double a = flush_tiny(lg.a, single)
    cdef double zp, zpl = 0.0, t1, t1l = 0.0, a2, a2l, c3, c3l, p3, p3l, sm
    if tanh_form:
        # z'(a) = C1 + 3 C3 a**2, a z''(a) = 6 C3 a**2 = 2 p3
        a2 = a * a
        c3 = 3.0 * GF_TANH_C3_HI
        p3 = c3 * a2
        zp = GF_TANH_C1_HI + p3
        if not single:
            a2l = gf_two_prod_lo(a, a, a2)
            c3l = gf_fma(3.0, GF_TANH_C3_HI, -c3) + 3.0 * GF_TANH_C3_LO
            p3l = gf_two_prod_lo(c3, a2, p3) + (c3 * a2l + c3l * a2)
            zpl = gf_two_sum_lo(GF_TANH_C1_HI, p3, zp) + (GF_TANH_C1_LO + p3l)
        sm = zp + p3                        # t1 = 2 z' + a z'' = 2 (z' + p3)
        t1 = 2.0 * sm
        if not single:
            t1l = 2.0 * (gf_two_sum_lo(zp, p3, sm) + (zpl + p3l))
    else:
        zp = GF_SIGMOID_C_HI
        t1 = 2.0 * zp
        if not single:
            zpl = GF_SIGMOID_C_LO
            t1l = 2.0 * zpl
    # t2 = a z'**2 (1 - w)/(1 + w) = (a z') z' (1 - w) inv
    cdef double az = a * zp
    cdef double pz = az * zp
    cdef double v = 1.0 - lg.w
    cdef double u = v * lg.inv.hi
    cdef double t2 = pz * u
    cdef double sq = lg.inv.hi * lg.inv.hi
    cdef double b = t1 - t2
    if single:
        return if_infinite(x, -0.0, (lg.W * sq) * b)
    cdef double azl = gf_two_prod_lo(a, zp, az) + a * zpl
    cdef double pzl = gf_two_prod_lo(az, zp, pz) + (az * zpl + azl * zp)
    cdef double vl = gf_two_sum_lo(1.0, -lg.w, v)
    cdef double ul = gf_two_prod_lo(v, lg.inv.hi, u) + (v * lg.inv.lo + vl * lg.inv.hi)
    cdef double t2l = gf_two_prod_lo(pz, u, t2) + (pz * ul + pzl * u)
    cdef double bl = gf_two_sum_lo(t1, -t2, b) + (t1l - t2l)
    cdef double sql = gf_two_prod_lo(lg.inv.hi, lg.inv.hi, sq) + 2.0 * lg.inv.hi * lg.inv.lo
    cdef double r = sq * b
    cdef double rl = gf_two_prod_lo(sq, b, r) + (sq * bl + sql * b)
    return if_infinite(x, -0.0, gf_fma(lg.W, r, lg.W * rl) * GF_UNBIAS)


# ---- the functions the loops call, one per (ufunc, dtype) ------------------
# float32 arguments are widened to double (exactly), computed by the float32
# kernel, and rounded once on return.

cdef inline floating gelu(floating x) noexcept nogil:
    return <floating>gelu_core(x, floating is float)


cdef inline floating gelu_grad(floating x) noexcept nogil:
    return <floating>gelu_grad_core(x, floating is float)


cdef inline floating gelu_backward(floating g, floating x) noexcept nogil:
    return <floating>(<double>g * gelu_grad_core(x, floating is float))


cdef inline floating gelu_tanh(floating x) noexcept nogil:
    return <floating>logistic_gelu_core(x, True, floating is float)


cdef inline floating gelu_tanh_grad(floating x) noexcept nogil:
    return <floating>logistic_grad_core(x, True, floating is float)


cdef inline floating gelu_tanh_backward(floating g, floating x) noexcept nogil:
    return <floating>(<double>g * logistic_grad_core(x, True, floating is float))


cdef inline floating gelu_sigmoid(floating x) noexcept nogil:
    return <floating>logistic_gelu_core(x, False, floating is float)


cdef inline floating gelu_sigmoid_grad(floating x) noexcept nogil:
    return <floating>logistic_grad_core(x, False, floating is float)


cdef inline floating gelu_sigmoid_backward(floating g, floating x) noexcept nogil:
    return <floating>(<double>g * logistic_grad_core(x, False, floating is float))


cdef inline floating gelu_grad2(floating x) noexcept nogil:
    return <floating>gelu_grad2_core(x, floating is float)


cdef inline floating gelu_tanh_grad2(floating x) noexcept nogil:
    return <floating>logistic_grad2_core(x, True, floating is float)


cdef inline floating gelu_sigmoid_grad2(floating x) noexcept nogil:
    return <floating>logistic_grad2_core(x, False, floating is float)
