"""asv (airspeed velocity) benchmarks of the gelu_fast ufuncs.

Run from the repository root, where asv.conf.json is:

    asv run --quick --python=same --show-stderr   # this checkout, as installed/built in place
    asv run main~10..main                          # history: each commit built in .asv/env
    asv publish && asv preview                     # the HTML graphs in .asv/html

The suite
---------
UFunc.time_ufunc
    gelu_fast.<func>(*inputs, out=out) for every ufunc x dtype x size x
    layout x threads.  "contiguous" inputs and output, or "strided": the
    same values as every second element of arrays of twice the size (the
    non-contiguous loop, which never runs in parallel).  threads=1 is
    set_num_threads(1); "all" is reset_num_threads(), i.e. OpenMP's default
    (OMP_NUM_THREADS, or every core).
Reference.time_reference
    The NumPy/SciPy reference formula of gelu_fast._bench next to gelu_fast,
    both on one thread; the implementation is a parameter, so asv draws the
    two in the same graph and the speed-up is their ratio.
PeakMemory.peakmem_call
    Peak resident memory of a process that computes one call at 1e6/1e7
    elements: gelu_fast into a preallocated out= ("gelu_fast_out"), gelu_fast
    returning a new array ("gelu_fast"), and the reference formula ("numpy").
    The figure includes the interpreter, the imports (the same modules in
    all three) and the inputs; gelu_fast adds only its output, the formula
    adds its temporaries.
SimdLevel.timeraw_simd_level
    gelu and gelu_grad (1e6 elements, one thread) under each SIMD level that
    was built and that this CPU runs.  The level is chosen at import from the
    environment variable named by gelu_fast._dispatch.ENV_VAR, so each sample
    runs in a fresh interpreter (an asv timeraw_ benchmark).
Accuracy.track_max_ulp, Accuracy.track_max_ulp_term_relative
    Maximum error in ULP of every ufunc and dtype on a fixed sample of 2,000
    points (uniform over +-40 for float64, +-20 otherwise, and log-spaced
    magnitudes of both signs from the smallest subnormal to the largest
    finite value), against the mpmath reference of gelu_fast._reference.
    The derivatives cancel near their zero (x ~ -0.75), where the plain ULP
    error is large by nature; the term-relative figure is the README's
    "excess over the bound": the error minus the allowance
    eps*(|a| + |b|) / ulp for f' = a + b (times |grad_output| for
    *_backward; gelu_fast._reference.allowance, as in the tests).  The
    allowance is about one ULP wherever the terms do not cancel, so this
    figure can be zero or slightly negative; for f itself it equals the plain
    maximum; NaN for commits whose _reference lacks allowance().

Design
------
* The parameter grids are literal tuples defined here, never read from the
  package: asv discovers them once and runs the same grid on every commit.
* Anything a commit lacks (a ufunc, gelu_fast._bench, set_num_threads, a
  SIMD level, mpmath) raises NotImplementedError in setup, which asv records
  as skipped, so `asv run` over old commits skips cleanly.
* Inputs come from gelu_fast._bench.inputs (x ~ 3*N(0, 1) and
  grad_output ~ N(0, 1)); for commits that predate _bench, _inputs() draws the
  same recipe itself so that the timing history reaches back to them.
* The reference formulas are never restated here: they come from
  gelu_fast._bench.implementations(..., others=("numpy",)).
* The mpmath values (slow: ~10,000 points/s) are computed once per
  run in Accuracy.setup_cache and passed to the benchmarks as exact
  (mantissa, exponent) pairs: mpmath numbers of gelu_fast._reference's
  private context do not pickle, and decimal strings of the tail values
  (exponents beyond 10**600) take seconds to parse.
"""
import os

import numpy as np

import gelu_fast

try:
    from gelu_fast import _bench
except ImportError:            # commits before gelu_fast._bench
    _bench = None

FAMILIES = ("gelu", "gelu_tanh", "gelu_sigmoid")
KINDS = ("", "grad", "backward", "grad2")
# The twelve ufuncs and their (family, kind).
PARTS = {family + (kind and "_" + kind): (family, kind) for family in FAMILIES for kind in KINDS}
FUNCS = tuple(PARTS)
# bfloat16: ml_dtypes.bfloat16, skipped where ml_dtypes (or gelu_fast's bfloat16 loops) is missing
DTYPES = ("float16", "float32", "float64", "bfloat16")
SIZES = (1_000, 100_000, 1_000_000, 10_000_000)
LAYOUTS = ("contiguous", "strided")
THREADS = (1, "all")
SIMD_LEVELS = ("baseline", "avx2", "avx512")
REFERENCE = "numpy"            # the label of the formulas in _bench (_bench.REFERENCE)


# ---- helpers ---------------------------------------------------------------

def _ufunc(name):
    """gelu_fast.<name>, or skip the benchmark on a commit without it."""
    ufunc = getattr(gelu_fast, name, None)
    if ufunc is None:
        raise NotImplementedError(f"gelu_fast.{name} does not exist in this version")
    return ufunc


def _has_dtype(dtype):
    """Whether gelu_fast has loops for `dtype` here (bfloat16 needs ml_dtypes)."""
    return dtype != "bfloat16" or getattr(gelu_fast, "_bfloat16", None) is not None


def _check_dtype(dtype):
    if not _has_dtype(dtype):
        raise NotImplementedError("bfloat16 needs ml_dtypes and a gelu_fast with bfloat16 loops")


def _bench_module():
    if _bench is None:
        raise NotImplementedError("gelu_fast._bench does not exist in this version")
    return _bench


def _inputs(name, dtype, n):
    """The ufunc's inputs: (x,) or (grad_output, x), n elements each."""
    if _bench is not None:
        return _bench.inputs(name, dtype, n)
    # Before gelu_fast._bench: the same recipe, drawn in the same order.
    rng = np.random.default_rng(0)
    x = (3 * rng.standard_normal(n)).astype(dtype)
    return (rng.standard_normal(n).astype(dtype), x) if _ufunc(name).nin == 2 else (x,)


def _every_second(a):
    """A view of every second element of a new array of twice a's size,
    holding a's values."""
    buf = np.zeros(2 * a.size, a.dtype)
    buf[::2] = a
    return buf[::2]


def _set_threads(threads):
    """threads=1: gelu_fast.set_num_threads(1); "all": OpenMP's default."""
    if not hasattr(gelu_fast, "set_num_threads"):
        raise NotImplementedError("gelu_fast.set_num_threads does not exist in this version")
    if threads == "all":
        gelu_fast.reset_num_threads()
    else:
        gelu_fast.set_num_threads(threads)


def _reset_threads(*params):
    if hasattr(gelu_fast, "reset_num_threads"):
        gelu_fast.reset_num_threads()


# ---- speed -----------------------------------------------------------------

class UFunc:
    """gelu_fast.<func>(*inputs, out=out), out preallocated."""
    params = [FUNCS, DTYPES, SIZES, LAYOUTS, THREADS]
    param_names = ["func", "dtype", "size", "layout", "threads"]
    timeout = 120

    def setup(self, func, dtype, size, layout, threads):
        self.ufunc = _ufunc(func)
        _check_dtype(dtype)
        _set_threads(threads)
        self.args = _inputs(func, dtype, size)
        self.out = np.empty(size, dtype)
        if layout == "strided":            # the same values, every second element
            self.args = tuple(_every_second(a) for a in self.args)
            self.out = _every_second(self.out)
        # Warm up: fault in the output's pages and start the OpenMP threads
        # (the first parallel calls of a new process take milliseconds, and
        # asv --quick times a single call).
        for _ in range(3):
            self.ufunc(*self.args, out=self.out)

    teardown = _reset_threads

    def time_ufunc(self, func, dtype, size, layout, threads):
        self.ufunc(*self.args, out=self.out)


class Reference:
    """gelu_fast against the NumPy/SciPy reference formula, one thread each."""
    params = [FUNCS, DTYPES, SIZES[:3], ("gelu_fast", REFERENCE)]
    param_names = ["func", "dtype", "size", "implementation"]
    timeout = 120

    def setup(self, func, dtype, size, implementation):
        _ufunc(func)
        _check_dtype(dtype)
        bench = _bench_module()
        _set_threads(1)
        impls = bench.implementations(func, dtype, others=(REFERENCE,))
        if implementation not in impls:
            raise NotImplementedError(bench.missing().get(implementation, implementation))
        self.fn = impls[implementation]
        self.args = _inputs(func, dtype, size)
        self.out = np.empty(size, dtype)
        self.fn(*self.args, self.out)

    teardown = _reset_threads

    def time_reference(self, func, dtype, size, implementation):
        self.fn(*self.args, self.out)


class SimdLevel:
    """gelu_fast under each SIMD level, each sample in a fresh interpreter."""
    params = [("gelu", "gelu_grad"), ("float32", "float64"), SIMD_LEVELS]
    param_names = ["func", "dtype", "level"]
    size = 1_000_000
    number = 20            # calls per sample (one interpreter per sample)
    timeout = 120

    def setup(self, func, dtype, level):
        _ufunc(func)
        dispatch = getattr(gelu_fast, "_dispatch", None)
        if dispatch is None or not hasattr(dispatch, "ENV_VAR") or not hasattr(gelu_fast, "show_config"):
            raise NotImplementedError("this version has no runtime SIMD dispatch")
        with open(os.devnull, "w") as devnull:
            info = gelu_fast.show_config(file=devnull)
        built = info.get("simd_levels_built", ())
        supported = info.get("simd_levels_supported", ())
        if level not in built or level not in supported:
            raise NotImplementedError(f"SIMD level {level} is not built or not supported by this CPU "
                                      f"(built: {', '.join(built)}; supported: {', '.join(supported)})")
        self.env_var = dispatch.ENV_VAR
        # The child imports the same gelu_fast as this process (with an
        # in-place build, the source tree is not on the child's sys.path).
        self.path = os.path.dirname(os.path.dirname(os.path.abspath(gelu_fast.__file__)))

    def timeraw_simd_level(self, func, dtype, level):
        setup = f"""
import os, sys
os.environ[{self.env_var!r}] = {level!r}
sys.path.insert(0, {self.path!r})
import numpy as np
import gelu_fast
with open(os.devnull, "w") as devnull:
    assert gelu_fast.show_config(file=devnull)["simd_level"] == {level!r}
gelu_fast.set_num_threads(1)
x = (3 * np.random.default_rng(0).standard_normal({self.size})).astype({dtype!r})
out = np.empty_like(x)
ufunc = gelu_fast.{func}
ufunc(x, out=out)
"""
        return "ufunc(x, out=out)", setup


# ---- memory ----------------------------------------------------------------

class PeakMemory:
    """Peak RSS of one call: gelu_fast with and without out=, and the formula."""
    params = [FUNCS, ("float32", "float64"), (1_000_000, 10_000_000),
              ("gelu_fast_out", "gelu_fast", REFERENCE)]
    param_names = ["func", "dtype", "size", "implementation"]
    timeout = 120

    def setup(self, func, dtype, size, implementation):
        ufunc = _ufunc(func)
        bench = _bench_module()
        # Built for every variant, so that all three import the same modules
        # (SciPy for the exact family) and differ only in the call.
        impls = bench.implementations(func, dtype, others=(REFERENCE,))
        self.args = self._inputs(func, dtype, size)
        if implementation == "gelu_fast_out":
            out = np.empty(size, dtype)
            self.call = lambda: ufunc(*self.args, out=out)
        elif implementation == "gelu_fast":
            self.call = lambda: ufunc(*self.args)
        else:
            if REFERENCE not in impls:
                raise NotImplementedError(bench.missing().get(REFERENCE, REFERENCE))
            fn = impls[REFERENCE]
            self.call = lambda: fn(*self.args, None)   # the formulas ignore out

    @staticmethod
    def _inputs(func, dtype, size, chunk=1 << 16):
        """_inputs() made chunk by chunk: _bench.inputs draws float64 and
        casts, and a float64 temporary of the full size would make setup's
        own peak the largest for float32.  (Every chunk has the same values;
        memory does not depend on them.)"""
        arrays = None
        for start in range(0, size, chunk):
            part = _inputs(func, dtype, min(chunk, size - start))
            if arrays is None:
                arrays = tuple(np.empty(size, dtype) for _ in part)
            for a, p in zip(arrays, part):
                a[start:start + p.size] = p
        return arrays

    def peakmem_call(self, func, dtype, size, implementation):
        self.call()


# ---- accuracy --------------------------------------------------------------

ACCURACY_POINTS = 2_000


def _accuracy_sample(dtype):
    """x: uniform over +-span and log-spaced magnitudes over the whole format;
    g: grad_output ~ N(0, 1) for the *_backward functions."""
    if dtype == "bfloat16":
        import ml_dtypes
        info = ml_dtypes.finfo(ml_dtypes.bfloat16)
    else:
        info = np.finfo(dtype)
    span = 40.0 if dtype == "float64" else 20.0
    lo, hi = np.log10(float(info.smallest_subnormal)), np.log10(float(info.max))
    mags = 10.0 ** np.linspace(lo, hi - 1e-9, ACCURACY_POINTS // 10)
    uniform = np.linspace(-span, span, ACCURACY_POINTS - 2 * mags.size)
    x = np.concatenate([uniform, -mags, mags]).astype(dtype)
    g = np.random.default_rng(1).standard_normal(x.size).astype(dtype)
    return x, g


def _to_pickle(values):
    """mpmath numbers -> exact (signed mantissa, exponent) pairs, v = m * 2**e
    (a float where v is infinite or NaN)."""
    out = []
    for v in values:
        if v.man or v == 0:
            out.append((-int(v.man) if v < 0 else int(v.man), int(v.exp)))
        else:
            out.append(float(v))
    return out


def _from_pickle(values):
    """The inverse of _to_pickle: an object array of mpmath numbers."""
    import mpmath
    with mpmath.workdps(60):            # exact: the mantissas have ~170 bits
        return np.array([mpmath.mpf(v) for v in values], dtype=object)


class Accuracy:
    """Maximum ULP error of each ufunc and dtype against mpmath."""
    params = [FUNCS, DTYPES]
    param_names = ["func", "dtype"]
    unit = "ULP"
    timeout = 120

    def setup_cache(self):
        """{"func dtype": (x, g, exact values, allowance)}, or None without
        mpmath.  ~70,000 mpmath evaluations: about 5 s."""
        try:
            import mpmath  # noqa: F401
            from gelu_fast import _reference as ref
        except ImportError:
            return None
        cache = {}
        for dtype in DTYPES:
            if not _has_dtype(dtype):
                continue
            x, g = _accuracy_sample(dtype)
            for func, (family, kind) in PARTS.items():
                if not hasattr(gelu_fast, func):
                    continue
                if kind == "":
                    terms = None
                elif kind == "grad":               # shared by grad and backward
                    try:
                        terms = ref.term_scale(x, family)
                    except TypeError:              # older _reference: gelu only, as were the ufuncs
                        terms = ref.term_scale(x)
                elif kind == "grad2":
                    terms = ref.term_scale(x, family, "grad2")
                exact = ref.reference(func, x, g if kind == "backward" else None)
                allowance = np.zeros(x.size)
                if terms is not None and not hasattr(ref, "allowance"):
                    allowance = None               # older _reference: no term-relative figure
                elif terms is not None:
                    ulp = np.array([float(ref.ulp_of(v, dtype)) if np.isfinite(float(v)) else np.inf
                                    for v in exact])
                    allowance = ref.allowance(terms, ulp, dtype, g if kind == "backward" else None)
                cache[f"{func} {dtype}"] = (x, g, _to_pickle(exact), allowance)
        return cache

    setup_cache.timeout = 600

    def setup(self, cache, func, dtype):
        ufunc = _ufunc(func)
        if cache is None:
            raise NotImplementedError("needs mpmath and gelu_fast._reference")
        _check_dtype(dtype)
        if f"{func} {dtype}" not in cache:
            raise NotImplementedError(f"no reference for {func} in this version")
        from gelu_fast import _reference as ref
        x, g, exact, self.allowance = cache[f"{func} {dtype}"]
        with np.errstate(all="ignore"):
            y = ufunc(g, x) if ufunc.nin == 2 else ufunc(x)
        self.err = ref.ulp_errors(y, _from_pickle(exact), dtype)

    def track_max_ulp(self, cache, func, dtype):
        return float(self.err.max())

    def track_max_ulp_term_relative(self, cache, func, dtype):
        if self.allowance is None:
            return float("nan")                # not measurable with this commit's _reference
        return float((self.err - self.allowance).max())
