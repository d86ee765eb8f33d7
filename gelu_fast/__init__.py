"""gelu_fast: the exact GELU and its gradient as fast, accurate NumPy ufuncs.

    gelu(x)                    x * Phi(x)
    gelu_grad(x)               Phi(x) + x * phi(x)
    gelu_backward(g, x)        g * gelu_grad(x), fused
    gelu_tanh(x)               0.5*x*(1 + tanh(sqrt(2/pi)*(x + 0.044715*x**3)))
    gelu_sigmoid(x)            x * sigmoid(1.702*x)
    (and their _grad and _backward, as for gelu)
    gelu_grad2(x)              phi(x) * (2 - x*x), the second derivative
    (and gelu_tanh_grad2, gelu_sigmoid_grad2)

Each is a real numpy.ufunc with float16, float32 and float64 loops, and
bfloat16 loops when ml_dtypes is installed (pip install ml_dtypes).  Large
contiguous inputs run on OpenMP threads: see set_num_threads().  The kernel
module is chosen for this CPU at import (gelu_fast._dispatch); show_config()
says which.
"""
import os
import warnings

from ._version import __version__
from . import _dispatch
from ._ufuncs import create_ufuncs as _create_ufuncs, register_bfloat16 as _register_bfloat16

_kernel = _dispatch.kernel
_ufuncs = _create_ufuncs(_kernel)
# bfloat16 loops when ml_dtypes is installed: _bfloat16 is their dtype, else None
try:
    import ml_dtypes as _ml_dtypes
except ImportError:
    _bfloat16 = None
else:
    import numpy as _np
    _bfloat16 = _np.dtype(_ml_dtypes.bfloat16)
    _register_bfloat16(_ufuncs, _kernel, _bfloat16)

gelu = _ufuncs["gelu"]
gelu_grad = _ufuncs["gelu_grad"]
gelu_backward = _ufuncs["gelu_backward"]
gelu_tanh = _ufuncs["gelu_tanh"]
gelu_tanh_grad = _ufuncs["gelu_tanh_grad"]
gelu_tanh_backward = _ufuncs["gelu_tanh_backward"]
gelu_sigmoid = _ufuncs["gelu_sigmoid"]
gelu_sigmoid_grad = _ufuncs["gelu_sigmoid_grad"]
gelu_sigmoid_backward = _ufuncs["gelu_sigmoid_backward"]
gelu_grad2 = _ufuncs["gelu_grad2"]
gelu_tanh_grad2 = _ufuncs["gelu_tanh_grad2"]
gelu_sigmoid_grad2 = _ufuncs["gelu_sigmoid_grad2"]

for _u in _ufuncs.values():
    # Lets pickle (and NumPy's ufunc reducer) find the ufuncs here.
    try:
        _u.__module__ = __name__
    except (AttributeError, TypeError):
        pass


def _available_cpus():
    """The number of CPUs this process may run on: its CPU affinity where the
    OS has one (Linux; containers, taskset), else all of the machine's."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def set_num_threads(n):
    """Use `n` OpenMP threads (n >= 1) for large contiguous inputs.

    Until this is called, gelu_fast follows OpenMP: OMP_NUM_THREADS and
    threadpoolctl's limits.  reset_num_threads() returns to that.  More
    threads than the CPUs available to the process are allowed, with a
    RuntimeWarning: they share the CPUs, which is rarely faster.
    """
    if isinstance(n, bool) or not hasattr(n, "__index__"):
        raise TypeError(f"number of threads must be an integer, got {type(n).__name__}")
    n = n.__index__()
    cpus = _available_cpus()
    if n > cpus:
        warnings.warn(f"set_num_threads({n}): more threads than the {cpus} CPUs available to this "
                      "process; they will share them (oversubscribed), which is usually slower",
                      RuntimeWarning, stacklevel=2)
    _kernel.set_num_threads(n)


def reset_num_threads():
    """Undo set_num_threads(): follow OMP_NUM_THREADS / threadpoolctl again."""
    _kernel.reset_num_threads()


def get_num_threads():
    """Number of threads a large contiguous call would use now."""
    return _kernel.get_num_threads()


def show_config(file=None):
    """Print the version, build and runtime configuration.

    Returns the same information as a dict.
    """
    info = {"version": __version__, **_kernel.build_info()}
    info["threads"] = get_num_threads()
    info["simd_levels_built"] = list(_dispatch.BUILT)
    info["simd_levels_supported"] = list(_dispatch.SUPPORTED)
    info["bfloat16"] = _bfloat16 is not None
    lines = [
        f"gelu_fast {info['version']}",
        f"  SIMD level in use : {info['simd_level']}  (set {_dispatch.ENV_VAR} to override)",
        f"  levels built      : {', '.join(info['simd_levels_built'])}",
        f"  CPU supports      : {', '.join(info['simd_levels_supported'])}",
        f"  compiler          : {info['compiler']}",
        f"  flags             : {info['cflags']}",
        f"  hardware FMA      : {'yes' if info['fma'] else 'no'}",
        "  explicit SIMD     : " + (f"{info['simd_kernels']} ({', '.join(info['simd_ufuncs'])} in float32, "
                                    "float16 and bfloat16)" if info["simd_kernels"] else "none at this level"),
        "  bfloat16 loops    : " + ("yes (ml_dtypes.bfloat16)" if info["bfloat16"]
                                    else "unavailable (pip install ml_dtypes)"),
        f"  OpenMP            : {'on' if info['openmp'] else 'off (serial build)'}",
        f"  threads           : {info['threads']}"
        + ("  (forked child process: serial, see README Threads)" if info["forked_child"] else ""),
        "  parallel from     : " + ", ".join(f"{n} ({dt})" for dt, n in info["parallel_min"].items())
        + " elements",
        "  streaming stores  : " + (f"outputs from {info['stream_min_bytes'] / 2**20:g} MiB"
                                    if info["stream_min_bytes"] is not None else "none at this level"),
    ]
    print("\n".join(lines), file=file)
    return info


__all__ = ["gelu", "gelu_grad", "gelu_backward", "gelu_tanh", "gelu_tanh_grad", "gelu_tanh_backward",
           "gelu_sigmoid", "gelu_sigmoid_grad", "gelu_sigmoid_backward", "gelu_grad2", "gelu_tanh_grad2",
           "gelu_sigmoid_grad2", "set_num_threads", "reset_num_threads",
           "get_num_threads", "show_config", "__version__"]
