/*
 * Explicit AVX2 + FMA kernels for the float32 exact GELU family and for the
 * tanh and sigmoid families (x86-64-v3: AVX2, FMA, F16C).  Header-only;
 * every function is static.  The exact family is described first; the
 * logistic family's differences from part 2 of _simd_avx512.h's note are
 * listed where its kernels start.
 *
 * The algorithm is the one of _simd_avx512.h (see the description there):
 * with a = min(|x|, 14.9), Q(a) = 1 - Phi(a) = exp(-(a*a + G(a))/2), G a
 * per-interval polynomial, a*a = y + hl exactly (FMA), one exponential with
 * Cody-Waite reduction by 2 ln 2, no division; gelu(x) = max(-0, x) - a*Q(a),
 * gelu_grad(x) = (x >= 0 ? 1 : -0) +- exp(-a*a/2) H(a), with
 * H(a) = a/sqrt(2 pi) - exp(a*a/2) Q(a) a second per-interval polynomial
 * (absolute accuracy near its zero a0 = 0.7518).  What differs on AVX2:
 *
 *  - Table width.  _mm256_permutevar8x32_ps indexes 8 entries, so a is split
 *    into 8 intervals read off u = a + 1 (two exponent bits and ONE mantissa
 *    bit: bits(u) >> 22, low 3 bits): [0, .5) [.5, 1) [1, 2) [2, 3) [3, 5)
 *    [5, 7) [7, 11) [11, 14.9], with degree-7 polynomials in t = a - c (one
 *    permute with the table in memory per coefficient).  The expansion points
 *    c are chosen (fit_coefficients) where the function is within 2**-9 ulp of
 *    a float32, so rounding the constant coefficients costs nothing; the first
 *    interval expands at c = 0 with G's constant exactly 0, so that tiny |x|
 *    keep relative accuracy (H's first interval: see the last point).  The
 *    wider intervals leave P = G - n*2ln2 in [-0.67, 1.10], so k is rounded
 *    from the sum y + P (not y alone): the reduced exponent stays in
 *    |r| <= ln 2 and exp(-r/2) = 1 + r*p(r) has degree 6 for both
 *    functions.
 *  - 2**-k without vscalefps.  k (0..165) comes from the magic-number
 *    rounding kd = fma(a*a + P, 1/(2 ln 2), T[slot]); 2**(64-k) is built from
 *    the low bits of kd with one shift and one integer subtract, and applied
 *    as (a*e * 2**(64-k)) * 2**-64: the first product is exact and normal, so
 *    a subnormal result is rounded once, by the last multiply.
 *  - Masks without k-registers.  Lanes whose result is known without the
 *    exponential (x >= 6: a*Q(a) < 2**-27 x; x <= -14.9 or -inf: the result
 *    is -0) would underflow inside it; the second power-of-two factor is ANDed
 *    with a compare mask, so they multiply by +0 exactly and raise nothing.
 *    a*a is formed as fma(a, a, 2**-60), so that it never underflows.
 *  - gelu_grad's last steps round once at the result's scale.  Rounding H,
 *    then exp(-r/2) H, each costs up to a whole ulp of the result where it
 *    lies just below a power of two and H or the product just above it
 *    (with those two roundings the kernel was 2.06 ULP off at x ~ -0.3251).
 *    So H is kept as h + hlo: h = fma(p, t, c0) is the last Horner step and
 *    hlo = fma(p, t, -(h - c0)) its rounding error, exact where h - c0 is a
 *    float32.  fit_coefficients places the expansion points so that it is
 *    for every value of H on the interval, on all intervals but [.5, 1),
 *    which holds H's zero (there the terms cancel for x < 0, and the result
 *    is near 1 for x > 0); [0, .5) expands at c ~ 1/4, so t = a - c rounds
 *    for a < c/2, by at most 2**-26.  With em1 = exp(-r/2) - 1
 *    (|em1| < 0.42), exp(-r/2) H = h + (h*em1 + hlo*(1 + em1)): the bracket
 *    is at most 0.42 times the result, so its rounding is at most a quarter
 *    ulp of it, and the final add is the one rounding at the result's scale.
 *    (Forming em1 as -(r1 + r2)/2 + r*(r*P1(r)), with neither the rounding
 *    of r = r1 + r2 nor that of P's last step in its linear term, takes the
 *    maximum from 1.60 to 1.33 ULP for two more instructions, about 4 %
 *    slower.)
 *
 * Status, over every float32 input: gelu within 1.636 ULP; gelu_grad within
 * 1.60 ULP where its terms do not cancel (python -m gelu_fast accuracy
 * --exhaustive: 1.599 at x = -7.01496; gelu_backward 1.52), and at most
 * 0.803 of the term-relative measure of tools/simd_check.c (bound 2);
 * float16 through these kernels within 0.5001 ULP of float16.  gelu_grad
 * costs 51 vector arithmetic instructions per 8 elements in the four-vector
 * loop (objdump, the 9 table permutes included), 47 with H and the product
 * rounded; at 100k elements 3.0 times as fast as the portable kernel and
 * 0.96 times the first version (1 thread).
 *
 * Array functions: contiguous, any n >= 0, any alignment; y may equal x or
 * start before it (blocks are loaded before they are stored, forward order).
 * Four vectors per iteration, then single vectors, then the tail (< 8) goes
 * through a zero-padded buffer and the same vector kernel, so an element's
 * result does not depend on its position.  float16 goes through F16C
 * (_mm256_cvtph_ps / _mm256_cvtps_ph, round to nearest).
 */
#ifndef GELU_FAST_SIMD_AVX2_H
#define GELU_FAST_SIMD_AVX2_H

#include <immintrin.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "_simd_tables.h"

#define GF_A2_PERM(tab, idx) _mm256_permutevar8x32_ps(_mm256_load_ps(tab), (idx))
#define GF_A2_F(v) _mm256_set1_ps(v)
#define GF_A2_I(v) _mm256_set1_epi32(v)

/* Shared front end: slot index, a*a = y + hl, and the 2**-k factors of kd. */
static inline __m256 gf_a2_clamp(__m256 x)
{
    __m256 ax = _mm256_andnot_ps(GF_A2_F(-0.0f), x);
    return _mm256_min_ps(GF_A2_F(GF_T8_A_MAX), ax);      /* NaN passes (second operand) */
}

static inline __m256i gf_a2_slot(__m256 a)
{
    __m256 u = _mm256_add_ps(a, GF_A2_F(1.0f));
    return _mm256_srli_epi32(_mm256_castps_si256(u), GF_T8_SHIFT);
}

/* lanes -14.9 < x < 6 (false for NaN) as an all-ones mask */
static inline __m256 gf_a2_live(__m256 x)
{
    return _mm256_and_ps(_mm256_cmp_ps(x, GF_A2_F(6.0f), _CMP_LT_OQ),
                         _mm256_cmp_ps(x, GF_A2_F(-GF_T8_A_MAX), _CMP_GT_OQ));
}

/* (v * 2**(64-k)) * (2**-64 & live), k the integer in the low bits of kd (0 <= k < 190):
 * the first product is exact and normal, the second rounds once */
static inline __m256 gf_a2_scale(__m256 v, __m256 kd, __m256 live)
{
    __m256i K = _mm256_slli_epi32(_mm256_castps_si256(kd), 23);     /* k << 23 */
    __m256 s1 = _mm256_castsi256_ps(_mm256_sub_epi32(GF_A2_I((127 + 64) << 23), K));
    __m256 s2 = _mm256_and_ps(live, GF_A2_F(0x1p-64f));
    return _mm256_mul_ps(_mm256_mul_ps(v, s1), s2);
}

/* gelu(x) = x * Phi(x) */
static inline __m256 gf_v_gelu(__m256 x)
{
    __m256 a = gf_a2_clamp(x);
    __m256i idx = gf_a2_slot(a);
    __m256 t = _mm256_sub_ps(a, GF_A2_PERM(GF_T8_OFF_G, idx));   /* exact */
    /* P = G(a) - n*2ln2 */
    __m256 p = GF_A2_PERM(GF_T8_G[GF_T8_DEG_G], idx);
    for (int k = GF_T8_DEG_G - 1; k >= 0; --k)
        p = _mm256_fmadd_ps(p, t, GF_A2_PERM(GF_T8_G[k], idx));
    /* a*a = y + hl (+ 2**-60); k = round((y + P)/(2 ln 2)) + n */
    __m256 y = _mm256_fmadd_ps(a, a, GF_A2_F(0x1p-60f));         /* never underflows */
    __m256 hl = _mm256_fmsub_ps(a, a, y);                        /* a*a - y, exact to 2**-60 */
    __m256 T = GF_A2_PERM(GF_T8_T, idx);
    __m256 s = _mm256_add_ps(y, p);
    __m256 kd = _mm256_fmadd_ps(s, GF_A2_F(GF_T8_INV_C), T);
    __m256 ky = _mm256_sub_ps(kd, T);                            /* round((y + P)/(2 ln 2)), exact */
    __m256 r1 = _mm256_fnmadd_ps(ky, GF_A2_F(GF_T8_C_HI), y);     /* exact */
    __m256 r2 = _mm256_fnmadd_ps(ky, GF_A2_F(GF_T8_C_LO), hl);
    __m256 r = _mm256_add_ps(_mm256_add_ps(r1, p), r2);         /* a*a + G - k*2ln2, |r| <= ln 2 */
    /* exp(-r/2) - 1 */
    __m256 q = GF_A2_F(GF_T8_E[GF_T8_NEXP - 1]);
    for (int k = GF_T8_NEXP - 2; k >= 0; --k)
        q = _mm256_fmadd_ps(q, r, GF_A2_F(GF_T8_E[k]));
    __m256 em1 = _mm256_mul_ps(r, q);
    __m256 ae = _mm256_fmadd_ps(a, em1, a);                      /* a*exp(-r/2), one rounding */
    __m256 aq = gf_a2_scale(ae, kd, gf_a2_live(x));               /* a*Q(a) */
    return _mm256_sub_ps(_mm256_max_ps(GF_A2_F(-0.0f), x), aq);
}

/* gelu_grad(x) = Phi(x) + x*phi(x) */
static inline __m256 gf_v_gelu_grad(__m256 x)
{
    const float magic = 12582912.0f;                             /* 1.5 * 2**23 */
    __m256 a = gf_a2_clamp(x);
    __m256i idx = gf_a2_slot(a);
    __m256 t = _mm256_sub_ps(a, GF_A2_PERM(GF_T8_OFF_H, idx));
    /* H(a) = h + hlo: the last Horner step and its rounding error (h - c0 exact) */
    __m256 p = GF_A2_PERM(GF_T8_H[GF_T8_DEG_H], idx);
    for (int k = GF_T8_DEG_H - 1; k >= 1; --k)
        p = _mm256_fmadd_ps(p, t, GF_A2_PERM(GF_T8_H[k], idx));
    __m256 c0 = GF_A2_PERM(GF_T8_H[0], idx);
    __m256 h = _mm256_fmadd_ps(p, t, c0);
    __m256 hlo = _mm256_fmsub_ps(p, t, _mm256_sub_ps(h, c0));
    __m256 y = _mm256_fmadd_ps(a, a, GF_A2_F(0x1p-60f));         /* never underflows */
    __m256 hl = _mm256_fmsub_ps(a, a, y);                        /* a*a - y, exact to 2**-60 */
    __m256 kd = _mm256_fmadd_ps(y, GF_A2_F(GF_T8_INV_C), GF_A2_F(magic));
    __m256 ky = _mm256_sub_ps(kd, GF_A2_F(magic));
    __m256 r1 = _mm256_fnmadd_ps(ky, GF_A2_F(GF_T8_C_HI), y);
    __m256 r2 = _mm256_fnmadd_ps(ky, GF_A2_F(GF_T8_C_LO), hl);
    __m256 r = _mm256_add_ps(r1, r2);
    __m256 q = GF_A2_F(GF_T8_E[GF_T8_NEXP - 1]);
    for (int k = GF_T8_NEXP - 2; k >= 0; --k)
        q = _mm256_fmadd_ps(q, r, GF_A2_F(GF_T8_E[k]));
    __m256 em1 = _mm256_mul_ps(r, q);
    /* exp(-r/2) H(a) = h + (h*em1 + hlo*(1 + em1)), one rounding at the result's scale */
    __m256 he = _mm256_add_ps(h, _mm256_fmadd_ps(h, em1, _mm256_fmadd_ps(hlo, em1, hlo)));
    __m256 hs = _mm256_xor_ps(he, _mm256_and_ps(x, GF_A2_F(-0.0f)));   /* negated for x < 0 */
    __m256 d = gf_a2_scale(hs, kd, gf_a2_live(x));               /* +-exp(-a*a/2) H(a) */
    __m256 base = _mm256_blendv_ps(GF_A2_F(1.0f), GF_A2_F(-0.0f), x);
    return _mm256_add_ps(base, d);
}

/* ---- the logistic family: gelu_tanh, gelu_sigmoid and their derivatives ----
 * Part 2 of the note in _simd_avx512.h, with these differences:
 *  - Table.  n = round(-8 z/ln 2) (GF_LG8_MAGIC = 1.5*2**20 rounds to
 *    multiples of 1/8: kf = n/8), j = n mod 8 the low 3 bits of kd, one
 *    8-entry permute per table (2**(-j/8) hi, lo), |r| <= ln2/16 and
 *    exp(r) = 1 + r P8(r) of degree 4 (2**-32.4).
 *  - Scaling without vscalefps.  bits(kd) = bits(MAGIC) + n, so the
 *    arithmetic shift by 3 is bits(MAGIC)/8 + floor(n/8): one shift, one
 *    integer add and one shift give S = 2**(64 + floor(kf)) (kf >= -185:
 *    S >= 2**-121 is normal).  P = 2**floor(kf) clamped at 2**-64 is
 *    max(S, 1) * 2**-64, exactly; the results are (v * S) * (2**-64 & live),
 *    the first product exact and normal, so a subnormal result is rounded
 *    once, and x = -inf (live = 0) gets +0 without raising anything.
 *  - Masks are all-ones lanes: a is ANDed with (a >= 2**-30) where z and
 *    a z'(a) are formed (am), so tiny a give z = 0 exactly.
 *  - 1/d and 1/(d*d) by vdivps (vrcpps is good to 2**-12 only).
 *  - The derivative's numerator includes c azl (c up to 0.044 th here).
 * Measured over every float32 input (simd_check, -march=x86-64-v3, against
 * long double): gelu_tanh max 0.7904 ULP (x = 0.613024), gelu_sigmoid
 * 0.8102 (x = -53.6795, a subnormal result); the derivatives where the
 * terms do not cancel 0.7960 (x = -10.2495) and 0.7966 (x = -54.0871), the
 * term-relative measure 0.6116 / 0.6081 (bound 2); float16 max 0.5001 ULP;
 * flags, special values, backward and tails as at avx512.
 */
#define GF_A2_I2F(v) _mm256_castsi256_ps(v)

/* exp(z) = 2**(-floor(kf)) (th + c); s = 2**(64 + floor(kf)) */
typedef struct { __m256 th, c, s; } gf_a2_lg_exp;

static inline gf_a2_lg_exp gf_a2_lg_exp_r(__m256 kd, __m256 r)
{
    gf_a2_lg_exp e;
    __m256i kdi = _mm256_castps_si256(kd);
    __m256 p = _mm256_fmadd_ps(GF_A2_F(GF_LG8_P3), r, GF_A2_F(GF_LG8_P2));
    p = _mm256_fmadd_ps(p, r, GF_A2_F(GF_LG8_P1));
    p = _mm256_fmadd_ps(p, r, GF_A2_F(GF_LG8_P0));
    __m256 e1 = _mm256_mul_ps(p, r);                              /* exp(r) - 1 */
    e.th = GF_A2_PERM(GF_LG8_EXP2_HI, kdi);
    e.c = _mm256_fmadd_ps(e.th, e1, GF_A2_PERM(GF_LG8_EXP2_LO, kdi));
    /* (bits(MAGIC)/8 + floor(n/8) + 191 - bits(MAGIC)/8) << 23 */
    __m256i off = _mm256_sub_epi32(GF_A2_I(127 + 64),
                                   _mm256_srli_epi32(_mm256_castps_si256(GF_A2_F(GF_LG8_MAGIC)), 3));
    e.s = GF_A2_I2F(_mm256_slli_epi32(_mm256_add_epi32(_mm256_srai_epi32(kdi, 3), off), 23));
    return e;
}

/* r = z + kf ln 2 from kd, z = am (zh + zl) */
static inline __m256 gf_a2_lg_reduce(__m256 kd, __m256 am, __m256 zh, __m256 zl)
{
    __m256 kf = _mm256_sub_ps(kd, GF_A2_F(GF_LG8_MAGIC));
    __m256 r = _mm256_fmadd_ps(am, zh, _mm256_mul_ps(kf, GF_A2_F(GF_LG_L_HI)));
    r = _mm256_fmadd_ps(kf, GF_A2_F(GF_LG_L_LO), r);
    return _mm256_fmadd_ps(am, zl, r);
}

/* C1 + c3*y as hi + lo (see gf_lg_t_bracket in _simd_avx512.h) */
static inline __m256 gf_a2_lg_bracket(__m256 y, __m256 yl, float c3h, float c3l, __m256 *lo)
{
    __m256 hi = _mm256_fmadd_ps(GF_A2_F(c3h), y, GF_A2_F(GF_LG_T_C1_HI));
    __m256 u = _mm256_sub_ps(hi, GF_A2_F(GF_LG_T_C1_HI));
    __m256 err = _mm256_fmsub_ps(GF_A2_F(c3h), y, u);
    *lo = _mm256_add_ps(_mm256_fmadd_ps(GF_A2_F(c3h), yl, err),
                        _mm256_fmadd_ps(GF_A2_F(c3l), y, GF_A2_F(GF_LG_T_C1_LO)));
    return hi;
}

/* reductions: sigmoid (z = 1.702 a), tanh (z = a (C1 + C3 a**2), bh + bl) */
static inline __m256 gf_a2_lg_s_reduce(__m256 am, __m256 *kd)
{
    *kd = _mm256_fmadd_ps(am, GF_A2_F(GF_LG_S_K), GF_A2_F(GF_LG8_MAGIC));
    return gf_a2_lg_reduce(*kd, am, GF_A2_F(GF_LG_S_C_HI), GF_A2_F(GF_LG_S_C_LO));
}

static inline __m256 gf_a2_lg_t_reduce(__m256 am, __m256 y, __m256 yl, __m256 *kd)
{
    __m256 bl, bh = gf_a2_lg_bracket(y, yl, GF_LG_T_C3_HI, GF_LG_T_C3_LO, &bl);
    *kd = _mm256_fmadd_ps(am, _mm256_mul_ps(bh, GF_A2_F(GF_LG_K)), GF_A2_F(GF_LG8_MAGIC));
    return gf_a2_lg_reduce(*kd, am, bh, bl);
}

/* P = 2**floor(kf) clamped at 2**-64 (negligible below); P + th = d1 + d1l
 * exactly; d = fl(d1 + c) */
static inline __m256 gf_a2_lg_den(gf_a2_lg_exp e, __m256 *d1, __m256 *d1l)
{
    __m256 p = _mm256_mul_ps(_mm256_max_ps(e.s, GF_A2_F(1.0f)), GF_A2_F(0x1p-64f));
    *d1 = _mm256_add_ps(e.th, p);
    *d1l = _mm256_sub_ps(p, _mm256_sub_ps(*d1, e.th));
    return _mm256_add_ps(*d1, e.c);
}

/* 1/d, correctly rounded: vdivps (vrcpps is good to 2**-12 only and needs
 * a Newton step, two more instructions, for the residual step to reach
 * 2**-24; measured 0-7 % slower) */
static inline __m256 gf_a2_lg_recip(__m256 d)
{
    return _mm256_div_ps(GF_A2_F(1.0f), d);
}

/* (v * 2**(64 + floor(kf))) * (2**-64, or 0 where x = -inf) */
static inline __m256 gf_a2_lg_scale(__m256 v, __m256 s, __m256 x)
{
    __m256 live = _mm256_cmp_ps(x, GF_A2_F(-INFINITY), _CMP_NEQ_UQ);
    return _mm256_mul_ps(_mm256_mul_ps(v, s), _mm256_and_ps(live, GF_A2_F(0x1p-64f)));
}

/* x sigmoid(z(x)) = max(x, -0) - q, q = 2**floor(kf) a/(P + th + c) */
static inline __m256 gf_a2_lg_f(__m256 x, __m256 a, gf_a2_lg_exp e)
{
    __m256 d1, d1l, d = gf_a2_lg_den(e, &d1, &d1l);
    __m256 y = gf_a2_lg_recip(d);
    __m256 q0 = _mm256_mul_ps(a, y);
    __m256 res = _mm256_fnmadd_ps(q0, _mm256_add_ps(e.c, d1l), _mm256_fnmadd_ps(q0, d1, a));
    __m256 q = gf_a2_lg_scale(_mm256_fmadd_ps(res, y, q0), e.s, x);
    return _mm256_sub_ps(_mm256_max_ps(GF_A2_F(-0.0f), x), q);
}

/* f'(x) = 1 + D (x >= 0), -0 - D (x < 0), D = 2**floor(kf) (E az - P - E)/(P + E)**2 */
static inline __m256 gf_a2_lg_grad(__m256 x, __m256 azh, __m256 azl, gf_a2_lg_exp e)
{
    __m256 d1, d1l, d = gf_a2_lg_den(e, &d1, &d1l);
    __m256 dl = _mm256_add_ps(d1l, _mm256_sub_ps(e.c, _mm256_sub_ps(d, d1)));
    __m256 eh = _mm256_fmadd_ps(e.c, azh, _mm256_mul_ps(e.th, azh));
    __m256 el = _mm256_fmadd_ps(e.c, azh, _mm256_fmsub_ps(e.th, azh, eh));
    __m256 mh = _mm256_sub_ps(eh, d);
    __m256 bb = _mm256_sub_ps(mh, eh);
    __m256 ml = _mm256_sub_ps(_mm256_sub_ps(eh, _mm256_sub_ps(mh, bb)), _mm256_add_ps(d, bb));
    /* (th + c) azl in full: the tanh form's azl is ~2**-21 of azh (C1_HI has
     * 20 bits) and c up to 0.044 th here */
    ml = _mm256_add_ps(_mm256_fmadd_ps(e.th, azl, _mm256_fmadd_ps(e.c, azl, _mm256_sub_ps(el, dl))), ml);
    __m256 sh = _mm256_mul_ps(d, d);
    __m256 sl = _mm256_fmadd_ps(_mm256_add_ps(d, d), dl, _mm256_fmsub_ps(d, d, sh));
    __m256 y = gf_a2_lg_recip(sh);
    __m256 q0 = _mm256_mul_ps(mh, y);
    __m256 res = _mm256_add_ps(_mm256_fnmadd_ps(q0, sh, mh), _mm256_fnmadd_ps(q0, sl, ml));
    __m256 dd = gf_a2_lg_scale(_mm256_fmadd_ps(res, y, q0), e.s, x);
    return _mm256_blendv_ps(_mm256_add_ps(GF_A2_F(1.0f), dd), _mm256_sub_ps(GF_A2_F(-0.0f), dd), x);
}

/* a = min(|min(x, POS)|, NEG), NaN kept; am = a where a >= 2**-30 (or NaN), else 0 */
static inline __m256 gf_a2_lg_abs(__m256 x, float neg, float pos, __m256 *am)
{
    __m256 a = _mm256_min_ps(GF_A2_F(neg), _mm256_andnot_ps(GF_A2_F(-0.0f), _mm256_min_ps(GF_A2_F(pos), x)));
    *am = _mm256_and_ps(a, _mm256_cmp_ps(a, GF_A2_F(GF_LG_TINY), _CMP_NLT_UQ));
    return a;
}

static inline __m256 gf_v_gelu_sigmoid(__m256 x)
{
    __m256 am, kd, a = gf_a2_lg_abs(x, GF_LG_S_NEG, GF_LG_S_POS, &am);
    __m256 r = gf_a2_lg_s_reduce(am, &kd);
    return gf_a2_lg_f(x, a, gf_a2_lg_exp_r(kd, r));
}

static inline __m256 gf_v_gelu_sigmoid_grad(__m256 x)
{
    __m256 am, kd;
    (void)gf_a2_lg_abs(x, GF_LG_S_NEG, GF_LG_S_POS, &am);
    __m256 r = gf_a2_lg_s_reduce(am, &kd);
    __m256 azh = _mm256_mul_ps(am, GF_A2_F(GF_LG_S_C_HI));
    __m256 azl = _mm256_fmadd_ps(am, GF_A2_F(GF_LG_S_C_LO), _mm256_fmsub_ps(am, GF_A2_F(GF_LG_S_C_HI), azh));
    return gf_a2_lg_grad(x, azh, azl, gf_a2_lg_exp_r(kd, r));
}

static inline __m256 gf_v_gelu_tanh(__m256 x)
{
    __m256 am, kd, a = gf_a2_lg_abs(x, GF_LG_T_NEG, GF_LG_T_POS, &am);
    __m256 y = _mm256_fmadd_ps(a, a, GF_A2_F(0x1p-60f));          /* never underflows */
    __m256 yl = _mm256_fmsub_ps(a, a, y);
    __m256 r = gf_a2_lg_t_reduce(am, y, yl, &kd);
    return gf_a2_lg_f(x, a, gf_a2_lg_exp_r(kd, r));
}

static inline __m256 gf_v_gelu_tanh_grad(__m256 x)
{
    __m256 am, kd, a = gf_a2_lg_abs(x, GF_LG_T_NEG, GF_LG_T_POS, &am);
    __m256 y = _mm256_fmadd_ps(a, a, GF_A2_F(0x1p-60f));
    __m256 yl = _mm256_fmsub_ps(a, a, y);
    __m256 r = gf_a2_lg_t_reduce(am, y, yl, &kd);
    __m256 bl, bh = gf_a2_lg_bracket(y, yl, GF_LG_T_3C3_HI, GF_LG_T_3C3_LO, &bl);
    __m256 azh = _mm256_mul_ps(am, bh);
    __m256 azl = _mm256_fmadd_ps(am, bl, _mm256_fmsub_ps(am, bh, azh));
    return gf_a2_lg_grad(x, azh, azl, gf_a2_lg_exp_r(kd, r));
}

/* ---- array loops ---------------------------------------------------------- */

/* Forward order; every block is loaded before it is stored, so y == x and y
 * starting before x (overlapping) are fine.  4 vectors per iteration, then
 * single vectors, then the tail (< 8 elements) copied into a zero-padded
 * buffer and run through the same vector kernel (GF_A2_PART).  KERNEL(g, x)
 * is the backward kernel when LOADG is given, LOADG(p) is ignored otherwise.
 * The elements before the first vector-aligned y go through the padded
 * buffer, so that the stores are aligned.  stream != 0: as in
 * _simd_avx512.h, whole vectors are written with non-temporal stores
 * (STREAM), then an sfence.  The inputs are prefetched 4 KiB ahead
 * (GF_A2_PREFETCH).  (The three-piece structure of _simd_avx512.h's loops
 * measured 10-20 % slower here for the logistic derivatives, 4 % faster for
 * gelu_backward; this single loop is kept.) */
#define GF_A2_LOOP(T, KERNEL, LOADG, LOADX, STORE, STREAM)                      \
    do {                                                                       \
        ptrdiff_t i = 0;                                                       \
        if ((uintptr_t)y % sizeof(T))                                          \
            stream = 0;                 /* never aligned: store as usual */    \
        else {                          /* head: up to the first aligned y */  \
            const size_t vb = 8 * sizeof(T);                                   \
            i = (ptrdiff_t)((vb - (uintptr_t)y % vb) % vb / sizeof(T));        \
            if (i > n) i = n;                                                  \
            if (i > 0) GF_A2_PART(T, KERNEL, LOADG, LOADX, STORE, 0, i);       \
        }                                                                      \
        for (; i + 32 <= n; i += 32) {                                         \
            GF_A2_PREFETCH(g, x, i); GF_A2_PREFETCH(g, x, i + 16);             \
            __m256 v0 = KERNEL(LOADG(g + i), LOADX(x + i));                    \
            __m256 v1 = KERNEL(LOADG(g + i + 8), LOADX(x + i + 8));            \
            __m256 v2 = KERNEL(LOADG(g + i + 16), LOADX(x + i + 16));          \
            __m256 v3 = KERNEL(LOADG(g + i + 24), LOADX(x + i + 24));          \
            GF_A2_PUT(STORE, STREAM, y + i, v0); GF_A2_PUT(STORE, STREAM, y + i + 8, v1); \
            GF_A2_PUT(STORE, STREAM, y + i + 16, v2); GF_A2_PUT(STORE, STREAM, y + i + 24, v3); \
        }                                                                      \
        for (; i + 8 <= n; i += 8)                                             \
            GF_A2_PUT(STORE, STREAM, y + i, KERNEL(LOADG(g + i), LOADX(x + i))); \
        if (i < n) GF_A2_PART(T, KERNEL, LOADG, LOADX, STORE, i, n - i);       \
        if (stream)                                                            \
            _mm_sfence();                                                      \
    } while (0)
/* elements [i0, i0 + len), len < 8, through a zero-padded buffer */
#define GF_A2_PART(T, KERNEL, LOADG, LOADX, STORE, i0, len)                     \
    do {                                                                       \
        T bg[8] = {0}, bx[8] = {0};                                            \
        size_t bytes = (size_t)(len) * sizeof(T);                              \
        if (g != NULL) memcpy(bg, g + (i0), bytes);                            \
        memcpy(bx, x + (i0), bytes);                                           \
        STORE(bx, KERNEL(LOADG(bg), LOADX(bx)));                               \
        memcpy(y + (i0), bx, bytes);                                           \
    } while (0)
/* software prefetch 4 KiB ahead, as in _simd_avx512.h */
#define GF_A2_PREFETCH(g, x, i)                                                \
    do {                                                                       \
        _mm_prefetch((const char *)((x) + (i)) + 4096, _MM_HINT_T0);           \
        if (g) _mm_prefetch((const char *)((g) + (i)) + 4096, _MM_HINT_T0);    \
    } while (0)
/* a whole vector: streamed or stored (the test is loop-invariant) */
#define GF_A2_PUT(STORE, STREAM, p, v)                                         \
    do {                                                                       \
        if (stream) STREAM((p), (v)); else STORE((p), (v));                    \
    } while (0)

#define GF_A2_LD32(p) _mm256_loadu_ps(p)
#define GF_A2_ST32(p, v) _mm256_storeu_ps((p), (v))
#define GF_A2_NT32(p, v) _mm256_stream_ps((p), (v))
#define GF_A2_LD16(p) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(p)))
#define GF_A2_ST16(p, v) \
    _mm_storeu_si128((__m128i *)(void *)(p), _mm256_cvtps_ph((v), _MM_FROUND_TO_NEAREST_INT))
#define GF_A2_NT16(p, v) \
    _mm_stream_si128((__m128i *)(void *)(p), _mm256_cvtps_ph((v), _MM_FROUND_TO_NEAREST_INT))
/* bfloat16 as in _simd_avx512.h (GF_Z_LDBF / GF_Z_STBF) */
#define GF_A2_LDBF(p) _mm256_castsi256_ps(_mm256_slli_epi32( \
    _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(const void *)(p))), 16))
static inline __m128i gf_a2_to_bf16(__m256 v)
{
    __m256i u = _mm256_castps_si256(v);
    __m256i odd = _mm256_and_si256(_mm256_srli_epi32(u, 16), GF_A2_I(1));
    __m256i r = _mm256_srli_epi32(_mm256_add_epi32(_mm256_add_epi32(u, GF_A2_I(0x7fff)), odd), 16);
    return _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));   /* r <= 0xffff */
}
#define GF_A2_STBF(p, v) _mm_storeu_si128((__m128i *)(void *)(p), gf_a2_to_bf16(v))
#define GF_A2_NTBF(p, v) _mm_stream_si128((__m128i *)(void *)(p), gf_a2_to_bf16(v))
#define GF_A2_NONE(p) _mm256_setzero_ps()
/* the one-input kernels in the loop's two-input form; backward = g * grad(x) */
#define GF_A2_KERNELS(F)                                                         \
static inline __m256 gf_v_##F##_1(__m256 g, __m256 x) { (void)g; return gf_v_##F(x); } \
static inline __m256 gf_v_##F##_grad_1(__m256 g, __m256 x) { (void)g; return gf_v_##F##_grad(x); } \
static inline __m256 gf_v_##F##_backward(__m256 g, __m256 x) { return _mm256_mul_ps(g, gf_v_##F##_grad(x)); }

/* the three array functions of family F for one element type (SFX f32:
 * float, f16: IEEE half, bf16: bfloat16, both as uint16_t; LD, ST, NT its
 * load, store and non-temporal store) */
#define GF_A2_ARRAYS(F, SFX, T, LD, ST, NT)                                      \
static void gf_simd_##F##_##SFX(const T *x, T *y, ptrdiff_t n, int stream)     \
{                                                                              \
    const T *g = NULL;                                                         \
    GF_A2_LOOP(T, gf_v_##F##_1, GF_A2_NONE, LD, ST, NT);                       \
}                                                                              \
static void gf_simd_##F##_grad_##SFX(const T *x, T *y, ptrdiff_t n, int stream) \
{                                                                              \
    const T *g = NULL;                                                         \
    GF_A2_LOOP(T, gf_v_##F##_grad_1, GF_A2_NONE, LD, ST, NT);                  \
}                                                                              \
static void gf_simd_##F##_backward_##SFX(const T *g, const T *x, T *y, ptrdiff_t n, int stream) \
{                                                                              \
    GF_A2_LOOP(T, gf_v_##F##_backward, LD, LD, ST, NT);                        \
}

GF_A2_KERNELS(gelu)
GF_A2_KERNELS(gelu_tanh)
GF_A2_KERNELS(gelu_sigmoid)
GF_A2_ARRAYS(gelu, f32, float, GF_A2_LD32, GF_A2_ST32, GF_A2_NT32)
GF_A2_ARRAYS(gelu, f16, uint16_t, GF_A2_LD16, GF_A2_ST16, GF_A2_NT16)
GF_A2_ARRAYS(gelu, bf16, uint16_t, GF_A2_LDBF, GF_A2_STBF, GF_A2_NTBF)
GF_A2_ARRAYS(gelu_tanh, f32, float, GF_A2_LD32, GF_A2_ST32, GF_A2_NT32)
GF_A2_ARRAYS(gelu_tanh, f16, uint16_t, GF_A2_LD16, GF_A2_ST16, GF_A2_NT16)
GF_A2_ARRAYS(gelu_tanh, bf16, uint16_t, GF_A2_LDBF, GF_A2_STBF, GF_A2_NTBF)
GF_A2_ARRAYS(gelu_sigmoid, f32, float, GF_A2_LD32, GF_A2_ST32, GF_A2_NT32)
GF_A2_ARRAYS(gelu_sigmoid, f16, uint16_t, GF_A2_LD16, GF_A2_ST16, GF_A2_NT16)
GF_A2_ARRAYS(gelu_sigmoid, bf16, uint16_t, GF_A2_LDBF, GF_A2_STBF, GF_A2_NTBF)

#endif
