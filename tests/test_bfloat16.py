"""bfloat16 loops (ml_dtypes.bfloat16): every ufunc, every input.

A bfloat16 result is the float32 result rounded once to bfloat16 (nearest
even; NaN stays NaN), so it is within 1 bfloat16 ULP of the exact value: the
float32 result is within 2 float32 ULP = 2**-15 bfloat16 ULP of it.  Checked
here over all 65,536 bfloat16 inputs for every ufunc (the backward ufuncs with
random bfloat16 grad_output), bit for bit against the float32 ufunc rounded
by ml_dtypes, and in bfloat16 ULP against the float64 ufunc.  Also: specials,
layouts and threads (bit-identical), mixed-type calls, Dask.  The whole file
runs again under every SIMD level (tests/test_dispatch.py).
"""
import numpy as np
import pytest

ml_dtypes = pytest.importorskip("ml_dtypes")

import gelu_fast  # noqa: E402

BF16 = np.dtype(ml_dtypes.bfloat16)
UNARY = ["gelu", "gelu_grad", "gelu_tanh", "gelu_tanh_grad", "gelu_sigmoid", "gelu_sigmoid_grad",
         "gelu_grad2", "gelu_tanh_grad2", "gelu_sigmoid_grad2"]
BACKWARD = ["gelu_backward", "gelu_tanh_backward", "gelu_sigmoid_backward"]
ALL = np.arange(1 << 16, dtype=np.uint16).view(BF16)


def bits(a):
    return np.ascontiguousarray(a).view(np.uint16)


def same_bits(a, b):
    """Equal bit patterns, except that any NaN equals any NaN."""
    fa, fb = np.asarray(a, np.float32), np.asarray(b, np.float32)
    nan = np.isnan(fa)
    return np.array_equal(nan, np.isnan(fb)) and np.array_equal(bits(a)[~nan], bits(b)[~nan])


def ulp_bf16(v):
    """The spacing of bfloat16 at |v| (2**-133 below the smallest normal)."""
    e = np.frexp(np.abs(v))[1].astype(np.float64)
    return np.ldexp(1.0, np.maximum(e - 8, -133).astype(np.int64))


def bf16_error(y, exact):
    """|y - exact| in bfloat16 ULPs of exact (finite results only)."""
    y = np.asarray(y, np.float64)
    ok = np.isfinite(exact) & np.isfinite(y)
    return np.abs(y[ok] - exact[ok]) / ulp_bf16(exact[ok])


def test_registered_and_reported():
    info = gelu_fast.show_config(file=open("/dev/null", "w"))
    assert info["bfloat16"] is True
    for name in UNARY + BACKWARD:
        u = getattr(gelu_fast, name)
        args = (ALL[:8],) * u.nin
        assert u(*args).dtype == BF16, name


@pytest.mark.parametrize("name", UNARY)
def test_every_input(name):
    u = getattr(gelu_fast, name)
    with np.errstate(all="ignore"):
        y = u(ALL)
        via32 = u(ALL.astype(np.float32)).astype(BF16)
        exact = u(ALL.astype(np.float64))
    assert y.dtype == BF16
    assert same_bits(y, via32)                      # the float32 result rounded once
    err = bf16_error(y, exact)
    assert err.size > 60000
    assert err.max() <= 1.0, (name, err.max())      # <= 1 bfloat16 ULP everywhere
    assert np.mean(err) < 0.3


@pytest.mark.parametrize("name", BACKWARD)
def test_backward_every_input(name):
    u = getattr(gelu_fast, name)
    rng = np.random.default_rng(5)
    g = (rng.standard_normal(ALL.size) * 3).astype(BF16)
    with np.errstate(all="ignore"):
        y = u(g, ALL)
        via32 = u(g.astype(np.float32), ALL.astype(np.float32)).astype(BF16)
        exact = u(g.astype(np.float64), ALL.astype(np.float64))
    assert y.dtype == BF16
    assert same_bits(y, via32)
    assert bf16_error(y, exact).max() <= 1.0


@pytest.mark.parametrize("name", UNARY)
def test_special_values(name):
    u = getattr(gelu_fast, name)
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan], dtype=BF16)
    with np.errstate(all="raise"):
        y = u(x).astype(np.float64)
    if name.endswith("_grad2"):
        at0 = float(gelu_fast.__dict__[name](np.float32(0)).astype(BF16))
        expect = [at0, at0, -0.0, -0.0, np.nan, np.nan]
    elif name.endswith("_grad"):
        expect = [0.5, 0.5, 1.0, -0.0, np.nan, np.nan]
    else:
        expect = [0.0, -0.0, np.inf, -0.0, np.nan, np.nan]
    np.testing.assert_array_equal(y, expect)
    assert list(np.signbit(y[:4])) == list(np.signbit(expect[:4]))


def test_rounding_to_nearest_even_and_nan_kept():
    # the float32 -> bfloat16 narrowing itself, through a ufunc whose float32
    # result is known exactly: gelu_grad(0) = 0.5, and ties through dtype=
    x = np.array([0.0], dtype=BF16)
    assert gelu_fast.gelu_grad(x)[0] == 0.5
    # a NaN with a payload keeps being a NaN
    nan_payload = np.array([0x7F81, 0xFFC1], dtype=np.uint16).view(BF16)
    with np.errstate(invalid="ignore"):
        assert np.isnan(gelu_fast.gelu(nan_payload).astype(np.float32)).all()


@pytest.mark.parametrize("name", ["gelu", "gelu_grad", "gelu_tanh", "gelu_sigmoid_grad", "gelu_backward"])
def test_layouts_and_lengths_bit_identical(name):
    u = getattr(gelu_fast, name)
    rng = np.random.default_rng(7)
    base = (rng.standard_normal(4099) * 4).astype(BF16)
    full = u(*(base,) * u.nin)
    for n in (0, 1, 7, 15, 16, 17, 33, 255, 257, 1000):
        assert same_bits(u(*(base[:n],) * u.nin), full[:n])
    for view in (base[::3], base[::-1], base[1:], base[::-2]):
        ref = np.array([u(*(np.array([v], BF16),) * u.nin)[0] for v in view[:300]], BF16)
        assert same_bits(u(*(view,) * u.nin)[:300], ref)
    x2 = base[:4096].reshape(64, 64)
    assert same_bits(u(*(x2.T,) * u.nin), u(*(np.ascontiguousarray(x2.T),) * u.nin))


def test_threads_bit_identical():
    rng = np.random.default_rng(11)
    x = (rng.standard_normal(300_001) * 4).astype(BF16)
    try:
        gelu_fast.set_num_threads(1)
        one = {n: getattr(gelu_fast, n)(x) for n in ("gelu", "gelu_grad", "gelu_sigmoid")}
        gelu_fast.set_num_threads(2)
        two = {n: getattr(gelu_fast, n)(x) for n in ("gelu", "gelu_grad", "gelu_sigmoid")}
    finally:
        gelu_fast.reset_num_threads()
    for n in one:
        assert same_bits(one[n], two[n])


def test_mixed_types_follow_numpy():
    x = np.linspace(-3, 3, 7).astype(BF16)
    f32 = x.astype(np.float32)
    # bfloat16 with float32, float16 or a Python float: the float32 loop (the
    # only safe common cast), as np.multiply does with ml_dtypes
    assert gelu_fast.gelu_backward(np.ones(7, np.float32), x).dtype == np.float32
    assert gelu_fast.gelu_backward(x, np.ones(7, np.float16)).dtype == np.float32
    assert gelu_fast.gelu_backward(x, 2.0).dtype == np.float32
    np.testing.assert_array_equal(gelu_fast.gelu_backward(np.ones(7, np.float32), x),
                                  gelu_fast.gelu_backward(np.ones(7, np.float32), f32))
    # bfloat16 results on request
    out = np.empty(7, BF16)
    gelu_fast.gelu(f32, out=out)
    assert same_bits(out, gelu_fast.gelu(f32).astype(BF16))
    assert gelu_fast.gelu(x, dtype=np.float32).dtype == np.float32
    assert type(gelu_fast.gelu(ml_dtypes.bfloat16(1.5))) is ml_dtypes.bfloat16


def test_integer_and_other_inputs_unchanged():
    assert gelu_fast.gelu(np.arange(3, dtype=np.int8)).dtype == np.float16
    with pytest.raises(TypeError):
        gelu_fast.gelu(np.array(["a"]))


def test_dask():
    da = pytest.importorskip("dask.array")
    rng = np.random.default_rng(13)
    x = (rng.standard_normal((200, 150)) * 4).astype(BF16)
    dx = da.from_array(x, chunks=(64, 50))
    dy = gelu_fast.gelu(dx)
    assert dy.dtype == BF16
    assert same_bits(dy.compute(scheduler="threads"), gelu_fast.gelu(x))
    db = gelu_fast.gelu_backward(dx, dx)
    assert same_bits(db.compute(scheduler="threads"), gelu_fast.gelu_backward(x, x))
