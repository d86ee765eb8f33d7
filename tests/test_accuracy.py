"""Accuracy of every ufunc and dtype against mpmath (50 digits), in ULP.

Bounds (README, docstrings): float32 <= 2 ULP, float64 <= 4 ULP for gelu and
gelu_grad; gelu_grad near its zero relative to its terms; gelu_backward one
more rounding than g * gelu_grad; float16 = the float32 result rounded once.
The measured maxima are reported in each assertion message.
"""
import math

import numpy as np
import pytest

mpmath = pytest.importorskip("mpmath")

import gelu_fast
from gelu_fast import _reference as ref
from conftest import accuracy_points

BOUND = {np.float32: 2.0, np.float64: 4.0}
FLOATS = [np.float32, np.float64]


@pytest.fixture(scope="module", params=FLOATS, ids=lambda d: d.__name__)
def sample(request):
    dtype = request.param
    x = accuracy_points(dtype)
    exact = {name: ref.reference(name, x) for name in ("gelu", "gelu_grad")}
    ulp = np.array([float(ref.ulp_of(v, dtype)) if mpmath.isfinite(v) else np.inf
                    for v in exact["gelu_grad"]])
    return dtype, x, exact, ulp


def test_sample_covers_the_range(sample):
    dtype, x, _, _ = sample
    assert len(x) > 4000
    assert x.min() == -np.finfo(dtype).max and x.max() == np.finfo(dtype).max
    assert np.any((x != 0) & (np.abs(x) < np.finfo(dtype).tiny))      # subnormal inputs


def test_gelu(sample):
    dtype, x, exact, _ = sample
    err = ref.ulp_errors(gelu_fast.gelu(x), exact["gelu"], dtype)
    worst = np.argmax(err)
    assert err.max() <= BOUND[dtype], f"max {err.max():.3f} ULP at x={x[worst]!r}"
    print(f"gelu {dtype.__name__}: max {err.max():.3f} ULP")


def test_gelu_tail_is_accurate(sample):
    """The negative tail, where 0.5*x*(1+erf(x/sqrt2)) returns garbage."""
    dtype, x, exact, _ = sample
    tail = x < -3
    err = ref.ulp_errors(gelu_fast.gelu(x[tail]), exact["gelu"][tail], dtype)
    assert tail.sum() > 1000
    assert err.max() <= BOUND[dtype], f"max {err.max():.3f} ULP in the tail"
    # ... and the textbook formula really is wrong there (so the test means something)
    erf = np.vectorize(math.erf, otypes=[np.float64])
    xt = x[tail].astype(np.float64)
    naive = (0.5 * xt * (1 + erf(xt / math.sqrt(2)))).astype(dtype)
    assert ref.ulp_errors(naive, exact["gelu"][tail], dtype).max() > 1e6


def test_gelu_subnormal_results(sample):
    dtype, x, exact, _ = sample
    tiny = np.finfo(dtype).tiny
    sub = np.array([v != 0 and abs(v) < tiny for v in exact["gelu"]]) & (x < 0)
    assert sub.sum() >= 20
    err = ref.ulp_errors(gelu_fast.gelu(x[sub]), exact["gelu"][sub], dtype)
    assert err.max() <= BOUND[dtype], f"max {err.max():.3f} ULP on subnormal results"


def test_gelu_grad(sample):
    dtype, x, exact, ulp = sample
    err = ref.ulp_errors(gelu_fast.gelu_grad(x), exact["gelu_grad"], dtype)
    # near the zero at x ~ -0.7518: |err| <= bound*ULP + eps*(|Phi| + |x*phi|)
    allowance = np.finfo(dtype).eps * ref.term_scale(x) / ulp
    excess = err - allowance
    worst = np.argmax(excess)
    assert excess.max() <= BOUND[dtype], (
        f"max {err[worst]:.3f} ULP (allowance {allowance[worst]:.3f}) at x={x[worst]!r}")
    # where the terms do not cancel (|gelu_grad| >= half their scale) the
    # plain ULP bound holds
    grad = np.array([float(v) for v in exact["gelu_grad"]])
    plain = np.abs(grad) >= 0.5 * ref.term_scale(x)
    print(f"gelu_grad {dtype.__name__}: max {err[plain].max():.3f} ULP where the terms do not "
          f"cancel, max excess {excess.max():.3f} ULP over the term-relative bound")
    assert plain.sum() > 0.8 * len(x)
    assert err[plain].max() <= BOUND[dtype]


def test_gelu_backward(sample):
    dtype, x, exact, ulp = sample
    rng = np.random.default_rng(1)
    g = (rng.standard_normal(x.shape) * 4).astype(dtype)
    got = gelu_fast.gelu_backward(g, x)
    # one final rounding: equal to g * gelu_grad(x) within 1 ULP (exactly, in
    # float64) wherever gelu_grad(x) is a normal number (a subnormal
    # gelu_grad has lost bits that the fused product keeps)
    grad = gelu_fast.gelu_grad(x)
    prod = g * grad
    if dtype == np.float64:
        np.testing.assert_array_equal(got, prod)
    else:
        normal = np.isfinite(prod) & (np.abs(grad) >= np.finfo(dtype).tiny)
        np.testing.assert_array_max_ulp(got[normal], prod[normal], maxulp=1)
    exact_b = ref.reference("gelu_backward", x, g)
    err = ref.ulp_errors(got, exact_b, dtype)
    uscale = np.array([float(ref.ulp_of(v, dtype)) if mpmath.isfinite(v) else np.inf
                       for v in exact_b])
    allowance = np.finfo(dtype).eps * np.abs(g.astype(np.float64)) * ref.term_scale(x) / uscale
    excess = err - allowance
    # overflow of g*grad is the correct result (inf); compare where exact is finite
    ok = np.array([bool(mpmath.isfinite(v)) and abs(v) < np.finfo(dtype).max for v in exact_b])
    assert excess[ok].max() <= BOUND[dtype] + 0.5, f"max excess {excess[ok].max():.3f} ULP"


def test_float16_is_float32_rounded_once():
    """Exhaustive: every one of the 65536 float16 inputs."""
    h = np.arange(2**16, dtype=np.uint16).view(np.float16)
    f = h.astype(np.float32)
    for name in ("gelu", "gelu_grad"):
        u = getattr(gelu_fast, name)
        np.testing.assert_array_equal(u(h).view(np.uint16)[~np.isnan(h)],
                                      u(f).astype(np.float16).view(np.uint16)[~np.isnan(h)],
                                      err_msg=name)
        assert np.isnan(u(h)[np.isnan(h)]).all()
    g = h[::-1].copy()
    np.testing.assert_array_equal(
        gelu_fast.gelu_backward(g, h), gelu_fast.gelu_backward(g.astype(np.float32), f).astype(np.float16))


def test_float16_within_one_ulp():
    rng = np.random.default_rng(2)
    h = np.arange(2**16, dtype=np.uint16).view(np.float16)
    h = h[np.isfinite(h)]
    h = np.concatenate([rng.choice(h, 3000, replace=False), h[np.abs(h) < 8][::16]])
    for name in ("gelu", "gelu_grad"):
        exact = ref.reference(name, h)
        err = ref.ulp_errors(getattr(gelu_fast, name)(h), exact, np.float16)
        if name == "gelu_grad":
            ulp = np.array([float(ref.ulp_of(v, np.float16)) for v in exact])
            err = err - np.finfo(np.float16).eps * ref.term_scale(h) / ulp
        assert err.max() <= 1.0, f"{name}: max {err.max():.3f} ULP"


def test_float32_dense_scan_against_float64():
    """Every 509th float32 bit pattern (8.4 million inputs), against the
    float64 kernel -- itself checked against mpmath above and 2**29 times
    more precise, so the float32 error is measured to ~1e-8 ULP."""
    bits = np.arange(0, 2**32, 509, dtype=np.uint64).astype(np.uint32)
    x = bits.view(np.float32)
    x = x[np.isfinite(x)]
    for name in ("gelu", "gelu_grad"):
        u = getattr(gelu_fast, name)
        y = u(x).astype(np.float64)
        r = u(x.astype(np.float64))
        r32 = r.astype(np.float32)
        spacing = np.spacing(np.abs(r32)).astype(np.float64)
        # spacing of the exact value: below a power of two, the smaller one
        pow2 = (np.abs(r32) > np.abs(r)) & (np.frexp(r32)[0] == 0.5)
        spacing[pow2] /= 2
        spacing = np.maximum(spacing, float(np.finfo(np.float32).smallest_subnormal))
        err = np.abs(y - r) / spacing
        if name == "gelu_grad":      # term-relative near the zero, as above
            # for x < 0: |Phi| + |x*phi| = gelu_grad(x) + 2|x|phi(x)
            xd = x.astype(np.float64)
            x_phi = np.abs(xd) * np.exp(-xd * xd / 2) / np.sqrt(2 * np.pi)
            terms = np.where(xd < 0, r + 2 * x_phi, 0.0)
            err = err - np.finfo(np.float32).eps * terms / spacing
        assert err.max() <= 1.0, f"{name}: max {err.max():.3f} ULP"
