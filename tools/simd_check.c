/*
 * tools/simd_check.c -- exhaustive check and timing of the explicit-SIMD
 * float32/float16 kernels (gelu_fast/_simd.h: _simd_avx512.h with
 * -march=x86-64-v4, _simd_avx2.h with -march=x86-64-v3) of the three
 * families: gelu, gelu_tanh, gelu_sigmoid (each f, f_grad, f_backward).
 * Not part of the package build.
 *
 *   gcc -O2 -march=x86-64-v4 -ffp-contract=off -fopenmp -Igelu_fast \
 *       tools/simd_check.c -o /tmp/simd_check -lm
 *   /tmp/simd_check            all checks (every float32 input; ~10 minutes
 *                              per family on 2 cores)
 *   /tmp/simd_check quick      every 97th float32 bit pattern
 *   /tmp/simd_check time       timing only
 *   /tmp/simd_check all gelu_tanh gelu_sigmoid   only these families
 *
 * Reference: long double (x87, 64-bit significand):
 *   gelu(x) = x*Phi(x),  gelu_grad(x) = Phi(x) + x*phi(x),
 *   Phi(x) = erfcl(-x/sqrt2)/2,  phi(x) = expl(-x*x/2)/sqrt(2 pi);
 *   the approximations x*s(z), s(z) + x*z'(x)*s(z)*(1 - s(z)), s(z) and
 *   1 - s(z) from expl(-|z|), z = 2 sqrt(2/pi) (x + 0.044715 x**3) or
 *   1.702 x (the decimals as long double).
 * For speed every input is first measured against the same formulas in
 * double (erfc/exp: relative error ~2**-45 after the amplification of the
 * rounding of x/sqrt2 or of z, i.e. < 1e-5 ULP), and every input whose error
 * so measured exceeds 1.3 (ULP, or the term-relative measure) is measured
 * again against long double; the maxima reported are long-double ones.
 * Error in ULPs of the exact value in float32 (ULP of a subnormal = 2**-149).
 * Each derivative f' = a + b is also measured relative to its terms (its
 * bound near the zero, x ~ -0.75):  |err| / (ulp(exact) + 2**-24 (|a| + |b|)),
 * which is <= 2 exactly when |err| <= 2 ulp + 2**-23 (|a| + |b|), and in
 * plain ULP where the terms do not cancel (|f'| >= (|a| + |b|)/2): both
 * bounded by 2.
 *
 * The kernels run on arrays of 4096 consecutive bit patterns (2 threads,
 * OpenMP); the FP exception flags are read after each array, and if any of
 * overflow / divide-by-zero / invalid / underflow is raised the elements are
 * rerun one by one to find which, and checked against the rules: never
 * overflow or divide-by-zero, invalid only for NaN input, underflow only
 * where the exact result is nonzero and below FLT_MIN in magnitude.
 * Also checked: NaN -> NaN, special values, backward = g*grad rounded once
 * (bitwise, random g), float16 over all 65536 inputs (<= 1 ULP of float16,
 * term-relative for the derivatives), and that results do not depend on
 * position/length/alignment (tail paths).
 */
#include <fenv.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <omp.h>
#include "_simd.h"      /* the kernels of the level given by -march */

static float fb(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static uint32_t bf(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

static const long double SQRT1_2L = 0.707106781186547524400844362104849039L;
static const long double INV_SQRT_2PIL = 0.398942280401432677939946059934381868L;
static const long double TANH_C1L = 1.595769121605730711759717721928389280L;   /* 2 sqrt(2/pi) */

enum { GELU, TANH, SIGMOID };
static const char *family_name[] = { "gelu", "gelu_tanh", "gelu_sigmoid" };

static long double Phi(long double x) { return erfcl(-x * SQRT1_2L) / 2; }
static long double xphi(long double x) { return x * expl(-x * x / 2) * INV_SQRT_2PIL; }

/* f(x) and the two terms of f'(x) = ta + tb: gelu: Phi, x phi; the
 * approximations x s(z): s(z), x z'(x) s(z) (1 - s(z)), with s and 1 - s
 * from exp(-|z|) (no cancellation).  The constants 0.044715 and 1.702 as
 * long double (relative error 2**-64). */
static void terms_l(int fam, long double X, long double *f, long double *ta, long double *tb)
{
    if (fam == GELU) {
        long double P = Phi(X), xp = xphi(X);
        *f = X * P; *ta = P; *tb = xp;
        return;
    }
    long double z, dz;
    if (fam == TANH) {
        z = TANH_C1L * (X + 0.044715L * X * X * X);
        dz = TANH_C1L * (1 + 3 * 0.044715L * X * X);
    } else {
        z = 1.702L * X;
        dz = 1.702L;
    }
    long double e = expl(-fabsl(z)), sp = 1 / (1 + e), sn = e / (1 + e);
    long double s = z >= 0 ? sp : sn, om = z >= 0 ? sn : sp;
    *f = X * s; *ta = s; *tb = X * dz * s * om;
}

/* the same in double (erfc/exp: relative error ~2**-45 after the
 * amplification of the rounding of x/sqrt2 or of z, < 1e-5 ULP) */
static void terms_d(int fam, double X, double *f, double *ta, double *tb)
{
    if (fam == GELU) {
        double P = erfc(-X * 0.70710678118654752440) / 2, xp = X * exp(-X * X / 2) * 0.39894228040143267794;
        *f = X * P; *ta = P; *tb = xp;
        return;
    }
    double z, dz;
    if (fam == TANH) {
        z = 1.5957691216057308 * (X + 0.044715 * X * X * X);
        dz = 1.5957691216057308 * (1 + 3 * 0.044715 * X * X);
    } else {
        z = 1.702 * X;
        dz = 1.702;
    }
    double e = exp(-fabs(z)), sp = 1 / (1 + e), sn = e / (1 + e);
    double s = z >= 0 ? sp : sn, om = z >= 0 ? sn : sp;
    *f = X * s; *ta = s; *tb = X * dz * s * om;
}

/* exact results at the infinities (the same for the three families) */
static float special_ref(float x, int grad)
{
    if (x > 0) return grad ? 1.0f : INFINITY;
    return -0.0f;
}

static long double ulp32(long double v)
{
    v = fabsl(v);
    if (v < 0x1p-126L) return 0x1p-149L;
    int e;
    frexpl(v, &e);                  /* v = m 2**e, m in [0.5, 1) */
    return ldexpl(1.0L, e - 24);
}

static long double ulp16(long double v)
{
    v = fabsl(v);
    if (v < 0x1p-14L) return 0x1p-24L;
    int e;
    frexpl(v, &e);
    return ldexpl(1.0L, e - 11);
}

/* ---- the kernels under test ------------------------------------------------- */
/* the last argument: streaming stores (0 everywhere but the layout check) */
typedef void (*kern1)(const float *, float *, ptrdiff_t, int);
typedef void (*kern2)(const float *, const float *, float *, ptrdiff_t, int);
typedef void (*kern1h)(const uint16_t *, uint16_t *, ptrdiff_t, int);
typedef void (*kern2h)(const uint16_t *, const uint16_t *, uint16_t *, ptrdiff_t, int);

typedef struct {
    int fam, present;           /* present: this level's header has the kernels */
    kern1 f, grad;
    kern2 backward;
    kern1h f16, grad16;
    kern2h backward16;
    float tail;                 /* for finite x <= tail, f(x) and f'(x) are nonzero
                                   and below FLT_MIN: only underflow is allowed */
} family;

#define GF_FAMILY(FAM, F, ON, TAIL) \
    { FAM, ON, gf_simd_##F##_f32, gf_simd_##F##_grad_f32, gf_simd_##F##_backward_f32, \
      gf_simd_##F##_f16, gf_simd_##F##_grad_f16, gf_simd_##F##_backward_f16, TAIL }
/* tails: |gelu| < 3e-41, |gelu_grad| < 5e-39 at -13.5; gelu_tanh: z(10.5) = 99.4,
 * |f'| ~ a z' exp(-z) < 2e-41; gelu_sigmoid: z(56) = 95.3, |f'| < 4e-40 */
static const family FAMILIES[3] = {
    GF_FAMILY(GELU, gelu, GF_SIMD_EXACT, -13.5f),
    GF_FAMILY(TANH, gelu_tanh, GF_SIMD_LOGISTIC, -10.5f),
    GF_FAMILY(SIGMOID, gelu_sigmoid, GF_SIMD_LOGISTIC, -56.0f),
};

#define BAD_FLAGS (FE_OVERFLOW | FE_DIVBYZERO | FE_INVALID | FE_UNDERFLOW)

typedef struct {
    double max_ulp; float at;       /* plain ULP error */
    double max_rel; float rel_at;   /* term-relative measure (grad) */
    double max_ulp_far; float far_at; /* grad: ULP error outside [-0.85, -0.65] */
    double max_ulp_nc; float nc_at; /* grad: ULP error where the terms do not cancel */
    long n_nan_bad, n_flag_bad, n_checked;
    float flag_at; int flag_which;
} stats;

static void merge(stats *s, const stats *t)
{
    if (t->max_ulp > s->max_ulp) { s->max_ulp = t->max_ulp; s->at = t->at; }
    if (t->max_rel > s->max_rel) { s->max_rel = t->max_rel; s->rel_at = t->rel_at; }
    if (t->max_ulp_far > s->max_ulp_far) { s->max_ulp_far = t->max_ulp_far; s->far_at = t->far_at; }
    if (t->max_ulp_nc > s->max_ulp_nc) { s->max_ulp_nc = t->max_ulp_nc; s->nc_at = t->nc_at; }
    if (t->n_flag_bad && !s->n_flag_bad) { s->flag_at = t->flag_at; s->flag_which = t->flag_which; }
    s->n_nan_bad += t->n_nan_bad; s->n_flag_bad += t->n_flag_bad; s->n_checked += t->n_checked;
}

/* Is raising `fl` for input x (exact result ex) allowed?  The exact results
 * are nonzero for every finite x != 0 (ex may have underflowed to 0 even in
 * long double far out in the tail). */
static int flags_ok(int fl, float x, long double ex)
{
    if (fl & (FE_OVERFLOW | FE_DIVBYZERO)) return 0;
    if ((fl & FE_INVALID) && !isnan(x)) return 0;
    if ((fl & FE_UNDERFLOW) && !isnan(x) && !(isfinite(x) && x != 0 && fabsl(ex) < 0x1p-126L)) return 0;
    return 1;
}

#define BLK 4096

static void check_range(const family *F, int grad, uint64_t step, stats *out)
{
    stats S = {0};
    uint64_t nblk = (1ull << 32) / BLK, b0 = 0;
    /* optional sub-range of bit patterns (GF_CHECK_LO/HI, hex), for targeted reruns */
    if (getenv("GF_CHECK_LO")) { b0 = strtoull(getenv("GF_CHECK_LO"), 0, 16) / BLK; nblk = strtoull(getenv("GF_CHECK_HI"), 0, 16) / BLK; }
#pragma omp parallel
    {
        stats s = {0};
        float *xs = aligned_alloc(64, BLK * 4), *ys = aligned_alloc(64, BLK * 4);
        kern1 k = grad ? F->grad : F->f;
#pragma omp for schedule(dynamic, 64)
        for (uint64_t b = b0; b < nblk; b++) {
            uint32_t base = (uint32_t)(b * BLK);
            int m = 0;
            for (uint32_t j = 0; j < BLK; j++)
                if (step == 1 || ((uint64_t)base + j) % step == 0)
                    xs[m++] = fb(base + j);
            if (!m) continue;
            feclearexcept(FE_ALL_EXCEPT);
            k(xs, ys, m, 0);
            int fl = fetestexcept(BAD_FLAGS);
            for (int j = 0; j < m; j++) {
                float x = xs[j], r = ys[j];
                s.n_checked++;
                if (isnan(x)) { if (!isnan(r)) s.n_nan_bad++; continue; }
                if (isinf(x)) {
                    float w = special_ref(x, grad);
                    if (bf(r) != bf(w)) { s.max_ulp = 1e30; s.at = x; }
                    continue;
                }
                long double ex, terms = 0, u, err;
                double e, er = 0;
                for (int pass = 0; pass < 2; pass++) {
                    if (pass == 0) {
                        double fv, ta, tb;
                        terms_d(F->fam, x, &fv, &ta, &tb);
                        ex = grad ? ta + tb : fv;
                        terms = fabs(ta) + fabs(tb);
                    } else {
                        long double fv, ta, tb;
                        terms_l(F->fam, x, &fv, &ta, &tb);
                        ex = grad ? ta + tb : fv;
                        terms = fabsl(ta) + fabsl(tb);
                    }
                    u = ulp32(ex);
                    err = fabsl((long double)r - ex);
                    e = (double)(err / u);
                    er = (double)(err / (u + 0x1p-24L * terms));
                    if (e <= 1.3 && (!grad || er <= 1.3)) break;   /* maxima above 1.3 are exact */
                }
                if (e > s.max_ulp) { s.max_ulp = e; s.at = x; }
                if (grad) {
                    if (er > s.max_rel) { s.max_rel = er; s.rel_at = x; }
                    if ((x < -0.85f || x > -0.65f) && e > s.max_ulp_far) { s.max_ulp_far = e; s.far_at = x; }
                    if (fabsl(ex) >= terms / 2 && e > s.max_ulp_nc) { s.max_ulp_nc = e; s.nc_at = x; }
                }
            }
            if (fl) {                       /* find which inputs raised what */
                for (int j = 0; j < m; j++) {
                    float x = xs[j], r;
                    feclearexcept(FE_ALL_EXCEPT);
                    k(&xs[j], &r, 1, 0);
                    int f1 = fetestexcept(BAD_FLAGS);
                    if (!f1) continue;
                    int ok;
                    if (isfinite(x) && x <= F->tail) ok = (f1 & ~FE_UNDERFLOW) == 0;
                    else {
                        long double fv, ta, tb;
                        terms_l(F->fam, x, &fv, &ta, &tb);
                        ok = flags_ok(f1, x, grad ? ta + tb : fv);
                    }
                    if (!ok) {
                        if (!s.n_flag_bad) { s.flag_at = x; s.flag_which = f1; }
                        s.n_flag_bad++;
                    }
                }
            }
        }
#pragma omp critical
        merge(&S, &s);
        free(xs); free(ys);
    }
    *out = S;
}

static void report(const char *name, int grad, const stats *s)
{
    printf("%s f32: %ld inputs, max error %.4f ULP at x = %a (%.9g)\n", name, s->n_checked, s->max_ulp, s->at, s->at);
    if (grad) {
        printf("  where the terms do not cancel (|f'| >= (|a|+|b|)/2): max %.4f ULP at x = %a (%.9g) (bound 2)\n",
               s->max_ulp_nc, s->nc_at, s->nc_at);
        printf("  outside [-0.85, -0.65]: max %.4f ULP at x = %a (%.9g)\n", s->max_ulp_far, s->far_at, s->far_at);
        printf("  term-relative |err|/(ulp + 2**-24 (|a|+|b|)): max %.4f at x = %a (%.9g) (bound 2)\n",
               s->max_rel, s->rel_at, s->rel_at);
    }
    printf("  NaN inputs not giving NaN: %ld; disallowed FP flags: %ld", s->n_nan_bad, s->n_flag_bad);
    if (s->n_flag_bad) printf(" (first at x = %a, flags 0x%x)", s->flag_at, s->flag_which);
    printf("\n");
    fflush(stdout);
}

/* ---- special values and flags, one element at a time -------------------- */
static int check_specials(const family *F)
{
    int bad = 0;
    const char *name = family_name[F->fam];
    struct { float x, f, grad; } sv[] = {
        { INFINITY, INFINITY, 1.0f }, { -INFINITY, -0.0f, -0.0f },
        { 0.0f, 0.0f, 0.5f }, { -0.0f, -0.0f, 0.5f },
    };
    for (unsigned i = 0; i < sizeof sv / sizeof sv[0]; i++) {
        float r1, r2;
        feclearexcept(FE_ALL_EXCEPT);
        F->f(&sv[i].x, &r1, 1, 0);
        int f1 = fetestexcept(FE_ALL_EXCEPT & ~FE_INEXACT);
        feclearexcept(FE_ALL_EXCEPT);
        F->grad(&sv[i].x, &r2, 1, 0);
        int f2 = fetestexcept(FE_ALL_EXCEPT & ~FE_INEXACT);
        int ok = bf(r1) == bf(sv[i].f) && bf(r2) == bf(sv[i].grad) && !f1 && !f2;
        printf("  %s: x = %-5g f %-5g (flags 0x%x)  grad %-5g (flags 0x%x)  %s\n",
               name, sv[i].x, r1, f1, r2, f2, ok ? "ok" : "WRONG");
        bad += !ok;
    }
    uint32_t nans[] = { 0x7fc00000u, 0xffc00000u, 0x7f800001u, 0xff800001u, 0x7fbfffffu, 0xffffffffu };
    for (unsigned i = 0; i < sizeof nans / 4; i++) {
        float x = fb(nans[i]), r1, r2, g = 1.0f, r3;
        F->f(&x, &r1, 1, 0);
        F->grad(&x, &r2, 1, 0);
        F->backward(&g, &x, &r3, 1, 0);
        int ok = isnan(r1) && isnan(r2) && isnan(r3);
        if (!ok) printf("  %s: x = 0x%08x: f %g grad %g backward %g  WRONG\n", name, nans[i], r1, r2, r3);
        bad += !ok;
    }
    /* no flag at all for large |x|, +-inf, the smallest normals, tiny x, the clamps */
    float big[] = { 7.5f, 11.5f, 13.0f, 13.5f, 14.0f, 20.0f, 24.0f, 70.0f, 100.0f, 1e30f, FLT_MAX, -INFINITY, INFINITY,
                    0x1p-126f, -0x1p-126f, 0x1p-125f, -0x1p-125f, 1e-30f, -1e-30f, 0x1p-30f, -0x1p-30f,
                    0x1.fffffep-31f, -0x1.fffffep-31f, 0x1p-64f, -0x1p-64f };
    for (unsigned i = 0; i < sizeof big / 4; i++) {
        float r, g = 0.5f;
        feclearexcept(FE_ALL_EXCEPT);
        if (big[i] >= 0 || fabsf(big[i]) < 1 || isinf(big[i])) F->f(&big[i], &r, 1, 0);   /* f(x < -1) may underflow */
        F->grad(&big[i], &r, 1, 0);
        F->backward(&g, &big[i], &r, 1, 0);
        int f = fetestexcept(FE_UNDERFLOW | FE_OVERFLOW | FE_INVALID | FE_DIVBYZERO);
        if (f && !(big[i] <= F->tail && isfinite(big[i]) && f == FE_UNDERFLOW)) {
            printf("  %s: x = %g raised flags 0x%x  WRONG\n", name, big[i], f);
            bad++;
        }
    }
#if defined(__AVX512F__)
    /* the logistic kernels' tiny-|x| lanes (z = 0, 1 + exp(z) = 2) rely on
     * vrcp14ps(2) = 1/2 exactly: otherwise the residual a (1 - 2 y) of a
     * tiny a would be subnormal and raise a false underflow */
    if (F->fam != GELU) {
        float r2 = _mm_cvtss_f32(_mm_rcp14_ss(_mm_setzero_ps(), _mm_set_ss(2.0f)));
        if (r2 != 0.5f) { printf("  vrcp14ps(2) = %a, not 1/2  WRONG\n", r2); bad++; }
    }
#endif
    printf("  %s: special values, NaN and flags %s\n", name, bad ? "WRONG" : "ok");
    return bad;
}

/* ---- float16 -------------------------------------------------------------- */
static float h2f(uint16_t h) { return _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(h))); }

static int check_f16(const family *F)
{
    static uint16_t xs[65536], y1[65536], y2[65536], gs[65536], y3[65536];
    const char *name = family_name[F->fam];
    for (int i = 0; i < 65536; i++) xs[i] = (uint16_t)i;
    F->f16(xs, y1, 65536, 0);
    F->grad16(xs, y2, 65536, 0);
    double m1 = 0, m2 = 0, m2r = 0; int a1 = 0, a2 = 0, a2r = 0, bad = 0;
    for (int i = 0; i < 65536; i++) {
        float x = h2f(xs[i]);
        if (isnan(x)) { bad += !isnan(h2f(y1[i])) || !isnan(h2f(y2[i])); continue; }
        long double fv, ta, tb;
        terms_l(F->fam, x, &fv, &ta, &tb);
        long double e1 = fv, e2 = ta + tb, terms = fabsl(ta) + fabsl(tb);
        long double d1 = fabsl(h2f(y1[i]) - e1), d2 = fabsl(h2f(y2[i]) - e2);
        if (isinf(x)) {
            d1 = bf(h2f(y1[i])) == bf(special_ref(x, 0)) ? 0 : 1e30L;
            d2 = bf(h2f(y2[i])) == bf(special_ref(x, 1)) ? 0 : 1e30L;
            terms = 0;
        }
        double u1 = (double)(d1 / ulp16(e1)), u2 = (double)(d2 / ulp16(e2));
        /* term-relative, as float32's: |err| <= ulp + 2**-11 (|a| + |b|) */
        double u2r = (double)(d2 / (ulp16(e2) + 0x1p-11L * terms));
        if (u1 > m1) { m1 = u1; a1 = i; }
        if (u2 > m2) { m2 = u2; a2 = i; }
        if (u2r > m2r) { m2r = u2r; a2r = i; }
    }
    printf("%s float16: f max %.4f ULP (half) at x = %g; grad max %.4f ULP at x = %g, "
           "term-relative %.4f at x = %g; NaN bad %d\n",
           name, m1, h2f(xs[a1]), m2, h2f(xs[a2]), m2r, h2f(xs[a2r]), bad);
    /* backward: bitwise g * grad(x) rounded (in float32, then to half) */
    srand(1);
    long mism = 0;
    for (int rep = 0; rep < 8; rep++) {
        for (int i = 0; i < 65536; i++) gs[i] = (uint16_t)(rand() & 0xffff);
        F->backward16(gs, xs, y3, 65536, 0);
        for (int i = 0; i < 65536; i++) {
            float g = h2f(gs[i]), gr, xf = h2f(xs[i]);
            F->grad(&xf, &gr, 1, 0);
            float r = g * gr;
            uint16_t want = (uint16_t)_mm_extract_epi16(_mm_cvtps_ph(_mm_set_ss(r), _MM_FROUND_TO_NEAREST_INT), 0);
            if (want != y3[i] && !(isnan(r) && isnan(h2f(y3[i])))) mism++;
        }
    }
    printf("%s float16 backward vs g*grad (float32) rounded once to half: %ld mismatches\n", name, mism);
    return (m1 > 1.0) + (m2r > 1.0) + bad + (mism != 0);
}

/* backward f32: bitwise g*grad(x), and position/length independence */
static int check_backward_and_tails(const family *F)
{
    enum { N = 1 << 20 };
    const char *name = family_name[F->fam];
    float *x = aligned_alloc(64, (N + 64) * 4), *g = aligned_alloc(64, (N + 64) * 4);
    float *y = aligned_alloc(64, (N + 64) * 4), *y2 = aligned_alloc(64, (N + 64) * 4), *gr = aligned_alloc(64, (N + 64) * 4);
    srand(2);
    for (int i = 0; i < N + 64; i++) {
        x[i] = fb(((uint32_t)rand() << 16) ^ (uint32_t)rand());
        if (i % 3) x[i] = (float)(rand() - RAND_MAX / 2) / (float)(RAND_MAX / 24);
        g[i] = fb(((uint32_t)rand() << 16) ^ (uint32_t)rand());
        if (i % 5) g[i] = (float)rand() / RAND_MAX - 0.5f;
    }
    long mism = 0;
    F->grad(x, gr, N, 0);
    F->backward(g, x, y, N, 0);
    for (int i = 0; i < N; i++) {
        float w = g[i] * gr[i];
        if (bf(w) != bf(y[i]) && !(isnan(w) && isnan(y[i]))) mism++;
    }
    printf("%s backward f32 vs g*grad rounded once: %ld mismatches in %d\n", name, mism, N);
    /* every offset 0..63 and length 0..200: same bits as the long run; in
     * place, and with streaming stores at every output alignment, too */
    long tail = 0;
    F->f(x, y, N, 0);
    for (int off = 0; off < 64; off++)
        for (int len = 0; len <= 200; len++) {
            F->f(x + off, y2, len, 0);
            for (int i = 0; i < len; i++) tail += bf(y2[i]) != bf(y[off + i]);
            memcpy(y2, x + off, len * 4);
            F->grad(y2, y2, len, 0);           /* in place */
            for (int i = 0; i < len; i++) tail += bf(y2[i]) != bf(gr[off + i]);
            /* streaming stores, the output at every alignment */
            F->f(x + off, y2 + off % 16, len, 1);
            for (int i = 0; i < len; i++) tail += bf(y2[off % 16 + i]) != bf(y[off + i]);
            for (int st = 0; st < 2; st++) {   /* backward, plain and streaming stores */
                F->backward(g + off, x + off, y2 + (off + 5 + st) % 16, len, st);
                for (int i = 0; i < len; i++) {
                    float w = g[off + i] * gr[off + i], v = y2[(off + 5 + st) % 16 + i];
                    tail += bf(w) != bf(v) && !(isnan(w) && isnan(v));
                }
            }
        }
    /* y starting before x, overlapping (as NumPy may do) */
    memcpy(y2 + 7, x, 1000 * 4);
    F->f(y2 + 7, y2, 1000, 0);
    for (int i = 0; i < 1000; i++) tail += bf(y2[i]) != bf(y[i]);
    printf("%s position/length/in-place/overlap/streaming independence: %ld differences\n", name, tail);
    free(x); free(g); free(y); free(y2); free(gr);
    return (mism != 0) + (tail != 0);
}

/* ---- timing ------------------------------------------------------------------ */
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
static int cmpd(const void *a, const void *b) { double d = *(const double *)a - *(const double *)b; return (d > 0) - (d < 0); }

static float gauss(void)
{
    double u1 = (rand() + 1.0) / (RAND_MAX + 2.0), u2 = (rand() + 1.0) / (RAND_MAX + 2.0);
    return (float)(sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2));
}

static void timing(const family *F)
{
    enum { N = 100000, REPS = 15, INNER = 50 };
    float *x = aligned_alloc(64, N * 4), *g = aligned_alloc(64, N * 4), *y = aligned_alloc(64, N * 4);
    uint16_t *xh = aligned_alloc(64, N * 2), *yh = aligned_alloc(64, N * 2);
    const char *name = family_name[F->fam];
    srand(3);
    for (int dist = 0; dist < 2; dist++) {
        for (int i = 0; i < N; i++) {
            x[i] = dist == 0 ? 3 * gauss() : (float)(20.0 * rand() / RAND_MAX - 10.0);
            g[i] = gauss();
            xh[i] = (uint16_t)_mm_extract_epi16(_mm_cvtps_ph(_mm_set_ss(x[i]), _MM_FROUND_TO_NEAREST_INT), 0);
        }
        double t[5][REPS];
        for (int r = 0; r < REPS; r++)
            for (int k = 0; k < 5; k++) {
                double t0 = now();
                for (int j = 0; j < INNER; j++) {
                    if (k == 0) F->f(x, y, N, 0);
                    if (k == 1) F->grad(x, y, N, 0);
                    if (k == 2) F->backward(g, x, y, N, 0);
                    if (k == 3) F->f(y, y, N, 0);
                    if (k == 4) F->f16(xh, yh, N, 0);
                }
                t[k][r] = (now() - t0) / INNER;
            }
        const char *kinds[] = { "", "_grad", "_backward", " (in place)", " float16" };
        printf("timing, 1 thread, n = %d, x = %s (median of %d):\n", N, dist == 0 ? "3*N(0,1)" : "U[-10,10]", REPS);
        for (int k = 0; k < 5; k++) {
            qsort(t[k], REPS, sizeof(double), cmpd);
            printf("  %s%-16s %.2f Gelem/s\n", name, kinds[k], N / t[k][REPS / 2] * 1e-9);
        }
    }
    free(x); free(g); free(y); free(xh); free(yh);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "all";
    int bad = 0, want[3] = { 1, 1, 1 };
    if (argc > 2) {                 /* families to check: gelu, gelu_tanh, gelu_sigmoid */
        want[0] = want[1] = want[2] = 0;
        for (int i = 2; i < argc; i++)
            for (int f = 0; f < 3; f++)
                if (strcmp(argv[i], family_name[f]) == 0) want[f] = 1;
    }
    for (int f = 0; f < 3; f++) {
        const family *F = &FAMILIES[f];
        if (!want[f]) continue;
        if (!F->present) {
            printf("%s: no explicit-SIMD kernels at this level\n", family_name[f]);
            continue;
        }
        if (strcmp(mode, "time") != 0) {
            uint64_t step = strcmp(mode, "quick") == 0 ? 97 : 1;
            printf("special values:\n");
            bad += check_specials(F);
            bad += check_backward_and_tails(F);
            bad += check_f16(F);
            stats s;
            double t0 = now();
            check_range(F, 0, step, &s);
            report(family_name[f], 0, &s);
            bad += s.max_ulp > 2 || s.n_nan_bad || s.n_flag_bad;
            check_range(F, 1, step, &s);
            char gname[64];
            snprintf(gname, sizeof gname, "%s_grad", family_name[f]);
            report(gname, 1, &s);
            bad += s.max_rel > 2 || s.max_ulp_nc > 2 || s.n_nan_bad || s.n_flag_bad;
            printf("(%.0f s)\n", now() - t0);
        }
        timing(F);
    }
    printf("%s\n", bad ? "FAILED" : "all checks passed");
    return bad != 0;
}
