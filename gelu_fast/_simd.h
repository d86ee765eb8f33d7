/*
 * gelu_fast/_simd.h -- which explicit-SIMD kernels this kernel module has.
 *
 * The exact GELU family in float32 (and float16 through it) has hand-written
 * vector kernels, one header per instruction set, each with the same
 * functions (contiguous arrays, any length and alignment, in place allowed):
 *
 *     _simd_avx512.h   x86-64-v4: 16 lanes, tables in zmm registers
 *                      (vpermps), masked tails, vscalefps
 *     _simd_avx2.h     x86-64-v3: 8 lanes, the same algorithm with
 *                      8-entry permutes; tails through a padded buffer
 *
 * The algorithm is described once, at the top of _simd_avx512.h; the tables
 * of coefficients both read are generated into _simd_tables.h by
 * tools/fit_coefficients.py.  This header includes the one that matches the
 * flags the module is compiled with (setup.py compiles _kernel.pxi once per
 * level) and sets GF_SIMD_EXACT (gelu) and GF_SIMD_GRAD (gelu_grad,
 * gelu_backward); the loops (_loops.pxi.tp) call these
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
#define GF_SIMD_ISA "avx512"
#elif defined(__AVX2__) && defined(__F16C__) && (defined(__FMA__) || defined(_MSC_VER))
#include "_simd_avx2.h"
#define GF_SIMD_EXACT 1
#define GF_SIMD_GRAD 1
#define GF_SIMD_ISA "avx2"
#else
#define GF_SIMD_EXACT 0
#define GF_SIMD_GRAD 0
#define GF_SIMD_ISA ""
/* never called: the loops test GF_SIMD_EXACT first */
static inline void gf_simd_gelu_f32(const float *x, float *y, ptrdiff_t n) { (void)x; (void)y; (void)n; }
static inline void gf_simd_gelu_grad_f32(const float *x, float *y, ptrdiff_t n) { (void)x; (void)y; (void)n; }
static inline void gf_simd_gelu_backward_f32(const float *g, const float *x, float *y, ptrdiff_t n)
{ (void)g; (void)x; (void)y; (void)n; }
static inline void gf_simd_gelu_f16(const uint16_t *x, uint16_t *y, ptrdiff_t n) { (void)x; (void)y; (void)n; }
static inline void gf_simd_gelu_grad_f16(const uint16_t *x, uint16_t *y, ptrdiff_t n) { (void)x; (void)y; (void)n; }
static inline void gf_simd_gelu_backward_f16(const uint16_t *g, const uint16_t *x, uint16_t *y, ptrdiff_t n)
{ (void)g; (void)x; (void)y; (void)n; }
#endif

static const char gf_simd_isa[] = GF_SIMD_ISA;

#endif
