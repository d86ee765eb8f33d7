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
