# cython: language_level=3
#
# gelu_fast/_kernel.pxi -- the body of every per-ISA kernel module.
#
# _kernel_baseline.pyx, _kernel_avx2.pyx and _kernel_avx512.pyx consist of
# `include "_kernel.pxi"` and nothing else; setup.py compiles each with the
# flags of its instruction-set level (GF_SIMD_LEVEL names it), so there is one
# source for every level.  gelu_fast._dispatch imports exactly one of them,
# and gelu_fast._ufuncs registers its loops as the package's ufuncs.

from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport copysign, fabs
from numpy cimport npy_intp

cdef extern from "_platform.h" nogil:
    int omp_get_max_threads()
    int omp_in_parallel()
    void gf_register_fork_handler()
    bint gf_in_forked_child()
    bint gf_invalid_raised()
    void gf_clear_invalid()
    const int GF_OPENMP
    const char* gf_compiler
    const char* gf_cflags
    const char* gf_simd_level

include "_math.pxi"
include "_loops.pxi"


gf_register_fork_handler()


def set_num_threads(int n):
    """Use n OpenMP threads for large contiguous inputs (n >= 1)."""
    global _user_threads
    if n < 1:
        raise ValueError(f"number of threads must be >= 1, got {n}")
    _user_threads = n


def reset_num_threads():
    """Follow OpenMP again (OMP_NUM_THREADS, threadpoolctl)."""
    global _user_threads
    _user_threads = 0


def _thread_setting():
    """set_num_threads()'s n, or 0 while OpenMP is followed (gelu_fast.torch
    saves and restores it around a call)."""
    return _user_threads


def get_num_threads():
    """Threads a large contiguous call would use now (1 in a forked child)."""
    return requested_threads()


def build_info():
    return {
        "simd_level": gf_simd_level.decode(),
        "compiler": gf_compiler.decode(),
        "cflags": gf_cflags.decode(),
        "openmp": bool(GF_OPENMP),
        "fma": bool(GF_HAVE_FMA),
        # the instruction set of the explicit-SIMD kernels (float32/float16), '' if none
        "simd_kernels": gf_simd_isa.decode(),
        # which ufuncs use them
        "simd_ufuncs": [name for name, on in (("gelu", GF_SIMD_EXACT), ("gelu_grad", GF_SIMD_GRAD),
                                              ("gelu_backward", GF_SIMD_GRAD))
                        + tuple((family + kind, GF_SIMD_LOGISTIC) for family in ("gelu_tanh", "gelu_sigmoid")
                                for kind in ("", "_grad", "_backward")) if on],
        "parallel_min": parallel_min(),
        # outputs of this many bytes or more: non-temporal stores (explicit-SIMD kernels)
        "stream_min_bytes": stream_min_bytes() if gf_simd_isa[0] else None,
        "forked_child": bool(gf_in_forked_child()),
    }
