/*
 * gelu_fast/_simd.h -- which explicit-SIMD kernels this kernel module has.
 *
 * The float32 loops (and the float16 ones, through them) have hand-written
 * vector kernels, one header per instruction set, each with the same
 * functions (contiguous arrays, any length and alignment, in place allowed;
 * the last argument asks for streaming stores, which the loops set for large
 * outputs -- the values are the same either way):
 *
 *     _simd_avx512.h   x86-64-v4: 16 lanes, tables in zmm registers
 *                      (vpermps, vpermt2ps), masked tails, vscalefps; the
 *                      exact family and the tanh and sigmoid families
 *     _simd_avx2.h     x86-64-v3: 8 lanes, the same algorithms with
 *                      8-entry permutes (gelu and the tanh and sigmoid
 *                      families); tails through a padded buffer
 *
 * The algorithms are described once, at the top of _simd_avx512.h; the
 * tables both read are generated into _simd_tables.h by
 * tools/fit_coefficients.py.  This header includes the one that matches the
 * flags the module is compiled with (setup.py compiles _kernel.pxi once per
 * level) and sets GF_SIMD_EXACT (gelu), GF_SIMD_GRAD (gelu_grad,
 * gelu_backward) and GF_SIMD_LOGISTIC (the six functions of the tanh and
 * sigmoid families); the loops (_loops.pxi.tp) call these
 * functions for every layout -- contiguous, strided through a buffer, the
 * remainder of a vector -- so a result never depends on where an element
 * sits.  The baseline level and every float64 loop keep the portable
 * kernels of _math.pxi; here they get stand-ins that are never called.
 */
#ifndef GELU_FAST_SIMD_H
#define GELU_FAST_SIMD_H

#include <stddef.h>
#include <stdint.h>

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512DQ__) && defined(__AVX512VL__) \
    && defined(__F16C__) && (defined(__FMA__) || defined(_MSC_VER))
#include "_simd_avx512.h"
#define GF_SIMD_EXACT 1
#define GF_SIMD_GRAD 1
#define GF_SIMD_LOGISTIC 1
#define GF_SIMD_ISA "avx512"
#elif defined(__AVX2__) && defined(__F16C__) && (defined(__FMA__) || defined(_MSC_VER))
#include "_simd_avx2.h"
#define GF_SIMD_EXACT 1
#define GF_SIMD_GRAD 1
#define GF_SIMD_LOGISTIC 1
#define GF_SIMD_ISA "avx2"
#else
#define GF_SIMD_EXACT 0
#define GF_SIMD_GRAD 0
#define GF_SIMD_LOGISTIC 0
#define GF_SIMD_ISA ""
#endif

/* Stand-ins where a level has no kernel, never called: the loops test the
 * flag first. */
#define GF_SIMD_STUB1(name, T) \
    static inline void name(const T *x, T *y, ptrdiff_t n, int stream) { (void)x; (void)y; (void)n; (void)stream; }
#define GF_SIMD_STUB2(name, T) \
    static inline void name(const T *g, const T *x, T *y, ptrdiff_t n, int stream) { (void)g; (void)x; (void)y; (void)n; (void)stream; }
#define GF_SIMD_STUBS(F, SFX, T) \
    GF_SIMD_STUB1(gf_simd_##F##_##SFX, T) GF_SIMD_STUB1(gf_simd_##F##_grad_##SFX, T) \
    GF_SIMD_STUB2(gf_simd_##F##_backward_##SFX, T)
#if !GF_SIMD_EXACT
GF_SIMD_STUBS(gelu, f32, float)
GF_SIMD_STUBS(gelu, f16, uint16_t)
GF_SIMD_STUBS(gelu, bf16, uint16_t)
#endif
#if !GF_SIMD_LOGISTIC
GF_SIMD_STUBS(gelu_tanh, f32, float)
GF_SIMD_STUBS(gelu_tanh, f16, uint16_t)
GF_SIMD_STUBS(gelu_sigmoid, f32, float)
GF_SIMD_STUBS(gelu_sigmoid, f16, uint16_t)
GF_SIMD_STUBS(gelu_tanh, bf16, uint16_t)
GF_SIMD_STUBS(gelu_sigmoid, bf16, uint16_t)
#endif

static const char gf_simd_isa[] = GF_SIMD_ISA;

#endif
