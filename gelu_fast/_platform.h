/*
 * Platform glue for gelu_fast: OpenMP (or its absence), the floating-point
 * status flags, CPU feature detection and a description of the build.
 * No numerics here; see _math.pxi for those.
 */
#ifndef GELU_FAST_PLATFORM_H
#define GELU_FAST_PLATFORM_H

#include <fenv.h>

/* ---- OpenMP: a serial stand-in when the compiler has none (Apple clang
 * without libomp), so the same source builds everywhere. */
#ifdef _OPENMP
#include <omp.h>
#define GF_OPENMP 1
#else
#define GF_OPENMP 0
static inline int omp_get_max_threads(void) { return 1; }
static inline int omp_in_parallel(void) { return 0; }
#endif

/* ---- fork.  GNU OpenMP keeps its thread pool across fork() but not the
 * threads: a child that starts a parallel region after the parent has used
 * one waits forever for threads that do not exist (multiprocessing's default
 * "fork" start method on Linux).  A pthread_atfork handler marks every forked
 * child, and gelu_fast runs serial there (loop_threads, get_num_threads).
 * Processes started by spawn/forkserver, or by exec, are unaffected. */
#if GF_OPENMP && !defined(_WIN32)
#include <pthread.h>
static volatile int gf_forked = 0;
static void gf_mark_forked_child(void) { gf_forked = 1; }
static inline void gf_register_fork_handler(void) { pthread_atfork(NULL, NULL, gf_mark_forked_child); }
static inline int gf_in_forked_child(void) { return gf_forked; }
#else
static inline void gf_register_fork_handler(void) {}
static inline int gf_in_forked_child(void) { return 0; }
#endif

/* ---- floating-point status.  The kernels never perform an invalid
 * operation on a number (no inf*0, no inf-inf, no out-of-range int
 * conversion); the only FE_INVALID they can raise comes from ordered
 * comparisons that meet a quiet NaN input, which IEEE 754 counts as invalid
 * but NumPy's own functions (np.exp(nan)) do not report.  The loops therefore
 * clear FE_INVALID on exit when it was clear on entry, as NumPy's fmax/fmin
 * loops do. */
static inline int gf_invalid_raised(void) { return fetestexcept(FE_INVALID) != 0; }
static inline void gf_clear_invalid(void) { feclearexcept(FE_INVALID); }

/* ---- build description */
#define GF_STR2(x) #x
#define GF_STR(x) GF_STR2(x)
#if defined(__clang__)
#define GF_COMPILER "clang " __clang_version__
#elif defined(__GNUC__)
#define GF_COMPILER "gcc " __VERSION__
#elif defined(_MSC_VER)
#define GF_COMPILER "msvc " GF_STR(_MSC_FULL_VER)
#else
#define GF_COMPILER "unknown"
#endif
#ifndef GF_CFLAGS
#define GF_CFLAGS ""
#endif
#ifndef GF_SIMD_LEVEL
#define GF_SIMD_LEVEL "baseline"
#endif
static const char gf_compiler[] = GF_COMPILER;
static const char gf_cflags[] = GF_CFLAGS;
static const char gf_simd_level[] = GF_SIMD_LEVEL;

/* ---- CPU features (x86-64 only; elsewhere every query answers 0).
 * A level is usable only when the CPU has its instructions AND the OS saves
 * the register state they use (XCR0 read by XGETBV): YMM for AVX2,
 * opmask + ZMM for AVX-512. */
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__) || defined(_M_IX86)
#define GF_X86 1
#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>
static inline void gf_cpuid(int leaf, int sub, unsigned r[4])
{
    int v[4];
    __cpuidex(v, leaf, sub);
    r[0] = v[0]; r[1] = v[1]; r[2] = v[2]; r[3] = v[3];
}
static inline unsigned long long gf_xgetbv0(void) { return _xgetbv(0); }
#else
#include <cpuid.h>
static inline void gf_cpuid(int leaf, int sub, unsigned r[4])
{
    __cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
}
static inline unsigned long long gf_xgetbv0(void)
{
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}
#endif
#else
#define GF_X86 0
#endif

/* Bit set of the levels this machine can run: 1 = baseline, 2 = avx2
 * (x86-64-v3), 4 = avx512 (x86-64-v4). */
static inline int gf_cpu_levels(void)
{
    int levels = 1;
#if GF_X86
    unsigned r1[4], r7[4], rx[4];
    gf_cpuid(0, 0, r1);
    unsigned max_leaf = r1[0];
    gf_cpuid(1, 0, r1);
    if (!(r1[2] & (1u << 27))) return levels;                 /* OSXSAVE */
    unsigned long long xcr0 = gf_xgetbv0();
    int os_ymm = (xcr0 & 0x6) == 0x6;                          /* SSE + AVX state */
    int os_zmm = os_ymm && (xcr0 & 0xe0) == 0xe0;              /* opmask, ZMM_Hi256, Hi16_ZMM */
    if (max_leaf < 7) return levels;
    gf_cpuid(7, 0, r7);
    gf_cpuid(0x80000001, 0, rx);
    int v3 = os_ymm
        && (r1[2] & (1u << 12))      /* FMA */
        && (r1[2] & (1u << 22))      /* MOVBE */
        && (r1[2] & (1u << 28))      /* AVX */
        && (r1[2] & (1u << 29))      /* F16C */
        && (r7[1] & (1u << 3))       /* BMI1 */
        && (r7[1] & (1u << 5))       /* AVX2 */
        && (r7[1] & (1u << 8))       /* BMI2 */
        && (rx[2] & (1u << 5));      /* LZCNT */
    if (v3) levels |= 2;
    int v4 = v3 && os_zmm
        && (r7[1] & (1u << 16))      /* AVX512F */
        && (r7[1] & (1u << 17))      /* AVX512DQ */
        && (r7[1] & (1u << 28))      /* AVX512CD */
        && (r7[1] & (1u << 30))      /* AVX512BW */
        && (r7[1] & (1u << 31));     /* AVX512VL */
    if (v4) levels |= 4;
#endif
    return levels;
}

#endif
