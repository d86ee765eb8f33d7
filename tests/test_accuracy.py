"""Accuracy of every ufunc and dtype against mpmath (50 digits), in ULP.

Each family (gelu, gelu_tanh, gelu_sigmoid) against its own definition (the
approximations with their exact decimal constants, not the exact GELU).
Bounds (README, docstrings): float32 <= 2 ULP, float64 <= 4 ULP for f,
f_grad and f_grad2; the derivatives near their zeros relative to their terms; f_backward one more
rounding than g * f_grad; float16 = the float32 result rounded once.  The
measured maxima are reported in each assertion message (run with -s to see
them all).
"""
import math
from types import SimpleNamespace

import numpy as np
import pytest

mpmath = pytest.importorskip("mpmath")

import gelu_fast
from gelu_fast import _reference as ref

BOUND = {np.float32: 2.0, np.float64: 4.0}
FLOATS = [np.float32, np.float64]


FAMILIES = ref.FAMILIES


@pytest.fixture(scope="module", params=[(f, d) for f in FAMILIES for d in FLOATS],
                ids=lambda p: f"{p[0]}-{p[1].__name__}")
def sample(request):
    family, dtype = request.param
    x = ref.sample_points(dtype)
    exact = {"f": ref.reference(family, x), "grad": ref.reference(family + "_grad", x)}
    ulp = np.array([float(ref.ulp_of(v, dtype)) if mpmath.isfinite(v) else np.inf
                    for v in exact["grad"]])
    funcs = SimpleNamespace(f=getattr(gelu_fast, family), grad=getattr(gelu_fast, family + "_grad"),
                            backward=getattr(gelu_fast, family + "_backward"))
    return SimpleNamespace(family=family, dtype=dtype, x=x, exact=exact, ulp=ulp, u=funcs,
                           terms=ref.term_scale(x, family))


def test_sample_covers_the_range(sample):
    x, dtype = sample.x, sample.dtype
    assert len(x) > 4000
    assert x.min() == -np.finfo(dtype).max and x.max() == np.finfo(dtype).max
    assert np.any((x != 0) & (np.abs(x) < np.finfo(dtype).tiny))      # subnormal inputs


def test_function(sample):
    s = sample
    err = ref.ulp_errors(s.u.f(s.x), s.exact["f"], s.dtype)
    worst = np.argmax(err)
    print(f"{s.family} {s.dtype.__name__}: max {err.max():.3f} ULP")
    assert err.max() <= BOUND[s.dtype], f"max {err.max():.3f} ULP at x={s.x[worst]!r}"


def test_negative_tail(sample):
    """The tail, where the textbook formulas lose everything."""
    s = sample
    tail = s.x < -3
    err = ref.ulp_errors(s.u.f(s.x[tail]), s.exact["f"][tail], s.dtype)
    assert tail.sum() > 1000
    assert err.max() <= BOUND[s.dtype], f"max {err.max():.3f} ULP in the tail"
    if s.family == "gelu":
        # ... and 0.5*x*(1+erf(x/sqrt2)) really is wrong there (so the test means something)
        erf = np.vectorize(math.erf, otypes=[np.float64])
        xt = s.x[tail].astype(np.float64)
        naive = (0.5 * xt * (1 + erf(xt / math.sqrt(2)))).astype(s.dtype)
        assert ref.ulp_errors(naive, s.exact["f"][tail], s.dtype).max() > 1e6


def test_subnormal_results(sample):
    s = sample
    tiny = np.finfo(s.dtype).tiny
    sub = np.array([v != 0 and abs(v) < tiny for v in s.exact["f"]]) & (s.x < 0)
    assert sub.sum() >= 20
    err = ref.ulp_errors(s.u.f(s.x[sub]), s.exact["f"][sub], s.dtype)
    assert err.max() <= BOUND[s.dtype], f"max {err.max():.3f} ULP on subnormal results"


def test_grad(sample):
    s = sample
    err = ref.ulp_errors(s.u.grad(s.x), s.exact["grad"], s.dtype)
    # near the zero: |err| <= bound*ULP + eps*(|a| + |b|)
    allowance = ref.allowance(s.terms, s.ulp, s.dtype)
    excess = err - allowance
    worst = np.argmax(excess)
    assert excess.max() <= BOUND[s.dtype], (
        f"max {err[worst]:.3f} ULP (allowance {allowance[worst]:.3f}) at x={s.x[worst]!r}")
    # where the terms do not cancel (|f'| >= half their scale) the plain bound holds
    grad = np.array([float(v) for v in s.exact["grad"]])
    plain = ref.not_cancelling(grad, s.terms)
    print(f"{s.family}_grad {s.dtype.__name__}: max {err[plain].max():.3f} ULP where the terms "
          f"do not cancel, max excess {excess.max():.3f} ULP over the term-relative bound")
    assert plain.sum() > 0.8 * len(s.x)
    assert err[plain].max() <= BOUND[s.dtype]


def test_backward(sample):
    s = sample
    dtype, x = s.dtype, s.x
    g = (np.random.default_rng(1).standard_normal(x.shape) * 4).astype(dtype)
    got = s.u.backward(g, x)
    # one final rounding: equal to g * f_grad(x) within 1 ULP (exactly, in
    # float64) wherever f_grad(x) is a normal number (a subnormal f_grad has
    # lost bits that the fused product keeps)
    grad = s.u.grad(x)
    prod = g * grad
    if dtype == np.float64:
        np.testing.assert_array_equal(got, prod)
    else:
        normal = np.isfinite(prod) & (np.abs(grad) >= np.finfo(dtype).tiny)
        np.testing.assert_array_max_ulp(got[normal], prod[normal], maxulp=1)
    # against mpmath: |error| <= |g| * (f_grad's bound, in absolute terms) + half
    # an ULP of the result for the final rounding
    exact_b = ref.reference(s.family + "_backward", x, g)
    err = ref.ulp_errors(got, exact_b, dtype)
    ulp_b = np.array([float(ref.ulp_of(v, dtype)) if mpmath.isfinite(v) else np.inf
                      for v in exact_b])
    g64 = np.abs(g.astype(np.float64))
    allowed = g64 * (BOUND[dtype] * (s.ulp / ulp_b) + np.finfo(dtype).eps * (s.terms / ulp_b)) + 0.5
    # overflow of g*grad is the correct result (inf); compare where exact is finite
    ok = np.array([bool(mpmath.isfinite(v)) and abs(v) < np.finfo(dtype).max for v in exact_b])
    ok &= g64 > 0
    worst = np.argmax(np.where(ok, err - allowed, -np.inf))
    assert (err - allowed)[ok].max() <= 0, (
        f"{err[worst]:.3f} ULP > allowed {allowed[worst]:.3f} at g={g[worst]!r}, x={x[worst]!r}")


def test_grad2(sample):
    """The second derivatives: the plain bound where their two terms do not
    cancel, relative to the terms near their zeros (x ~ +-1.41)."""
    s = sample
    u = getattr(gelu_fast, s.family + "_grad2")
    exact = ref.reference(s.family + "_grad2", s.x)
    err = ref.ulp_errors(u(s.x), exact, s.dtype)
    ulp = np.array([float(ref.ulp_of(v, s.dtype)) if mpmath.isfinite(v) else np.inf for v in exact])
    terms = ref.term_scale(s.x, s.family, "grad2")
    excess = err - ref.allowance(terms, ulp, s.dtype)
    worst = np.argmax(excess)
    assert excess.max() <= BOUND[s.dtype], f"max {err[worst]:.3f} ULP at x={s.x[worst]!r}"
    plain = ref.not_cancelling(np.array([float(v) for v in exact]), terms)
    print(f"{s.family}_grad2 {s.dtype.__name__}: max {err[plain].max():.3f} ULP where the terms "
          f"do not cancel, max excess {excess.max():.3f} ULP over the term-relative bound")
    # (the two terms are within a factor 3 of each other over |x| in [0.5, 3.5],
    # a quarter of the sample, not only next to the zeros)
    assert plain.sum() > 0.7 * len(s.x)
    assert err[plain].max() <= BOUND[s.dtype]
    # the terms really cancel somewhere in the sample (the zeros are in it)
    assert (~plain & (np.abs(s.x) < 2)).sum() >= 20


ALL_NAMES = [f + k for f in FAMILIES for k in ("", "_grad", "_grad2")]


def float64_terms(name, x):
    """|a| + |b| in float64 for a first or second derivative a + b (None for f)."""
    family, kind = ref.split_name(name)
    if kind == "grad":
        _, a, b = ref.terms_float64(family, x)
    elif kind == "grad2":
        a, b = ref.terms2_float64(family, x)
    else:
        return None
    return np.abs(a) + np.abs(b)


def test_float16_is_float32_rounded_once():
    """Exhaustive: every one of the 65536 float16 inputs."""
    h = np.arange(2**16, dtype=np.uint16).view(np.float16)
    f = h.astype(np.float32)
    for name in ALL_NAMES:
        u = getattr(gelu_fast, name)
        np.testing.assert_array_equal(u(h).view(np.uint16)[~np.isnan(h)],
                                      u(f).astype(np.float16).view(np.uint16)[~np.isnan(h)],
                                      err_msg=name)
        assert np.isnan(u(h)[np.isnan(h)]).all()
    g = h[::-1].copy()
    for family in FAMILIES:
        b = getattr(gelu_fast, family + "_backward")
        np.testing.assert_array_equal(b(g, h), b(g.astype(np.float32), f).astype(np.float16))


def test_float16_within_one_ulp():
    rng = np.random.default_rng(2)
    h = np.arange(2**16, dtype=np.uint16).view(np.float16)
    h = h[np.isfinite(h)]
    h = np.concatenate([rng.choice(h, 3000, replace=False), h[np.abs(h) < 8][::16]])
    for name in ALL_NAMES:
        exact = ref.reference(name, h)
        err = ref.ulp_errors(getattr(gelu_fast, name)(h), exact, np.float16)
        family, kind = ref.split_name(name)
        if kind in ("grad", "grad2"):
            ulp = np.array([float(ref.ulp_of(v, np.float16)) for v in exact])
            err = err - ref.allowance(ref.term_scale(h, family, kind), ulp, np.float16)
        assert err.max() <= 1.0, f"{name}: max {err.max():.3f} ULP"


# The float32 loops of build_info()["simd_ufuncs"] run explicit-SIMD kernels
# (gelu_fast/_simd.h): float32 arithmetic.  The exact family's are bound by
# 2 ULP (their exhaustive maxima are in README.md); the tanh and sigmoid
# families' stay within the 1 ULP of the double kernels they replace
# (at most 0.81 ULP over every float32 input, avx512 and avx2).  Everything else computes float32 in
# double and stays within 1 ULP.
SIMD_UFUNCS = gelu_fast._kernel.build_info()["simd_ufuncs"]


def dense_bound(name):
    return 2.0 if name in SIMD_UFUNCS and ref.split_name(name)[0] == "gelu" else 1.0


@pytest.mark.parametrize("name", ALL_NAMES)
def test_float32_dense_scan_against_float64(name):
    """A strided sample of the exhaustive check: every 64th float32 bit
    pattern for the exact family and for every ufunc with an explicit-SIMD
    kernel (67 million inputs), every 509th for the others, against the
    float64 kernel -- itself checked against mpmath above and 2**29 times
    more precise, so the float32 error is measured to ~1e-8 ULP.  Run under
    every SIMD level (test_dispatch)."""
    stride = 64 if ref.split_name(name)[0] == "gelu" or name in SIMD_UFUNCS else 509
    u = getattr(gelu_fast, name)
    family, kind = ref.split_name(name)
    worst, at = 0.0, None
    chunk = 2**22 * stride
    for start in range(0, 2**32, chunk):
        bits = np.arange(start, min(start + chunk, 2**32), stride, dtype=np.uint64).astype(np.uint32)
        x = bits.view(np.float32)
        x = x[np.isfinite(x)]
        y = u(x).astype(np.float64)
        r = u(x.astype(np.float64))
        spacing = ref.ulp_float64(r, np.float32)     # of the exact value, not of its rounding
        err = np.abs(y - r) / spacing
        if kind in ("grad", "grad2"):      # term-relative near the zeros (only there), as above
            terms = float64_terms(name, x)
            excess = np.maximum(err - ref.allowance(terms, spacing, np.float32), 0.0)
            err = np.where(ref.not_cancelling(r, terms), err, excess)
        i = int(np.argmax(err))
        if err[i] > worst:
            worst, at = float(err[i]), x[i]
    print(f"{name} float32 dense scan (every {stride}th input): max {worst:.3f} ULP at x={at!r}")
    assert worst <= dense_bound(name), f"{name}: max {worst:.3f} ULP at x={at!r}"


@pytest.mark.parametrize("name", ALL_NAMES)
def test_float16_exhaustive_against_float64(name):
    """Every finite float16 input within 1 float16 ULP (term-relative near
    the derivative's zero), against the float64 kernel."""
    h = np.arange(2**16, dtype=np.uint16).view(np.float16)
    h = h[np.isfinite(h)]
    u = getattr(gelu_fast, name)
    family, kind = ref.split_name(name)
    r = u(h.astype(np.float64))
    spacing = ref.ulp_float64(r, np.float16)
    err = np.abs(u(h).astype(np.float64) - r) / spacing
    if kind in ("grad", "grad2"):
        err = err - ref.allowance(float64_terms(name, h), spacing, np.float16)
    i = int(np.argmax(err))
    print(f"{name} float16 exhaustive: max {err[i]:.3f} ULP at x={h[i]!r}")
    assert err[i] <= 1.0, f"{name}: max {err[i]:.3f} ULP at x={h[i]!r}"


def test_reference_terms_one_evaluation_per_point():
    """The mpmath reference: one evaluation per point, shared by the kinds."""
    x = np.array([-40.0, -3.5, -0.75, 0.0, 1e-300, 2.0, np.inf, np.nan])
    for family in FAMILIES:
        value, a, b = ref.reference_terms(family, x)
        assert ref.reference_terms(family, x)[0] is value            # remembered
        assert ref.reference_terms(family, x.copy())[0] is value     # by content, not identity
        f, grad = ref.reference(family, x), ref.reference(family + "_grad", x)
        back = ref.reference(family + "_backward", x, np.full(x.shape, -3.0))
        for i, v in enumerate(x[:6]):                 # finite: f, f' = a + b, g*f'
            assert f[i] == value[i] and grad[i] == a[i] + b[i] and back[i] == -3 * grad[i]
        assert mpmath.isinf(grad[6]) and mpmath.isnan(grad[7]) and mpmath.isinf(back[6])
        np.testing.assert_array_equal(ref.term_scale(x, family)[6:], [0.0, 0.0])
        assert ref.term_scale(x, family)[2] == float(abs(a[2]) + abs(b[2]))
    # exact values: gelu(-3.5) = -3.5 * Phi(-3.5), gelu'(x) = Phi(x) + x*phi(x)
    value, a, b = ref.reference_terms("gelu", x)
    assert abs(float(value[1]) - (-3.5 * 0.5 * math.erfc(3.5 / math.sqrt(2)))) < 1e-18
    assert abs(float(a[5] + b[5]) - (0.5 * math.erfc(-2 / math.sqrt(2))
                                     + 2 * math.exp(-2) / math.sqrt(2 * math.pi))) < 1e-15
    for k in range(2 * ref._TERMS_CACHE_SIZE):       # the memory stays bounded
        ref.reference_terms("gelu", np.array([float(k)]))
    assert len(ref._TERMS_CACHE) <= ref._TERMS_CACHE_SIZE
