# cython: language_level=3
"""CPU feature detection for gelu_fast._dispatch (compiled for the baseline)."""

cdef extern from "_platform.h" nogil:
    int gf_cpu_levels()

LEVELS = ("baseline", "avx2", "avx512")


def supported_levels():
    """The SIMD levels this CPU and OS can run, lowest first."""
    cdef int bits = gf_cpu_levels()
    return tuple(name for i, name in enumerate(LEVELS) if bits & (1 << i))
