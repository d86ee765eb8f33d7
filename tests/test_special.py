"""Special values and floating-point flags."""
import warnings

import numpy as np
import pytest

import gelu_fast

DTYPES = [np.float16, np.float32, np.float64]
FAMILIES = ["gelu", "gelu_tanh", "gelu_sigmoid"]


def funcs(family):
    return (getattr(gelu_fast, family), getattr(gelu_fast, family + "_grad"),
            getattr(gelu_fast, family + "_backward"))


def signbit(a):
    return np.signbit(np.asarray(a))


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_special_values(family, dtype):
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0], dtype=dtype)
    y = funcs(family)[0](x)
    assert y.dtype == dtype
    assert np.isnan(y[0])
    assert y[1] == np.inf
    assert y[2] == 0.0
    assert y[3] == 0.0 and not signbit(y[3])
    assert y[4] == 0.0 and signbit(y[4])


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_grad_special_values(family, dtype):
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0], dtype=dtype)
    y = funcs(family)[1](x)
    assert np.isnan(y[0])
    assert y[1] == 1.0
    assert y[2] == 0.0
    assert y[3] == 0.5 and y[4] == 0.5


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_grad2_special_values(family, dtype):
    """Second derivatives: even; NaN -> NaN, +-inf -> -0.0 (the limit, from
    below), f''(+-0) = 2 z'(0) s(0)(1 - s(0)) = z'(0)/2 (sqrt(2/pi) for gelu)."""
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 3.0, -3.0, 1e4, -1e4], dtype=dtype)
    with np.errstate(under="ignore"):
        y = getattr(gelu_fast, family + "_grad2")(x)
    assert y.dtype == dtype
    assert np.isnan(y[0])
    assert y[1] == 0 and signbit(y[1]) and y[2] == 0 and signbit(y[2])
    at0 = {"gelu": np.sqrt(2 / np.pi), "gelu_tanh": np.sqrt(2 / np.pi), "gelu_sigmoid": 1.702 / 2}[family]
    np.testing.assert_allclose(y[3:5].astype(np.float64), at0, rtol=np.finfo(dtype).eps)
    assert y[5] == y[6] and y[5] < 0                    # even, negative beyond the zeros
    assert y[7] == 0 and signbit(y[7]) and y[8] == 0 and signbit(y[8])


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_backward_special_values(family, dtype):
    g = np.array([1.0, 2.0, np.nan, 3.0, 0.0], dtype=dtype)
    x = np.array([np.inf, -np.inf, 1.0, np.nan, 0.0], dtype=dtype)
    y = funcs(family)[2](g, x)
    assert y[0] == 1.0 and y[1] == 0.0
    assert np.isnan(y[2]) and np.isnan(y[3])
    assert y[4] == 0.0


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_limits(family, dtype):
    """f -> x for large x, -> 0 for very negative x; f_grad -> 1 and 0."""
    f, grad, _ = funcs(family)
    info = np.finfo(dtype)
    x = np.array([info.max, 1e4, 60.0, -info.max, -1e4, -600.0], dtype=dtype)
    np.testing.assert_array_equal(f(x)[:3], x[:3])
    np.testing.assert_array_equal(f(x)[3:], 0.0)
    np.testing.assert_array_equal(grad(x), [1, 1, 1, 0, 0, 0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_known_values(dtype):
    # gelu(1) = Phi(1), gelu(-1) = -Phi(-1); Phi(1) = 0.841344746068542948585232545632...
    phi1 = 0.8413447460685429
    x = np.array([1.0, -1.0, 2.0], dtype=dtype)
    expected = np.array([phi1, -(1 - phi1), 2 * 0.9772498680518208], dtype=np.float64)
    np.testing.assert_allclose(gelu_fast.gelu(x), expected, rtol=np.finfo(dtype).eps)
    # gelu_grad(1) = Phi(1) + phi(1); phi(1) = 0.24197072451914337
    np.testing.assert_allclose(gelu_fast.gelu_grad(np.array(1.0, dtype)), phi1 + 0.24197072451914337,
                               rtol=np.finfo(dtype).eps)


def test_approximation_known_values():
    # gelu_tanh(1) = 0.5*(1 + tanh(sqrt(2/pi)*1.044715)); gelu_sigmoid(1) = 1/(1 + exp(-1.702))
    import math
    assert gelu_fast.gelu_tanh(1.0) == pytest.approx(0.5 * (1 + math.tanh(math.sqrt(2 / math.pi) * 1.044715)),
                                                      rel=2e-16)
    assert gelu_fast.gelu_sigmoid(1.0) == pytest.approx(1 / (1 + math.exp(-1.702)), rel=2e-16)
    # no overflow of x**3 in float16 (a classic source of NaN gradients)
    x = np.array([100.0, -100.0, 60000.0], np.float16)
    assert np.isfinite(gelu_fast.gelu_tanh(x)).all() and np.isfinite(gelu_fast.gelu_tanh_grad(x)).all()


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_no_spurious_warnings(family, dtype):
    """NaN, inf and ordinary inputs raise no FP warning with NumPy's defaults,
    and nothing but underflow (of results that do underflow) under 'raise'."""
    info = np.finfo(dtype)
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 5.0, -5.0, info.max, -info.max,
                  info.tiny, -info.tiny, info.smallest_subnormal, -100.0, 100.0] * 8, dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f, grad, backward = funcs(family)
        f(x)
        grad(x)
        backward(np.full_like(x, 3.0), x)
        backward(x, np.full_like(x, 0.5))
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        f(x)
        grad(x)
    # results that do not underflow raise no underflow either
    ordinary = np.array([0.5, -0.5, 1.0, -2.0, 3.0, 7.0, 1e3, info.max, -1.0, 0.0] * 10, dtype=dtype)
    with np.errstate(all="raise"):
        f(ordinary)
        grad(ordinary)


def test_invalid_flag_from_real_operations_still_reported():
    """Clearing the NaN-comparison flag must not hide an invalid operation
    NumPy performs itself in the same expression."""
    with pytest.warns(RuntimeWarning, match="invalid"):
        np.subtract(gelu_fast.gelu(np.array([np.inf])), np.array([np.inf]))


# ---- floating-point flags for every special input ----------------------------
# NumPy reports a flag the loop leaves raised; np.errstate(all='call') hands the
# whole set to a callback: 1 divide, 2 over, 4 under, 8 invalid.
UNDER = 4
ALL_UFUNCS = [name + kind for name in FAMILIES for kind in ("", "_grad", "_backward", "_grad2")]
_NAN_BITS = {np.float16: (0x7E00, 0xFE00, 0x7E01, 0xFC01, 0x7C01),
             np.float32: (0x7FC00000, 0xFFC00000, 0x7FC12345, 0xFF800001, 0x7F800001),
             np.float64: (0x7FF8000000000000, 0xFFF8000000000000, 0x7FF8000000012345,
                          0xFFF0000000000001, 0x7FF0000000000001)}


def special_inputs(dtype):
    """+-0, +-inf, NaNs (quiet and signalling, both signs, with payloads), the
    largest finite values, the smallest normals and subnormals, and a few
    ordinary values; each with an exact reference value (None for NaN)."""
    info = np.finfo(dtype)
    nans = np.array(_NAN_BITS[dtype], dtype=np.uint64).astype({np.float16: np.uint16, np.float32: np.uint32,
                                                               np.float64: np.uint64}[dtype]).view(dtype)
    values = [0.0, -0.0, np.inf, -np.inf, info.max, -info.max, info.tiny, -info.tiny,
              info.smallest_subnormal, -info.smallest_subnormal, 2 * info.tiny, -2 * info.tiny,
              1.0, -1.0, 0.75, -0.75, 5.0, -5.0, 20.0, -20.0]
    if dtype == np.float64:
        values += [1e-160, -1e-160, 1e-300, -1e-300]      # a*a underflows; the result does not
    return np.concatenate([np.array(values, dtype=dtype), nans])


def flags_raised(func, *args):
    seen = []
    with np.errstate(all="call", call=lambda kind, flag: seen.append(flag)):
        out = func(*args)
    return (seen[0] if seen else 0), out


def underflows(exact, dtype):
    """The exact result is nonzero and below the smallest normal: a genuine underflow."""
    return exact != 0 and abs(exact) < np.finfo(dtype).tiny


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ALL_UFUNCS)
def test_flags_only_for_results_that_underflow(name, dtype):
    """Under np.errstate(all='raise') (what one turns on to hunt NaN/inf in
    training) a ufunc raises nothing for any special input, but 'underflow'
    where the exact result does underflow -- never for -inf, whose result
    -0.0 is exact.  Each input is called alone, so a flag is pinned on it."""
    from gelu_fast import _reference as ref
    pytest.importorskip("mpmath")
    func = getattr(gelu_fast, name)
    x = special_inputs(dtype)
    if name.endswith("_backward"):
        # special x with g = 1, then special g with x = 0.5 (the exact results are
        # finite: inf * 0 is not asked for)
        g = np.concatenate([np.ones_like(x), x])
        xs = np.concatenate([x, np.full_like(x, 0.5)])
    else:
        g, xs = None, x
    exact = ref.reference(name, xs, g)
    bad = []
    for i in range(xs.size):
        args = (xs[i:i + 1],) if g is None else (g[i:i + 1], xs[i:i + 1])
        flag, _ = flags_raised(func, *args)
        nan_in = any(np.isnan(a[0]) for a in args)
        allowed = UNDER if (not nan_in and underflows(exact[i], dtype)) else 0
        if flag & ~allowed:
            bad.append((tuple(a[0] for a in args), flag))
    assert not bad, f"{name} {dtype.__name__}: flags (1 div, 2 over, 4 under, 8 invalid) for {bad}"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", [n for n in ALL_UFUNCS if not n.endswith("_backward")])
def test_minus_inf_raises_nothing_under_raise(name, dtype):
    """The reported case: np.seterr(all='raise'); gelu(np.array([-np.inf]))."""
    func = getattr(gelu_fast, name)
    with np.errstate(all="raise"):
        y = func(np.array([-np.inf, -np.inf], dtype=dtype))
    assert y[0] == 0 and np.signbit(y[0])
