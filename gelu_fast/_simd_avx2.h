/*
 * Explicit AVX2 + FMA kernels for the float32 exact GELU family
 * (x86-64-v3: AVX2, FMA, F16C).  Header-only; every function is static.
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

static inline __m256 gf_v_gelu_backward(__m256 g, __m256 x)
{
    return _mm256_mul_ps(g, gf_v_gelu_grad(x));
}

/* ---- array loops ---------------------------------------------------------- */

/* Forward order; every block is loaded before it is stored, so y == x and y
 * starting before x (overlapping) are fine.  4 vectors per iteration, then
 * single vectors, then the tail (< 8 elements) copied into a zero-padded
 * buffer and run through the same vector kernel.  KERNEL(g, x) is the
 * backward kernel when LOADG is given, LOADG(p) is ignored otherwise. */
#define GF_A2_LOOP(T, KERNEL, LOADG, LOADX, STORE)                              \
    do {                                                                       \
        ptrdiff_t i = 0;                                                       \
        for (; i + 32 <= n; i += 32) {                                         \
            __m256 v0 = KERNEL(LOADG(g + i), LOADX(x + i));                    \
            __m256 v1 = KERNEL(LOADG(g + i + 8), LOADX(x + i + 8));            \
            __m256 v2 = KERNEL(LOADG(g + i + 16), LOADX(x + i + 16));          \
            __m256 v3 = KERNEL(LOADG(g + i + 24), LOADX(x + i + 24));          \
            STORE(y + i, v0); STORE(y + i + 8, v1);                            \
            STORE(y + i + 16, v2); STORE(y + i + 24, v3);                      \
        }                                                                      \
        for (; i + 8 <= n; i += 8)                                             \
            STORE(y + i, KERNEL(LOADG(g + i), LOADX(x + i)));                  \
        if (i < n) {                                                           \
            T bg[8] = {0}, bx[8] = {0};                                        \
            size_t bytes = (size_t)(n - i) * sizeof(T);                        \
            if (g != NULL) memcpy(bg, g + i, bytes);                           \
            memcpy(bx, x + i, bytes);                                          \
            STORE(bx, KERNEL(LOADG(bg), LOADX(bx)));                           \
            memcpy(y + i, bx, bytes);                                          \
        }                                                                      \
    } while (0)

#define GF_A2_LD32(p) _mm256_loadu_ps(p)
#define GF_A2_ST32(p, v) _mm256_storeu_ps((p), (v))
#define GF_A2_LD16(p) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(p)))
#define GF_A2_ST16(p, v) \
    _mm_storeu_si128((__m128i *)(void *)(p), _mm256_cvtps_ph((v), _MM_FROUND_TO_NEAREST_INT))
#define GF_A2_NONE(p) _mm256_setzero_ps()
/* the one-input kernels in the loop's two-input form */
#define GF_A2_GELU(g, x) gf_v_gelu(x)
#define GF_A2_GELU_GRAD(g, x) gf_v_gelu_grad(x)

/* the six array functions: gelu, gelu_grad, gelu_backward for one element
 * type (SFX f32: float, f16: IEEE half as uint16_t) */
#define GF_A2_ARRAYS(SFX, T, LD, ST)                                             \
static void gf_simd_gelu_##SFX(const T *x, T *y, ptrdiff_t n)                  \
{                                                                              \
    const T *g = NULL;                                                         \
    GF_A2_LOOP(T, GF_A2_GELU, GF_A2_NONE, LD, ST);                             \
}                                                                              \
static void gf_simd_gelu_grad_##SFX(const T *x, T *y, ptrdiff_t n)             \
{                                                                              \
    const T *g = NULL;                                                         \
    GF_A2_LOOP(T, GF_A2_GELU_GRAD, GF_A2_NONE, LD, ST);                        \
}                                                                              \
static void gf_simd_gelu_backward_##SFX(const T *g, const T *x, T *y, ptrdiff_t n) \
{                                                                              \
    GF_A2_LOOP(T, gf_v_gelu_backward, LD, LD, ST);                             \
}

GF_A2_ARRAYS(f32, float, GF_A2_LD32, GF_A2_ST32)
GF_A2_ARRAYS(f16, uint16_t, GF_A2_LD16, GF_A2_ST16)

#endif
