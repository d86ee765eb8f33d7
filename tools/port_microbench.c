/*
 * tools/port_microbench.c -- throughput of the vector instructions the
 * explicit-SIMD kernels (gelu_fast/_simd_avx512.h) are made of, in
 * instructions per core cycle, on this machine.  Not part of the package.
 *
 *   gcc -O2 -march=x86-64-v4 tools/port_microbench.c -o /tmp/port_microbench
 *   /tmp/port_microbench
 *
 * Each test runs 12 independent chains of one instruction (so latency does
 * not limit it) for many iterations; the time is converted to core cycles
 * with a chain of dependent scalar adds (one per cycle on every x86 core),
 * timed the same way, so turbo and the TSC's fixed rate cancel out.  The
 * figures bound any kernel made of these instructions: with P instructions
 * per 16 elements that issue on the same two ports, at least P/2 cycles.
 */
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <x86intrin.h>

#define ITERS 20000000L
#define KEEP(v) __asm__ volatile("" : "+v"(v))

static double ticks_per_cycle(void)
{
    uint64_t x = 1, t0 = __rdtsc();
    for (long i = 0; i < ITERS; i++) {
        __asm__ volatile("add %0, %0\n\tadd %0, %0\n\tadd %0, %0\n\tadd %0, %0" : "+r"(x));
    }
    return (double)(__rdtsc() - t0) / (4.0 * ITERS);
}

#define BENCH(name, OPS_PER_ITER, BODY)                                            \
    static double name(void)                                                       \
    {                                                                              \
        __m512 v0 = _mm512_set1_ps(1.0f), v1 = _mm512_set1_ps(1.1f), v2 = v0,      \
               v3 = v1, v4 = v0, v5 = v1, v6 = v0, v7 = v1, v8 = v0, v9 = v1,      \
               v10 = v0, v11 = v1;                                                 \
        __m512 c = _mm512_set1_ps(0.999f), d = _mm512_set1_ps(1e-3f);              \
        __m512i idx = _mm512_set1_epi32(3);                                        \
        KEEP(c); KEEP(d); KEEP(idx);                                               \
        uint64_t t0 = __rdtsc();                                                   \
        for (long i = 0; i < ITERS / 4; i++) {                                     \
            BODY                                                                   \
            KEEP(v0); KEEP(v1); KEEP(v2); KEEP(v3); KEEP(v4); KEEP(v5);            \
            KEEP(v6); KEEP(v7); KEEP(v8); KEEP(v9); KEEP(v10); KEEP(v11);          \
        }                                                                          \
        return (double)(__rdtsc() - t0) / ((double)(ITERS / 4) * (OPS_PER_ITER));  \
    }

#define ALL12(OP) OP(v0) OP(v1) OP(v2) OP(v3) OP(v4) OP(v5) OP(v6) OP(v7) OP(v8) OP(v9) OP(v10) OP(v11)
#define FMA(v) v = _mm512_fmadd_ps(v, c, d);
#define ADD(v) v = _mm512_add_ps(v, d);
#define PERM(v) v = _mm512_permutexvar_ps(idx, v);
#define PERM2(v) v = _mm512_permutex2var_ps(v, idx, c);
#define SCALEF(v) v = _mm512_scalef_ps(v, d);
#define AND(v) v = _mm512_and_ps(v, c);
#define MIX(v) v = _mm512_fmadd_ps(_mm512_permutexvar_ps(idx, v), c, d);

BENCH(b_fma, 12, ALL12(FMA))
BENCH(b_add, 12, ALL12(ADD))
BENCH(b_perm, 12, ALL12(PERM))
BENCH(b_perm2, 12, ALL12(PERM2))
BENCH(b_scalef, 12, ALL12(SCALEF))
BENCH(b_and, 12, ALL12(AND))
BENCH(b_mix, 24, ALL12(MIX))

int main(void)
{
    double tpc = ticks_per_cycle();
    printf("TSC ticks per core cycle: %.3f\n", tpc);
    struct { const char *name; double (*f)(void); } t[] = {
        {"vfmadd231ps zmm", b_fma}, {"vaddps zmm", b_add}, {"vandps zmm", b_and},
        {"vpermps zmm", b_perm}, {"vpermt2ps zmm", b_perm2}, {"vscalefps zmm", b_scalef},
        {"vpermps + vfmadd (1:1)", b_mix},
    };
    for (unsigned i = 0; i < sizeof t / sizeof t[0]; i++) {
        double ticks = t[i].f();
        printf("%-24s %.2f instructions per cycle\n", t[i].name, tpc / ticks);
    }
    return 0;
}
