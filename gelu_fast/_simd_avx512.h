/*
 * gelu_fast/_simd_avx512.h -- explicit AVX-512 kernels for the float32 (and
 * float16) exact GELU and its derivative.  Header-only; needs AVX-512 F/DQ
 * (x86-64-v4).  Checked over every float32 input by tools/simd_check.c.
 *
 * Design (another instruction set mirrors this note)
 * ------
 * All arithmetic is float32; no division.  With a = |x| and
 * Q(a) = 1 - Phi(a) (the upper normal tail):
 *
 *   gelu(x)      = x*Phi(x) = max(x, 0) - a*Q(a),
 *   gelu_grad(x) = Phi(x) + x*phi(x) = 1 + D(a) (x >= 0),  -D(a) (x < 0),
 *                  D(a) = a*phi(a) - Q(a),
 *
 * and both tails are products of an exponential with a smooth function:
 *
 *   Q(a) = exp(-(a*a + G(a))/2),  G(a) = -2 ln Q(a) - a*a, increasing from
 *          2 ln 2 at 0 to ~7.1 at 14.9 (~ ln(2 pi) + 2 ln a for large a);
 *   D(a) = exp(-a*a/2) * H(a),    H(a) = a/sqrt(2 pi) - Q(a) exp(a*a/2),
 *          -1/2 at 0, zero at a0 ~ 0.7518, ~ (a - 1/a)/sqrt(2 pi) for large a.
 *
 * G is needed to ~2**-26 absolute (an absolute error of the exponent is a
 * relative error of the result), H to ~2**-26 relative to the sum of its
 * terms S(a) = a/sqrt(2 pi) + Q(a) exp(a*a/2) (which near a0 is what the
 * bound of gelu_grad is relative to, and elsewhere is within a small factor
 * of |H|).
 *
 * 1. Argument.  gelu: a = min(|min(x, 13)|, 14.9) in one vrangeps after a
 *    vminps (for x > 13, q = 13*Q(13) ~ 8e-38 is still normal and x - q = x;
 *    for x < -14.9 the result has underflowed to -0).  ac = max(a, 2**-40),
 *    so that a*a never underflows (Q(ac) = Q(a) to 2**-40).
 * 2. Interval.  u = ac + 1 in [1, 16); the low 4 bits of bits(u) >> 21 (two
 *    exponent bits and two leading mantissa bits of u) number 16 intervals of
 *    a: widths 1/4 on [0, 1), 1/2 on [1, 3), 1 on [3, 7), 2 on [7, 15)
 *    (G's and H's Taylor radii grow with a).  vpermps fetches each table
 *    value from a 16-entry zmm register: t = ac - MID[i], then a degree-6
 *    polynomial in t by Horner.  gelu's MID[i] are float32 at which G is a
 *    multiple of 2**-16 to ~2**-34 (so that its constant term c0 is), found by
 *    the generator; gelu_grad's MID[12] = 0, where H(0) = -1/2 exactly.
 * 3. Exponent, exact argument.  y + hl = ac*ac exactly (FMA).  gelu:
 *    k = round((y + c0)/(2 ln 2)) (magic-number rounding; it needs only y
 *    and the table's c0, so it runs in parallel with the polynomial), and
 *        r = (y + (c0 - k*L_HI)) + ((hl - k*L_LO) + (G(a) - c0)),
 *    2 ln 2 = L_HI + L_LO, L_HI with 16 bits: c0 - k*L_HI is exact (both are
 *    multiples of 2**-16, |.| < 256), y + (c0 - k*L_HI) is exact for a >= 1
 *    and one small rounding below; |r| <= ln 2 + max|G - c0| <= 1.0003.
 *    gelu_grad: k = round(y/(2 ln 2)), r = (y - k*L_HI) + (hl - k*L_LO) (the
 *    first difference is exact), |r| <= ln 2.
 * 4. exp(-r/2) = 1 + r*P(r): P of degree 6 (gelu, |r| <= 1.0003) or 5
 *    (gelu_grad, |r| <= 0.6932), float32 coefficients.  The product with the
 *    other factor is formed with one rounding, a*(1 + rP) = fma(a, rP, a)
 *    (gelu; a itself, not ac, so subnormal x work) and fma(H, rP, H)
 *    (gelu_grad), then scaled by 2**-k with vscalefps: exact unless the
 *    result is subnormal (one more rounding there).
 * 5. Combination.  gelu: max(-0, x) - q, which keeps +-0, gives -0 where q
 *    underflows and propagates NaN (vmaxps returns its second operand, x,
 *    when equal or unordered).  gelu_grad: 1 + d, with -0 - d selected for
 *    negative sign bits by a mask from the sign (x = -0 gives -D(0) = 0.5).
 * 6. Exceptions.  The vscalefps is zero-masked to the lanes with x != -inf:
 *    masked-off lanes raise nothing, so gelu(-inf) = -0 and gelu_grad(-inf) =
 *    -0 raise no underflow; with the positive clamp at 13 no finite
 *    intermediate underflows unless the true result does (x < -13.1:
 *    genuine underflow); never overflow, divide-by-zero, or invalid for
 *    non-NaN input.  NaN in -> NaN out (gelu through vmaxps, gelu_grad
 *    through every operation: its clamps are vminps with the constant
 *    first).  The default MXCSR is assumed (no FTZ/DAZ).
 *
 * Cost per 16 elements: gelu 41 vector arithmetic instructions (8 vpermps
 * and 1 vcmpps, which issue on port 5 only; the rest on ports 0 and 5),
 * gelu_grad 42; the 16 table registers (interval centres and 7 coefficient
 * rows) stay in zmm registers for the whole array.  Four independent
 * vectors per loop iteration give the out-of-order core enough
 * independent work to cover the ~100-cycle dependency chain of one vector.
 *
 * Error budget (float32 ULPs of the exact result).  Tables: G 2**-28.3
 * absolute, H 2**-29.4 relative to S, exp 2**-29.8 / 2**-28.0 relative
 * (_simd_tables.h, printed by the generator).  Evaluation: the roundings of
 * r (<= 2**-25 absolute each for the two sums), of the Horner steps of P
 * and of G's/H's polynomials (their terms beyond c0 are < 0.31 in size), and
 * of the final fma (0.5 ULP).  Measured over every float32 input
 * (tools/simd_check.c, against long double): gelu max 1.46 ULP (at
 * x = -0.3209); gelu_grad: max 0.87 of the term-relative measure
 * |err|/(ulp + 2**-24 (|Phi| + |x phi|)) (bound 2), and max 1.89 ULP
 * (at x = -0.5223) outside [-0.85, -0.65];
 * float16 (all 65536 inputs) max 0.5001 ULP of float16 for both.  Every element goes through the same vector kernel
 * (4 vectors per iteration, single vectors, masked tail), so results do not
 * depend on position, length or alignment.
 */
#ifndef GELU_FAST_SIMD_AVX512_H
#define GELU_FAST_SIMD_AVX512_H

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>
#include "_simd_tables.h"

#define GF_Z_INLINE static inline __attribute__((always_inline))

/* The tables of one kernel, loaded into zmm registers once per array call. */
typedef struct { __m512 mid, c[GF_SIMD_DEG + 1]; } gf_tab512;

GF_Z_INLINE gf_tab512 gf_tab512_load(const float *mid, const float (*c)[16])
{
    gf_tab512 t;
    t.mid = _mm512_load_ps(mid);
    for (int j = 0; j <= GF_SIMD_DEG; j++)
        t.c[j] = _mm512_load_ps(c[j]);
    return t;
}

#define GF_Z_SET(v) _mm512_set1_ps(v)
#define GF_Z_MAGIC 12582912.0f            /* 1.5 * 2**23: round-to-integer constant */
#define GF_Z_TINY 9.094947017729282e-13f  /* 2**-40 */

/* Horner steps c6 .. c1 of the interval's polynomial sum_j c[j][i] t**j;
 * the callers do the last step (p*t + something) themselves. */
GF_Z_INLINE __m512 gf_v_table_poly_tail(const gf_tab512 *T, __m512i idx, __m512 t)
{
    __m512 p = _mm512_permutexvar_ps(idx, T->c[6]);
    p = _mm512_fmadd_ps(p, t, _mm512_permutexvar_ps(idx, T->c[5]));
    p = _mm512_fmadd_ps(p, t, _mm512_permutexvar_ps(idx, T->c[4]));
    p = _mm512_fmadd_ps(p, t, _mm512_permutexvar_ps(idx, T->c[3]));
    p = _mm512_fmadd_ps(p, t, _mm512_permutexvar_ps(idx, T->c[2]));
    p = _mm512_fmadd_ps(p, t, _mm512_permutexvar_ps(idx, T->c[1]));
    return p;
}

/* gelu(x) for one vector of 16 floats. */
GF_Z_INLINE __m512 gf_v_gelu(__m512 x, const gf_tab512 *T)
{
    __m512 x1 = _mm512_min_ps(x, GF_Z_SET(13.0f));
    __m512 a = _mm512_range_ps(x1, GF_Z_SET(GF_CLAMP_NEG), 0x0A);  /* min(|x1|, 14.9), sign cleared */
    __m512 ac = _mm512_max_ps(a, GF_Z_SET(GF_Z_TINY));
    __mmask16 live = _mm512_cmp_ps_mask(x, GF_Z_SET(-__builtin_inff()), _CMP_NEQ_UQ);
    __m512 u = _mm512_add_ps(ac, GF_Z_SET(1.0f));
    __m512i idx = _mm512_srli_epi32(_mm512_castps_si512(u), 21);
    __m512 t = _mm512_sub_ps(ac, _mm512_permutexvar_ps(idx, T->mid));
    __m512 c0 = _mm512_permutexvar_ps(idx, T->c[0]);
    /* exact square and k, in parallel with the polynomial */
    __m512 y = _mm512_mul_ps(ac, ac);
    __m512 hl = _mm512_fmsub_ps(ac, ac, y);
    __m512 kd = _mm512_fmadd_ps(_mm512_add_ps(y, c0), GF_Z_SET(GF_INV_L), GF_Z_SET(GF_Z_MAGIC));
    __m512 nk = _mm512_sub_ps(GF_Z_SET(GF_Z_MAGIC), kd);                /* -k */
    __m512 r1 = _mm512_add_ps(y, _mm512_fmadd_ps(nk, GF_Z_SET(GF_L_HI), c0));
    /* (hl - k*L_LO) + (G(a) - c0): the last Horner step adds the small terms */
    __m512 r2 = _mm512_fmadd_ps(gf_v_table_poly_tail(T, idx, t), t,
                                _mm512_fmadd_ps(nk, GF_Z_SET(GF_L_LO), hl));
    __m512 r = _mm512_add_ps(r1, r2);
    /* exp(-r/2) - 1 = r*P(r) */
#if GF_SIMD_EXP_DEG_GELU == 7
    __m512 e = _mm512_fmadd_ps(GF_Z_SET(GF_EXP_GELU[6]), r, GF_Z_SET(GF_EXP_GELU[5]));
    e = _mm512_fmadd_ps(e, r, GF_Z_SET(GF_EXP_GELU[4]));
#else
    __m512 e = _mm512_fmadd_ps(GF_Z_SET(GF_EXP_GELU[5]), r, GF_Z_SET(GF_EXP_GELU[4]));
#endif
    e = _mm512_fmadd_ps(e, r, GF_Z_SET(GF_EXP_GELU[3]));
    e = _mm512_fmadd_ps(e, r, GF_Z_SET(GF_EXP_GELU[2]));
    e = _mm512_fmadd_ps(e, r, GF_Z_SET(GF_EXP_GELU[1]));
    e = _mm512_fmadd_ps(e, r, GF_Z_SET(GF_EXP_GELU[0]));
    e = _mm512_mul_ps(e, r);
    __m512 aq = _mm512_fmadd_ps(a, e, a);
    __m512 q = _mm512_maskz_scalef_ps(live, aq, nk);
    return _mm512_sub_ps(_mm512_max_ps(GF_Z_SET(-0.0f), x), q);
}

/* gelu_grad(x) for one vector of 16 floats. */
GF_Z_INLINE __m512 gf_v_gelu_grad(__m512 x, const gf_tab512 *T)
{
    /* vminps/vmaxps return the second operand if either is NaN: constants first */
    __m512 x1 = _mm512_min_ps(GF_Z_SET(13.0f), x);
    __m512 a = _mm512_min_ps(GF_Z_SET(GF_CLAMP_NEG), _mm512_abs_ps(x1));
    __m512 ac = _mm512_max_ps(GF_Z_SET(GF_Z_TINY), a);
    __mmask16 live = _mm512_cmp_ps_mask(x, GF_Z_SET(-__builtin_inff()), _CMP_NEQ_UQ);
    __m512 u = _mm512_add_ps(ac, GF_Z_SET(1.0f));
    __m512i idx = _mm512_srli_epi32(_mm512_castps_si512(u), 21);
    __m512 t = _mm512_sub_ps(ac, _mm512_permutexvar_ps(idx, T->mid));
    __m512 c0 = _mm512_permutexvar_ps(idx, T->c[0]);
    __m512 pt = gf_v_table_poly_tail(T, idx, t);
    __m512 h = _mm512_fmadd_ps(pt, t, c0);                          /* H(a) */
    pt = _mm512_mul_ps(pt, t);                                      /* H(a) - c0 */
    __m512 y = _mm512_mul_ps(ac, ac);
    __m512 hl = _mm512_fmsub_ps(ac, ac, y);
    __m512 kd = _mm512_fmadd_ps(y, GF_Z_SET(GF_INV_L), GF_Z_SET(GF_Z_MAGIC));
    __m512 nk = _mm512_sub_ps(GF_Z_SET(GF_Z_MAGIC), kd);                /* -k */
    __m512 r = _mm512_add_ps(_mm512_fmadd_ps(nk, GF_Z_SET(GF_L_HI), y),
                             _mm512_fmadd_ps(nk, GF_Z_SET(GF_L_LO), hl));
    __m512 e = _mm512_fmadd_ps(GF_Z_SET(GF_EXP_GRAD[5]), r, GF_Z_SET(GF_EXP_GRAD[4]));
    e = _mm512_fmadd_ps(e, r, GF_Z_SET(GF_EXP_GRAD[3]));
    e = _mm512_fmadd_ps(e, r, GF_Z_SET(GF_EXP_GRAD[2]));
    e = _mm512_fmadd_ps(e, r, GF_Z_SET(GF_EXP_GRAD[1]));
    e = _mm512_fmadd_ps(e, r, GF_Z_SET(GF_EXP_GRAD[0]));
    e = _mm512_mul_ps(e, r);
    /* H*(1 + e) = c0 + (pt + H*e): one rounding of the sum dominates (H's own
     * rounding only enters through the small H*e) */
    __m512 dh = _mm512_add_ps(c0, _mm512_fmadd_ps(h, e, pt));
    __m512 d = _mm512_maskz_scalef_ps(live, dh, nk);
    __mmask16 neg = _mm512_movepi32_mask(_mm512_castps_si512(x));
    return _mm512_mask_sub_ps(_mm512_add_ps(GF_Z_SET(1.0f), d), neg, GF_Z_SET(-0.0f), d);
}

/* ---- array loops ---------------------------------------------------------
 * Forward order; every block is loaded before it is stored, so y == x and y
 * starting before x (overlapping) are fine.  4 vectors per iteration, then
 * single vectors, then one zero-masked tail vector, all through the same
 * vector kernel.  KERNEL(g, x) is the backward kernel when LOADG is given;
 * LOADG is ignored otherwise.  The tables are loaded into registers once. */
#define GF_Z_LOOP(KERNEL, MID, TAB, LOADG, LOADX, STORE)                         \
    do {                                                                       \
        const gf_tab512 T = gf_tab512_load(MID, TAB);                          \
        const __mmask16 all = 0xffff;                                          \
        (void)g;                                                               \
        ptrdiff_t i = 0;                                                       \
        for (; i + 64 <= n; i += 64) {                                         \
            __m512 v0 = KERNEL(LOADG(all, g + i), LOADX(all, x + i), &T);      \
            __m512 v1 = KERNEL(LOADG(all, g + i + 16), LOADX(all, x + i + 16), &T); \
            __m512 v2 = KERNEL(LOADG(all, g + i + 32), LOADX(all, x + i + 32), &T); \
            __m512 v3 = KERNEL(LOADG(all, g + i + 48), LOADX(all, x + i + 48), &T); \
            STORE(all, y + i, v0); STORE(all, y + i + 16, v1);                 \
            STORE(all, y + i + 32, v2); STORE(all, y + i + 48, v3);            \
        }                                                                      \
        for (; i + 16 <= n; i += 16)                                           \
            STORE(all, y + i, KERNEL(LOADG(all, g + i), LOADX(all, x + i), &T)); \
        if (i < n) {                                                           \
            __mmask16 m = (__mmask16)((1u << (n - i)) - 1u);                   \
            STORE(m, y + i, KERNEL(LOADG(m, g + i), LOADX(m, x + i), &T));     \
        }                                                                      \
    } while (0)

/* (mask, pointer) loads and stores; with the full mask the compiler emits
 * plain unmasked moves */
#define GF_Z_LD32(m, p) _mm512_maskz_loadu_ps((m), (p))
#define GF_Z_ST32(m, p, v) _mm512_mask_storeu_ps((p), (m), (v))
#define GF_Z_LD16(m, p) _mm512_cvtph_ps(_mm256_maskz_loadu_epi16((m), (p)))
#define GF_Z_ST16(m, p, v) _mm256_mask_storeu_epi16((p), (m), _mm512_cvtps_ph((v), _MM_FROUND_TO_NEAREST_INT))
#define GF_Z_NONE(m, p) _mm512_setzero_ps()
/* the one-input kernels in the loop's two-input form; backward = g * grad(x),
 * one more rounding */
#define GF_Z_GELU(g, x, T) gf_v_gelu((x), (T))
#define GF_Z_GELU_GRAD(g, x, T) gf_v_gelu_grad((x), (T))
#define GF_Z_GELU_BACKWARD(g, x, T) _mm512_mul_ps((g), gf_v_gelu_grad((x), (T)))

static void gf_simd_gelu_f32(const float *x, float *y, ptrdiff_t n)
{
    const float *g = NULL;
    GF_Z_LOOP(GF_Z_GELU, GF_GELU_MID, GF_GELU_G, GF_Z_NONE, GF_Z_LD32, GF_Z_ST32);
}

static void gf_simd_gelu_grad_f32(const float *x, float *y, ptrdiff_t n)
{
    const float *g = NULL;
    GF_Z_LOOP(GF_Z_GELU_GRAD, GF_GRAD_MID, GF_GRAD_H, GF_Z_NONE, GF_Z_LD32, GF_Z_ST32);
}

static void gf_simd_gelu_backward_f32(const float *g, const float *x, float *y, ptrdiff_t n)
{
    GF_Z_LOOP(GF_Z_GELU_BACKWARD, GF_GRAD_MID, GF_GRAD_H, GF_Z_LD32, GF_Z_LD32, GF_Z_ST32);
}

static void gf_simd_gelu_f16(const uint16_t *x, uint16_t *y, ptrdiff_t n)
{
    const uint16_t *g = NULL;
    GF_Z_LOOP(GF_Z_GELU, GF_GELU_MID, GF_GELU_G, GF_Z_NONE, GF_Z_LD16, GF_Z_ST16);
}

static void gf_simd_gelu_grad_f16(const uint16_t *x, uint16_t *y, ptrdiff_t n)
{
    const uint16_t *g = NULL;
    GF_Z_LOOP(GF_Z_GELU_GRAD, GF_GRAD_MID, GF_GRAD_H, GF_Z_NONE, GF_Z_LD16, GF_Z_ST16);
}

static void gf_simd_gelu_backward_f16(const uint16_t *g, const uint16_t *x, uint16_t *y, ptrdiff_t n)
{
    GF_Z_LOOP(GF_Z_GELU_BACKWARD, GF_GRAD_MID, GF_GRAD_H, GF_Z_LD16, GF_Z_LD16, GF_Z_ST16);
}

#endif
