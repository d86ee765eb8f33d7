"""Pick the kernel module for this CPU at import.

gelu_fast builds the same kernel source (_kernel.pxi) once per instruction-set
level, as separate extension modules:

    baseline   _kernel_baseline   x86-64 baseline (SSE2), or the native baseline
                                  elsewhere (NEON on aarch64)
    avx2       _kernel_avx2       x86-64-v3: AVX2, FMA, F16C, BMI1/2
    avx512     _kernel_avx512     x86-64-v4: AVX-512 F/BW/CD/DQ/VL, 512-bit vectors

The best level that was built AND that this CPU and OS support (CPUID and
XGETBV: AVX-512 also needs the OS to save the zmm registers) is imported.  A
module of a higher level is never imported on a CPU without it: its code
would fault.

The environment variable GELU_FAST_SIMD=baseline|avx2|avx512 forces a level;
a level that is unknown, not built, or not supported here is an ImportError
that names the usable ones.
"""
import importlib
import importlib.util
import os

from . import _cpu

LEVELS = _cpu.LEVELS
ENV_VAR = "GELU_FAST_SIMD"


def built_levels():
    """Levels whose kernel module is installed, lowest first."""
    found = []
    for level in LEVELS:
        try:
            spec = importlib.util.find_spec(f"{__package__}._kernel_{level}")
        except ImportError:
            spec = None
        if spec is not None:
            found.append(level)
    return tuple(found)


def choose_level(requested, built, supported):
    """The level to load: `requested` (a GELU_FAST_SIMD value or None/'')
    if it is valid here, otherwise the best of built & supported."""
    usable = [lvl for lvl in LEVELS if lvl in built and lvl in supported]
    if not usable:
        raise ImportError("gelu_fast: no kernel module is usable on this machine "
                          f"(built: {', '.join(built) or 'none'}; "
                          f"CPU supports: {', '.join(supported)})")
    if not requested:
        return usable[-1]
    level = requested.strip().lower()
    if level not in LEVELS:
        raise ImportError(f"gelu_fast: {ENV_VAR}={requested!r} is not a SIMD level; "
                          f"use one of: {', '.join(usable)}")
    if level not in usable:
        why = "was not built" if level not in built else "is not supported by this CPU/OS"
        raise ImportError(f"gelu_fast: {ENV_VAR}={requested!r}: that level {why}; "
                          f"use one of: {', '.join(usable)}")
    return level


BUILT = built_levels()
SUPPORTED = _cpu.supported_levels()
LEVEL = choose_level(os.environ.get(ENV_VAR), BUILT, SUPPORTED)
kernel = importlib.import_module(f"{__package__}._kernel_{LEVEL}")
