"""Implementations to compare gelu_fast with, and the timing used to compare.

One place for the comparison code shared by `python -m gelu_fast bench`,
benchmarks/compare.py (the targets table of BENCHMARKS.md), the asv suite and
the pytest-benchmark suite in benchmarks/:

* `implementations(name, dtype)` -> {label: fn}: every way this machine can
  compute ufunc `name` -- gelu_fast itself, the NumPy/SciPy reference formula
  (SciPy's erf for the exact family), and PyTorch and JAX when installed.
  Each fn takes the ufunc's inputs and an output array of the same shape and
  dtype and returns it; gelu_fast and PyTorch write into it (PyTorch through
  torch.from_numpy, no copy), the NumPy formulas and JAX return new arrays.
  The `*_grad` functions of PyTorch are its backward with grad_output = 1.
* `median_time(fn)`: median wall time of repeated calls; `compare(fns, ...)`
  times several functions interleaved, round after round, so that the ratios
  between them come from the same moments of a noisy machine.

PyTorch and JAX are optional: implementations() leaves them out when they
cannot be imported, and `missing()` says why.
"""
import math
import time

import numpy as np

import gelu_fast
from gelu_fast._reference import split_name as split

FUNCS = ("gelu", "gelu_grad", "gelu_backward", "gelu_tanh", "gelu_tanh_grad", "gelu_tanh_backward",
         "gelu_sigmoid", "gelu_sigmoid_grad", "gelu_sigmoid_backward",
         "gelu_grad2", "gelu_tanh_grad2", "gelu_sigmoid_grad2")
# bfloat16: ml_dtypes.bfloat16, when ml_dtypes is installed (gelu_fast then has its loops)
DTYPES = ("float16", "float32", "float64") + (("bfloat16",) if gelu_fast._bfloat16 is not None else ())
REFERENCE = "numpy"          # the label of the NumPy/SciPy reference formulas

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def nin(name):
    """Number of inputs of ufunc `name` (2 for the backward functions)."""
    return getattr(gelu_fast, name).nin


DISTRIBUTIONS = {"3N(0,1)": lambda rng, n: 3 * rng.standard_normal(n),
                 "N(0,1)": lambda rng, n: rng.standard_normal(n),
                 "U[-10,10]": lambda rng, n: rng.uniform(-10, 10, n)}


def inputs(name, dtype, n, seed=0, dist="3N(0,1)"):
    """The benchmark inputs: x ~ 3*N(0, 1) (and grad_output ~ N(0, 1)), as
    activations are, covering the tails and the centre; `dist` picks another
    distribution of x from DISTRIBUTIONS (the speed should not depend on it)."""
    rng = np.random.default_rng(seed)
    x = DISTRIBUTIONS[dist](rng, n).astype(dtype)
    if nin(name) == 2:
        return (rng.standard_normal(n).astype(dtype), x)
    return (x,)


# ---- NumPy / SciPy reference formulas ---------------------------------------

def _numpy_formula(name, dtype):
    family, kind = split(name)
    dt = np.dtype(dtype).type
    if family == "gelu":
        try:
            from scipy.special import erf
        except ImportError:
            return None

        def forward(x):
            return dt(0.5) * x * (1 + erf(x / dt(math.sqrt(2.0))))

        def grad(x):
            return (dt(0.5) * (1 + erf(x / dt(math.sqrt(2.0))))
                    + x * np.exp(-x * x / dt(2)) * dt(_INV_SQRT_2PI))

        def grad2(x):
            return np.exp(-x * x / dt(2)) * dt(_INV_SQRT_2PI) * (dt(2) - x * x)
    elif family == "gelu_tanh":
        def forward(x):
            return dt(0.5) * x * (1 + np.tanh(dt(_SQRT_2_OVER_PI) * (x + dt(0.044715) * (x * x * x))))

        def grad(x):
            t = np.tanh(dt(_SQRT_2_OVER_PI) * (x + dt(0.044715) * (x * x * x)))
            dz = dt(_SQRT_2_OVER_PI) * (1 + dt(3 * 0.044715) * x * x)
            return dt(0.5) * (1 + t) + dt(0.5) * x * (1 - t * t) * dz

        def grad2(x):
            t = np.tanh(dt(_SQRT_2_OVER_PI) * (x + dt(0.044715) * (x * x * x)))
            dz = dt(_SQRT_2_OVER_PI) * (1 + dt(3 * 0.044715) * x * x)
            d2z = dt(_SQRT_2_OVER_PI * 6 * 0.044715) * x
            # d2/dx2 0.5 x (1 + tanh(u)) = (1 - t*t) (u' + x u''/2 - x u'**2 t)
            return (1 - t * t) * (dz + dt(0.5) * x * d2z - x * dz * dz * t)
    else:
        def forward(x):
            return x / (1 + np.exp(dt(-1.702) * x))

        def grad(x):
            s = 1 / (1 + np.exp(dt(-1.702) * x))
            return s + dt(1.702) * x * s * (1 - s)

        def grad2(x):
            s = 1 / (1 + np.exp(dt(-1.702) * x))
            return s * (1 - s) * dt(1.702) * (2 + dt(1.702) * x * (1 - 2 * s))
    def quiet(fn):
        """fn without the overflow warnings of exp in the tails (inf there is
        intended), its result in `dtype`: scipy.special.erf has no float16
        loop and computes in float64; the result is cast back, as a user of
        the formula would."""
        def wrapped(*args):
            with np.errstate(over="ignore", under="ignore"):
                return np.asarray(fn(*args)).astype(dtype, copy=False)
        return wrapped
    if kind == "":
        return quiet(lambda x, out: forward(x))
    if kind == "grad":
        return quiet(lambda x, out: grad(x))
    if kind == "grad2":
        return quiet(lambda x, out: grad2(x))
    return quiet(lambda g, x, out: g * grad(x))


# ---- PyTorch ---------------------------------------------------------------

_missing = {}


def _torch():
    try:
        import torch
    except ImportError as exc:
        _missing["torch"] = f"PyTorch is not installed ({exc})"
        return None
    return torch


def _torch_impl(name, dtype):
    torch = _torch()
    if torch is None:
        return None
    family, kind = split(name)
    if kind == "grad2":         # no fused op; double backward is autograd's business
        _missing["torch"] = "PyTorch has no second-derivative GELU op"
        return None

    def t(a):
        """A tensor on a's memory (ml_dtypes.bfloat16 has torch.bfloat16's bits)."""
        if a.dtype.name == "bfloat16":
            return torch.from_numpy(a.view(np.uint16)).view(torch.bfloat16)
        return torch.from_numpy(a)
    if family == "gelu_sigmoid":        # no fused op: what users write
        def forward(x, out):
            xt = t(x)
            torch.mul(xt, torch.sigmoid(1.702 * xt), out=t(out))
            return out

        def backward(g, x, out):
            xt = t(x)
            s = torch.sigmoid(1.702 * xt)
            torch.mul(t(g), s + 1.702 * xt * s * (1 - s), out=t(out))
            return out
    else:
        approx = "none" if family == "gelu" else "tanh"

        def forward(x, out):
            torch._C._nn.gelu(t(x), approximate=approx, out=t(out))
            return out

        def backward(g, x, out):
            torch.ops.aten.gelu_backward.grad_input(t(g), t(x), approximate=approx,
                                                    grad_input=t(out))
            return out
    if kind == "":
        return forward
    if kind == "backward":
        return backward
    ones = {}

    def grad(x, out):
        g = ones.get(x.shape)
        if g is None or g.dtype != x.dtype:
            g = ones[x.shape] = np.ones_like(x)
        return backward(g, x, out)
    return grad


# ---- JAX -------------------------------------------------------------------

def _jax_impl(name, dtype):
    try:
        import jax
    except ImportError as exc:
        _missing["jax"] = f"JAX is not installed ({exc})"
        return None
    if np.dtype(dtype) == np.float64 and not jax.config.jax_enable_x64:
        jax.config.update("jax_enable_x64", True)
    family, kind = split(name)
    if family == "gelu_sigmoid":
        f = lambda x: x * jax.nn.sigmoid(1.702 * x)
    else:
        approximate = family == "gelu_tanh"
        f = lambda x: jax.nn.gelu(x, approximate=approximate)
    if kind == "":
        fn = jax.jit(f)
        return lambda x, out: fn(x).block_until_ready()
    if kind == "grad2":
        d2f = jax.jit(jax.vmap(jax.grad(jax.grad(f))))
        return lambda x, out: d2f(x).block_until_ready()
    df = jax.jit(jax.vmap(jax.grad(f)))
    if kind == "grad":
        return lambda x, out: df(x).block_until_ready()
    bw = jax.jit(lambda g, x: g * jax.vmap(jax.grad(f))(x))
    return lambda g, x, out: bw(g, x).block_until_ready()


def implementations(name, dtype, others=("numpy", "torch", "jax")):
    """{label: fn(*inputs, out) -> array} for ufunc `name` at `dtype`."""
    if name not in FUNCS:
        raise ValueError(f"unknown function {name!r}; choose from {', '.join(FUNCS)}")
    ufunc = getattr(gelu_fast, name)
    impls = {"gelu_fast": lambda *a: ufunc(*a[:-1], out=a[-1])}
    makers = {"numpy": _numpy_formula, "torch": _torch_impl, "jax": _jax_impl}
    for label in others:
        fn = makers[label](name, dtype)
        if fn is not None:
            impls[label] = fn
        elif label == "numpy":
            _missing["numpy"] = "SciPy is not installed (the exact GELU formula needs scipy.special.erf)"
    return impls


def thread_setter(label):
    """fn(n) setting the thread count of implementation `label`, or None for
    those that have none to set: the NumPy/SciPy formulas run on one thread,
    and JAX fixes its thread pool when it starts."""
    if label == "gelu_fast":
        return gelu_fast.set_num_threads
    if label == "torch":
        torch = _torch()
        return torch.set_num_threads if torch is not None else None
    return None


def versions():
    """{label: version} of the implementations importable here."""
    out = {"gelu_fast": gelu_fast.__version__, "numpy": np.__version__}
    for label, module in (("scipy", "scipy"), ("torch", "torch"), ("jax", "jax")):
        try:
            out[label] = __import__(module).__version__
        except ImportError:
            pass
    return out


def missing():
    """{label: reason} for the implementations implementations() left out."""
    return dict(_missing)


# ---- timing ----------------------------------------------------------------

def median_time(fn, min_time=0.2, min_reps=5, max_reps=1000):
    """Median seconds of fn() over at least min_reps calls and min_time seconds."""
    fn()
    times = []
    start = time.perf_counter()
    while len(times) < min_reps or (time.perf_counter() - start < min_time and len(times) < max_reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def compare(fns, min_time=0.3, rounds=7, before=None):
    """Median seconds of each fn in {label: fn()}, timed round-robin.

    Each round times every function for about min_time/rounds seconds; the
    result is the median over all calls, so slow phases of the machine hit
    every function alike.  before[label](), if given, runs (untimed) before
    each of that label's batches, e.g. to set a thread count.
    """
    before = before or {}
    for label, fn in fns.items():
        before.get(label, lambda: None)()
        fn()                      # warm up (JIT compilation, page faults)
    times = {label: [] for label in fns}
    budget = min_time / rounds
    for _ in range(rounds):
        for label, fn in fns.items():
            before.get(label, lambda: None)()
            start = time.perf_counter()
            while True:
                t0 = time.perf_counter()
                fn()
                t1 = time.perf_counter()
                times[label].append(t1 - t0)
                if t1 - start >= budget:
                    break
    return {label: float(np.median(v)) for label, v in times.items()}
