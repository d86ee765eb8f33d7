/*
 * tools/float32_study.c -- the exact GELU in float32 arithmetic, kept as a
 * measurement (it is not part of gelu_fast).  Run it with
 *
 *     python tools/float32_study.py            (builds this file with gcc)
 *
 * Question: gelu_fast's float32 kernel computes in double (8 lanes per
 * 512-bit vector) and rounds once (max error 0.77 ULP over all float32).  A
 * float32-arithmetic kernel has 16 lanes; how fast is one that stays within
 * the 2-ULP bound?
 *
 * Same algorithm as gelu_fast/_math.pxi (read its design note first), with
 * every step that loses more than a fraction of an ULP in float32 carried as
 * an unevaluated sum hi + lo (FMA two-products, TwoSum):
 *   * a*a = hi + lo exactly; exp(-(hi+lo)/2) = (1 + rh + v) * 2**k with
 *     Cody-Waite reduction (ln 2 in two parts) and q of degree 4 (float32
 *     coefficients refitted like tools/fit_coefficients.py: relative error
 *     9.5e-9); the 1 + rh + v is never rounded.
 *   * 1/(a+4) = d + dl (Markstein residual and the rounding of a+4), so
 *     t = (a-4)/(a+4) = th + tl; f(t) of degree 9 (float32 coefficients,
 *     relative error 1.0e-8 = 0.17 ULP) by Horner, its last step an exact
 *     product plus TwoSum, and f'(t)*tl added from a degree-2 derivative.
 *   * a/(a+4) = (1 + t)/2 from th + tl by TwoSum; F = f*(1+t) as hi + lo;
 *     gelu(-a) = -F*(1 + rh + v)*2**k/4 with one final rounding (2**64 bias
 *     for subnormal results, as in the double kernel).
 *   * gelu(x >= 0) = x + gelu(-|x|); |x| < 1/8: 0.5*x + x**2*P(x**2) (Taylor,
 *     4 terms), where x + gelu(-|x|) would cancel by 2.
 * It needs hardware FMA (no such kernel exists for the x86-64 baseline level).
 *
 * Results (2-core AMD EPYC Zen 4, GCC 12, x86-64-v4, 512-bit vectors), see
 * BENCHMARKS.md: max error 1.59 ULP over every float32 input (mean 0.033);
 * 0.83 Gelem/s against 0.75 for the shipped double kernel on the same input
 * -- 1.11x, for twice the error.  Its loop has 41 multiply/FMA instructions
 * per 16 elements (the double kernel 52), and a longer dependency chain.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

static inline uint32_t bits(float x) { uint32_t u; memcpy(&u, &x, 4); return u; }
static inline float from_bits(uint32_t u) { float x; memcpy(&x, &u, 4); return x; }
/* signbit(s) ? a : b, as masks (see gf_if_negative in gelu_fast/_fp.h) */
static inline float if_negative(float s, float a, float b)
{
    uint32_t m = (uint32_t)((int32_t)bits(s) >> 31);
    return from_bits((bits(a) & m) | (bits(b) & ~m));
}
/* 2**(k + bias) from kd = k + 0x1.8p23 */
static inline float pow2(float kd, int bias) { return from_bits((bits(kd) + (uint32_t)(127 + bias)) << 23); }
/* a + b = s + two_sum_lo(a, b, s) exactly (Knuth) */
static inline float two_sum_lo(float a, float b, float s) { float bb = s - a; return (a - (s - bb)) + (b - bb); }

static inline __attribute__((always_inline)) float gelu_f32(float x)
{
    const float MAGIC = 12582912.0f, LOG2E = 1.4426950216293335f;
    const float LN2_HI = 0.693145751953125f, LN2_LO = 1.428606765330187e-06f;  /* 16 bits + rest */
    const float UNBIAS = 5.421010862427522e-20f;                              /* 2**-64 */
    float a0 = fabsf(x);
    float a = if_negative(15.0f - a0, 15.0f, a0);     /* gelu(-15) has underflowed */
    a = if_negative(a - 0.125f, 0.125f, a);            /* below 1/8: the Taylor branch */
    float hi = a * a, lo = fmaf(a, a, -hi);
    float yh = -0.5f * hi, yl = -0.5f * lo;
    float kd = fmaf(yh, LOG2E, MAGIC), k = kd - MAGIC;
    float r1 = fmaf(-k, LN2_HI, yh), r2 = fmaf(-k, LN2_LO, yl);   /* r1 exact */
    float rh = r1 + r2, rl = (r1 - rh) + r2;
    float q = 0.0013906348031014204f;
    q = fmaf(q, rh, 0.008363118395209312f);
    q = fmaf(q, rh, 0.041666753590106964f);
    q = fmaf(q, rh, 0.16666577756404877f);
    q = fmaf(q, rh, 0.5f);
    float v = fmaf(rh * rh, q, rl);                    /* e**r = 1 + rh + v */
    float scale = pow2(kd, 64);
    float s = a + 4.0f, sl = two_sum_lo(a, 4.0f, s);
    float d = 1.0f / s;
    float dl = fmaf(-sl, d, fmaf(-s, d, 1.0f)) * d;    /* d + dl = 1/(a + 4) */
    float th = fmaf(-8.0f, d, 1.0f);
    float tl = ((1.0f - th) - 8.0f * d) - 8.0f * dl;   /* th + tl = (a-4)/(a+4) */
    float p = -0.00027296843472868204f;
    p = fmaf(p, th, 0.00034046731889247894f);
    p = fmaf(p, th, 0.0031356392428278923f);
    p = fmaf(p, th, -0.00701446458697319f);
    p = fmaf(p, th, -0.015045893378555775f);
    p = fmaf(p, th, 0.12080568075180054f);
    p = fmaf(p, th, -0.373047798871994f);
    p = fmaf(p, th, 0.7742739319801331f);
    p = fmaf(p, th, -1.2157931327819824f);
    float fprime = fmaf(fmaf(-1.119143396615982f, th, 1.5485478639602661f), th, -1.2157931327819824f);
    float pt = p * th, ptl = fmaf(p, th, -pt);
    float fh = 1.5105702877044678f + pt;               /* f(t) = fh + fl */
    float fl = two_sum_lo(1.5105702877044678f, pt, fh) + (ptl + fmaf(fprime, tl, -1.887319989180014e-08f));
    float Ph = 1.0f + th, Pl = two_sum_lo(1.0f, th, Ph) + tl;     /* 1 + t = 2a/(a+4) */
    float Fh = fh * Ph, Fl = fmaf(fh, Ph, -Fh) + fmaf(fh, Pl, fl * Ph);
    float w = fmaf(Fh, rh, fmaf(Fh, v, fmaf(Fl, rh, Fl)));
    float neg = -0.25f * ((Fh + w) * scale) * UNBIAS;  /* gelu(-a) = -a*Q(a) */
    float xx = x * x;
    float ps = fmaf(fmaf(fmaf(-0.0011873282155994f, xx, 0.009973557010035818f), xx,
                         -0.0664903800669054f), xx, 0.3989422804014327f);
    float small = fmaf(xx, ps, 0.5f * x);
    return if_negative(a0 - 0.125f, small, if_negative(x, neg, x + neg));
}

/* y[i] = gelu(x[i]); the loop GCC vectorizes */
void study_gelu(const float *restrict x, float *restrict y, long n)
{
    for (long i = 0; i < n; i++)
        y[i] = gelu_f32(x[i]);
}

static long double reference(long double x) { return 0.5L * x * erfcl(-x / sqrtl(2.0L)); }

/* error in float32 ULP of the reference (subnormal ULP below 2**-126) */
static double ulp_error(float got, long double ref)
{
    if (isnan(ref))
        return isnan(got) ? 0.0 : INFINITY;
    if (ref == 0 || isinf(ref))
        return got == ref ? 0.0 : INFINITY;
    int e;
    frexpl(fabsl(ref), &e);
    int ue = e - 24 < -149 ? -149 : e - 24;
    return (double)(fabsl((long double)got - ref) / ldexpl(1.0L, ue));
}

/* Every stride-th float32 bit pattern (stride 1: all 2**32) against erfcl in
 * long double (64-bit significand); out = {max ULP, worst x, mean ULP}. */
void study_max_ulp(long stride, double *out)
{
    double worst = 0, worst_x = 0, sum = 0;
    long count = 0;
    #pragma omp parallel reduction(+:sum, count)
    {
        double lw = 0, lx = 0;
        #pragma omp for schedule(dynamic, 4096)
        for (int64_t i = 0; i < ((int64_t)1 << 32); i += stride) {
            float x = from_bits((uint32_t)i);
            if (isnan(x))
                continue;
            long double ref = isinf(x) ? (x > 0 ? (long double)x : -0.0L) : reference(x);
            double err = ulp_error(gelu_f32(x), ref);
            sum += err;
            count++;
            if (err > lw) { lw = err; lx = x; }
        }
        #pragma omp critical
        if (lw > worst) { worst = lw; worst_x = lx; }
    }
    out[0] = worst;
    out[1] = worst_x;
    out[2] = sum / (double)count;
}
