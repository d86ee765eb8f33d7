"""pytest-benchmark suite: gelu_fast against the other implementations of each ufunc.

    pytest benchmarks --benchmark-only
    pytest benchmarks --benchmark-only -k "gelu_tanh and float32"
    pytest benchmarks --benchmark-only --benchmark-autosave       # save to .benchmarks/
    pytest benchmarks --benchmark-only --benchmark-compare        # against the last saved run
    pytest benchmarks --benchmark-only --benchmark-json out.json

One benchmark per ufunc x dtype x size x implementation, and (with PyTorch)
gelu_fast.torch.gelu against torch.nn.functional.gelu per dtype x size x
pass (test_torch_dropin).  The implementations
are those of gelu_fast._bench.implementations(): "gelu_fast", "numpy" (the
NumPy/SciPy reference formula), "torch" and "jax" when they can be imported;
a missing one is skipped with the reason from gelu_fast._bench.missing().
Each benchmark's group is "<func> <dtype> n=<size>", so pytest-benchmark's
table puts gelu_fast and the others side by side; extra_info (in the JSON and
saved runs) has the number of elements and the throughput in Gelem/s.

Environment variables:

    GELU_FAST_BENCH_THREADS   threads for gelu_fast and PyTorch: an integer
                              (default 1, a single-thread comparison) or
                              "all" (their own defaults: every core)
    GELU_FAST_BENCH_FUNCS     comma-separated ufunc names (default: all twelve),
                              a shorter run than filtering with -k

This module imports pytest only inside functions and parametrizes through
pytest_generate_tests, not decorators: asv imports every module of
benchmarks/ when it discovers its suite (bench_ufuncs.py), and its
environments have no pytest.
"""
import functools
import os

import numpy as np

import gelu_fast

SIZES = (1_000, 100_000, 1_000_000)
IMPLEMENTATIONS = ("gelu_fast", "numpy", "torch", "jax")   # the labels of gelu_fast._bench


def _threads():
    """GELU_FAST_BENCH_THREADS: None for "all", else a positive integer."""
    value = os.environ.get("GELU_FAST_BENCH_THREADS", "1").strip().lower()
    if value == "all":
        return None
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"GELU_FAST_BENCH_THREADS must be a positive integer or 'all', got {value!r}")
    return int(value)


def _funcs(all_funcs):
    """GELU_FAST_BENCH_FUNCS, checked against all_funcs (default: all of them)."""
    value = os.environ.get("GELU_FAST_BENCH_FUNCS", "")
    funcs = tuple(f.strip() for f in value.split(",") if f.strip()) or all_funcs
    unknown = [f for f in funcs if f not in all_funcs]
    if unknown:
        raise ValueError(f"GELU_FAST_BENCH_FUNCS: unknown {', '.join(unknown)}; "
                         f"choose from {', '.join(all_funcs)}")
    return funcs


# gelu_fast.torch (the PyTorch drop-in) against torch.nn.functional.gelu:
# forward, and forward + backward, per dtype and size
TORCH_MODULES = ("gelu_fast.torch", "torch")
TORCH_PASSES = ("forward", "forward+backward")
TORCH_DTYPES = ("float32", "float64", "float16", "bfloat16")


def pytest_generate_tests(metafunc):
    if "module" in metafunc.fixturenames:
        metafunc.parametrize("module", TORCH_MODULES)
        metafunc.parametrize("passes", TORCH_PASSES)
        metafunc.parametrize("tdtype", TORCH_DTYPES)
        metafunc.parametrize("size", SIZES)
    if "implementation" in metafunc.fixturenames:
        from gelu_fast import _bench
        metafunc.parametrize("func", _funcs(_bench.FUNCS))
        metafunc.parametrize("dtype", _bench.DTYPES)
        metafunc.parametrize("size", SIZES)
        metafunc.parametrize("implementation", IMPLEMENTATIONS)


_torch_threads = None


def setup_module(module):
    """Same thread count for gelu_fast and PyTorch (NumPy and SciPy are serial)."""
    global _torch_threads
    threads = _threads()
    if threads is None:
        gelu_fast.reset_num_threads()
    else:
        gelu_fast.set_num_threads(threads)
    try:
        import torch
    except ImportError:
        return
    _torch_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)


def teardown_module(module):
    gelu_fast.reset_num_threads()
    if _torch_threads is not None:
        import torch
        torch.set_num_threads(_torch_threads)


@functools.lru_cache(maxsize=None)
def _implementations(func, dtype):
    from gelu_fast import _bench
    return _bench.implementations(func, dtype)


def test_compare(benchmark, func, dtype, size, implementation):
    from gelu_fast import _bench
    fn = _implementations(func, dtype).get(implementation)
    if fn is None:
        import pytest
        pytest.skip(_bench.missing().get(implementation, f"{implementation} is not available"))
    args = _bench.inputs(func, dtype, size)
    out = np.empty(size, dtype)
    fn(*args, out)                   # warm up: JIT compilation, page faults
    benchmark.group = f"{func} {dtype} n={size}"     # before the call, which records it
    benchmark.extra_info["elements"] = size
    benchmark(fn, *args, out)
    if benchmark.stats:              # None under --benchmark-disable
        benchmark.extra_info["Gelem/s"] = size / benchmark.stats.stats.median / 1e9


def test_torch_dropin(benchmark, module, passes, tdtype, size):
    """gelu_fast.torch.gelu or torch.nn.functional.gelu on a CPU tensor
    (x ~ 3 N(0, 1)); forward+backward: y = gelu(x), y.backward(ones)."""
    import pytest
    torch = pytest.importorskip("torch")
    import gelu_fast.torch as gt
    dtype = getattr(torch, tdtype)
    fn = gt.gelu if module == "gelu_fast.torch" else torch.nn.functional.gelu
    x = (torch.randn(size, generator=torch.Generator().manual_seed(0)) * 3).to(dtype)
    if passes == "forward":
        def run():
            return fn(x)
    else:
        x.requires_grad_()
        ones = torch.ones_like(x)

        def run():
            x.grad = None
            fn(x).backward(ones)
    run()
    benchmark.group = f"torch gelu {passes} {tdtype} n={size}"
    benchmark.extra_info["elements"] = size
    benchmark(run)
    if benchmark.stats:
        benchmark.extra_info["Gelem/s"] = size / benchmark.stats.stats.median / 1e9
