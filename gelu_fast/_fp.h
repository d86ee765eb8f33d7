/*
 * Bit-level helpers for gelu_fast's kernels (_math.pxi).
 *
 * Cython cannot reinterpret a double's bits without aliasing tricks, so the
 * few operations that need it live here as tiny static inline functions.
 * memcpy is the portable way to type-pun; GCC/Clang turn it into a register
 * move and still vectorize the loops that call these functions.
 *
 * Everything here is exact (no rounding) except gf_float_to_half and
 * gf_float_to_bf16, which round to nearest-even as IEEE 754 requires, and
 * gf_fma without hardware FMA.
 */
#ifndef GELU_FAST_FP_H
#define GELU_FAST_FP_H

#include <math.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t gf_bits64(double x) { uint64_t u; memcpy(&u, &x, 8); return u; }
static inline double gf_from_bits64(uint64_t u) { double x; memcpy(&x, &u, 8); return x; }
static inline uint32_t gf_bits32(float x) { uint32_t u; memcpy(&u, &x, 4); return u; }
static inline float gf_from_bits32(uint32_t u) { float x; memcpy(&x, &u, 4); return x; }

/*
 * Fused multiply-add where the hardware has it (x86-64-v3 and up, aarch64),
 * a*b + c with two roundings otherwise.  The build uses -ffp-contract=off, so
 * the compiler never fuses on its own: every level computes exactly what the
 * source says, and the vectorized and scalar loops of one level agree bit
 * for bit.
 */
#if defined(__FMA__) || defined(__ARM_FEATURE_FMA) || (defined(_MSC_VER) && defined(__AVX2__))
#define GF_HAVE_FMA 1
static inline double gf_fma(double a, double b, double c) { return fma(a, b, c); }
#else
#define GF_HAVE_FMA 0
static inline double gf_fma(double a, double b, double c) { return a * b + c; }
#endif

/*
 * Low part of the exact product: a*b = p + gf_two_prod_lo(a, b, p) exactly,
 * where p = fl(a*b) (Dekker 1971; Muller, Elementary Functions, ch. 2).
 * With FMA it is one instruction.  Without, Veltkamp's split of a and b into
 * 26-bit halves makes every partial product exact; valid for |a|, |b| < 2**995
 * (the kernels clamp their arguments far below that).
 */
static inline double gf_two_prod_lo(double a, double b, double p)
{
#if GF_HAVE_FMA
    return fma(a, b, -p);
#else
    const double split = 134217729.0;   /* 2**27 + 1 */
    double ca = split * a, cb = split * b;
    double ah = ca - (ca - a), al = a - ah;
    double bh = cb - (cb - b), bl = b - bh;
    return ((ah * bh - p) + ah * bl + al * bh) + al * bl;
#endif
}

/*
 * Error of a floating-point sum: a + b = s + gf_two_sum_lo(a, b, s) exactly,
 * where s = fl(a + b) (Knuth's TwoSum; no condition on the magnitudes).
 */
static inline double gf_two_sum_lo(double a, double b, double s)
{
    double bb = s - a;
    return (a - (s - bb)) + (b - bb);
}

/*
 * 2**(k + bias) from kd = k + 0x1.8p52, for integers with -1023 < k + bias < 1024.
 * Adding 0x1.8p52 (= 6755399441055744.0) to a double of magnitude < 2**51
 * rounds it to an integer k held in the low bits of the sum's significand
 * (Muller, ch. 11, "rounding with a magic constant"); shifting those bits into
 * the exponent field builds the power of two without an int conversion, which
 * SSE2 cannot vectorize for 64-bit integers.  The double kernels use bias
 * 200 (undone by GF_UNBIAS), which keeps their intermediate results normal: they
 * multiply by 2**-200 as their very last step, so a subnormal result is
 * rounded only once; the float32 kernels need no bias (their subnormals are
 * normal doubles).
 */
static inline double gf_pow2(double kd, int bias)
{
    return gf_from_bits64((gf_bits64(kd) + (uint64_t)(1023 + bias)) << 52);
}

/*
 * signbit(s) ? a : b, as bit masks: the kernels' only select.  Conditions are
 * written as signs (x < 0 as signbit(x), a > c as signbit(c - a)) because
 * the mask then comes from a shift, which every SIMD level vectorizes for
 * doubles -- SSE2 cannot widen the result of a comparison to a 64-bit mask.
 * A `c ? a : b` would also let the compiler thread the condition through the
 * code around it (duplicating the computation of each arm, e.g. for a clamped
 * argument): blends and masked operations on AVX-512, no vectorization or
 * speculated operations raising spurious FP flags elsewhere.  With masks the
 * data flow stays straight: both arms are computed, one is kept.
 */
static inline double gf_if_negative(double s, double a, double b)
{
    uint64_t m = (uint64_t)0 - (gf_bits64(s) >> 63);
    return gf_from_bits64((gf_bits64(a) & m) | (gf_bits64(b) & ~m));
}

/*
 * IEEE binary16 <-> binary32, exact / round-to-nearest-even, branch-free so the
 * float16 loops vectorize.  NumPy stores float16 as uint16 (npy_half).
 */
static inline float gf_half_to_float(uint16_t h)
{
    uint32_t mag = (uint32_t)(h & 0x7fffu) << 13;       /* exponent+mantissa, aligned */
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    /* As a float, mag is the half's value times 2**-112 (normals and
     * subnormals alike); the multiply restores the scale exactly. */
    float v = gf_from_bits32(mag) * 5.192296858534828e+33f;   /* 2**112 */
    uint32_t r = gf_bits32(v);
    r = (mag >= 0x0f800000u) ? (mag | 0x7f800000u) : r;    /* inf / nan: keep payload */
    return gf_from_bits32(r | sign);
}

static inline uint16_t gf_float_to_half(float f)
{
    uint32_t u = gf_bits32(f);
    uint32_t sign = (u >> 16) & 0x8000u;
    uint32_t a = u & 0x7fffffffu;
    /* normal half: rebias the exponent (127 -> 15) and round to nearest even
     * on the 13 dropped bits; a carry into the exponent is the right answer. */
    uint32_t normal = (a - (112u << 23) + 0x0fffu + ((a >> 13) & 1u)) >> 13;
    /* subnormal half (|f| < 2**-14): adding 0.5f aligns the value so that the
     * FPU's own rounding leaves round(|f| * 2**24) in the low bits. */
    uint32_t sub = gf_bits32(gf_from_bits32(a) + 0.5f) - 0x3f000000u;
    uint32_t r = (a < 0x38800000u) ? sub : normal;
    r = (a >= 0x477ff000u) ? 0x7c00u : r;                  /* rounds past 65504: inf */
    r = (a > 0x7f800000u) ? (0x7e00u | ((a >> 13) & 0x3ffu)) : r;   /* nan stays nan */
    return (uint16_t)(r | sign);
}

/*
 * bfloat16 (the upper half of a binary32: 8 exponent bits, 7 mantissa bits;
 * ml_dtypes.bfloat16 stores it as uint16) <-> binary32.  Widening is exact.
 * Narrowing rounds to nearest even on the 16 dropped bits -- a carry into
 * the exponent is the right answer, up to inf -- and keeps a NaN a NaN
 * (quieted, sign and leading payload bits kept), as ml_dtypes' astype does.
 */
static inline float gf_bf16_to_float(uint16_t b)
{
    return gf_from_bits32((uint32_t)b << 16);
}

static inline uint16_t gf_float_to_bf16(float f)
{
    uint32_t u = gf_bits32(f);
    uint32_t r = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
    r = ((u & 0x7fffffffu) > 0x7f800000u) ? ((u >> 16) | 0x0040u) : r;   /* nan stays nan */
    return (uint16_t)r;
}

#endif
