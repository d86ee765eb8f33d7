"""gelu_fast's functions are real NumPy ufuncs: every ufunc feature works."""
import pickle

import numpy as np
import pytest

import gelu_fast
from gelu_fast import gelu, gelu_backward, gelu_grad

NAMES = [f + k for f in ("gelu", "gelu_tanh", "gelu_sigmoid") for k in ("", "_grad", "_backward")] + [
    f + "_grad2" for f in ("gelu", "gelu_tanh", "gelu_sigmoid")]
ALL = [getattr(gelu_fast, n) for n in NAMES]
UNARY = [u for u in ALL if u.nin == 1]
DTYPES = [np.float16, np.float32, np.float64]


def call(u, *arrays, **kw):
    """u on (x) or, for gelu_backward, on (g, x) with a fixed g."""
    if u.nin == 1:
        return u(*arrays, **kw)
    x = arrays[0]
    return u(np.full_like(x, 1.5) if isinstance(x, np.ndarray) else 1.5, *arrays, **kw)


def test_are_ufuncs():
    for u in ALL:
        assert isinstance(u, np.ufunc)
        assert u.nout == 1
        assert u.types == (["e->e", "f->f", "d->d"] if u.nin == 1 else ["ee->e", "ff->f", "dd->d"])
    assert [u.nin for u in ALL] == [1, 1, 2] * 3 + [1] * 3
    assert [u.__name__ for u in ALL] == NAMES
    assert gelu.__name__ == "gelu" and gelu_backward.__name__ == "gelu_backward"


def test_docstrings():
    for u in ALL:
        doc = u.__doc__
        assert "ULP" in doc and "torch" in doc
    assert "x * Phi(x)" in gelu.__doc__
    assert "0.044715" in gelu_fast.gelu_tanh.__doc__ and "1.702" in gelu_fast.gelu_sigmoid.__doc__
    assert "Phi(x) + x * phi(x)" in gelu_grad.__doc__


def test_same_objects_and_pickle():
    import gelu_fast as again
    assert again.gelu is gelu
    for u in ALL:
        assert pickle.loads(pickle.dumps(u)) is u


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("u", ALL, ids=lambda u: u.__name__)
def test_dtype_preserved(u, dtype):
    x = np.linspace(-5, 5, 7).astype(dtype)
    assert call(u, x).dtype == dtype


def test_integer_and_bool_inputs_follow_numpy():
    for u in UNARY:
        for arr in (np.arange(-3, 4), np.arange(-3, 4, dtype=np.int32), [True, False],
                    np.arange(3, dtype=np.int8), np.arange(3, dtype=np.int16)):
            arr = np.asarray(arr)
            got = u(arr)
            assert got.dtype == np.exp(arr).dtype
            np.testing.assert_array_equal(got, u(arr.astype(got.dtype)))
    assert gelu_backward(np.arange(3), np.arange(3)).dtype == np.float64


def test_python_scalars_lists_and_0d():
    assert isinstance(gelu(1.0), np.float64)
    assert gelu(1.0) == gelu(np.array([1.0]))[0]
    np.testing.assert_array_equal(gelu([-1.0, 0.0, 1.0]), gelu(np.array([-1.0, 0.0, 1.0])))
    z = gelu(np.array(2.0, dtype=np.float32))
    assert z.shape == () and z.dtype == np.float32
    assert gelu_backward(2.0, 0.0) == 1.0


def test_empty():
    for u in ALL:
        for dtype in DTYPES:
            assert call(u, np.empty((0, 3), dtype)).shape == (0, 3)


@pytest.mark.parametrize("u", ALL, ids=lambda u: u.__name__)
def test_out_and_where(u):
    x = np.linspace(-4, 4, 50)
    expected = call(u, x)
    out = np.full_like(x, 7.0)
    r = call(u, x, out=out)
    assert r is out
    np.testing.assert_array_equal(out, expected)
    out = np.full_like(x, 7.0)
    mask = x > 0
    call(u, x, out=out, where=mask)
    np.testing.assert_array_equal(out[mask], expected[mask])
    assert (out[~mask] == 7.0).all()
    # out= as a tuple, and into a non-contiguous view
    big = np.zeros(100)
    call(u, x, out=(big[::2],))
    np.testing.assert_array_equal(big[::2], expected)
    assert (big[1::2] == 0).all()


def test_dtype_and_casting():
    x = np.linspace(-3, 3, 9)
    y32 = gelu(x, dtype=np.float32)
    assert y32.dtype == np.float32
    np.testing.assert_array_equal(y32, gelu(x.astype(np.float32)))
    with pytest.raises(TypeError):
        gelu(x, out=np.empty(9, np.float32), casting="safe")
    y = gelu(x.astype(np.float32), dtype=np.float64)
    np.testing.assert_array_equal(y, gelu(x.astype(np.float32).astype(np.float64)))
    out = np.empty(9, np.float32)
    gelu(x, out=out, casting="same_kind")
    np.testing.assert_array_equal(out, gelu(x).astype(np.float32))


def test_order():
    x = np.asfortranarray(np.random.default_rng(0).normal(size=(5, 7)))
    assert gelu(x, order="F").flags.f_contiguous
    assert gelu(x, order="C").flags.c_contiguous
    np.testing.assert_array_equal(gelu(x, order="F"), gelu(x, order="C"))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("u", ALL, ids=lambda u: u.__name__)
def test_layouts_bit_identical(u, dtype):
    """Contiguous (vectorized) and every strided layout give the same bits."""
    rng = np.random.default_rng(3)
    base = (rng.standard_normal(4099) * 6).astype(dtype)
    ref = call(u, base)
    np.testing.assert_array_equal(call(u, base[::-1]), ref[::-1])        # negative stride
    np.testing.assert_array_equal(call(u, base[::3]), ref[::3])          # positive stride
    m = base[:4096].reshape(64, 64)
    np.testing.assert_array_equal(call(u, m.T), ref[:4096].reshape(64, 64).T)   # transposed
    np.testing.assert_array_equal(call(u, np.asfortranarray(m)), ref[:4096].reshape(64, 64))
    buf = np.zeros(base.nbytes + 1, np.uint8)
    unaligned = np.frombuffer(buf.data, dtype=dtype, count=base.size, offset=1)
    assert not unaligned.flags.aligned
    unaligned[...] = base
    np.testing.assert_array_equal(call(u, unaligned), ref)
    for offset in range(1, 17):          # every start alignment and tail length
        np.testing.assert_array_equal(call(u, base[offset:offset + 77]), ref[offset:offset + 77])


def test_backward_broadcasting():
    x = np.linspace(-3, 3, 12).reshape(3, 4)
    g = np.array([1.0, -2.0, 0.5, 4.0])
    np.testing.assert_array_equal(gelu_backward(g, x), g * gelu_grad(x))
    np.testing.assert_array_equal(gelu_backward(2.0, x), 2.0 * gelu_grad(x))
    np.testing.assert_array_equal(gelu_backward(np.ones((3, 1)), x[0]), np.broadcast_to(gelu_grad(x[0]), (3, 4)))
    with pytest.raises(ValueError):
        gelu_backward(np.ones(3), np.ones(4))


def test_in_place_and_read_only():
    x = np.linspace(-5, 5, 100_003)
    expected = gelu(x)
    ro = x.copy()
    ro.flags.writeable = False
    np.testing.assert_array_equal(gelu(ro), expected)
    with pytest.raises(ValueError):
        gelu(x, out=ro)
    y = x.copy()
    gelu(y, out=y)
    np.testing.assert_array_equal(y, expected)
    g = np.full_like(x, 2.0)
    gelu_backward(g, x.copy(), out=g)
    np.testing.assert_array_equal(g, 2.0 * gelu_grad(x))


def test_partial_overlap_handled_by_numpy():
    buf = np.linspace(-4, 4, 1001)
    expected = gelu(buf[:-1].copy())
    gelu(buf[:-1], out=buf[1:])
    np.testing.assert_array_equal(buf[1:], expected)


@pytest.mark.parametrize("shift", [1, -1, 9, -64, 4097])
@pytest.mark.parametrize("u", ALL, ids=lambda u: u.__name__)
def test_partial_overlap_large(u, shift):
    """out shifted against its inputs in one buffer, large enough for the
    threaded contiguous path: NumPy's overlap handling must still apply."""
    n = 100_003
    buf = np.linspace(-7, 7, n + 10_000)
    x = buf[5000:5000 + n]
    out = buf[5000 + shift:5000 + shift + n]
    args = (x,) * u.nin
    expected = u(*(a.copy() for a in args))
    gelu_fast.set_num_threads(2)
    u(*args, out=out)
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("bad", [np.array([1 + 2j]), np.array(["a"]), np.array([object()]),
                                 np.zeros(2, dtype=[("a", "f8")])])
@pytest.mark.parametrize("u", ALL, ids=lambda u: u.__name__)
def test_bad_input_types_raise_and_leave_out_untouched(u, bad):
    out = np.full(bad.shape, 7.0)
    with pytest.raises(TypeError):
        call(u, bad, out=out) if u.nin == 1 else u(bad, bad, out=out)
    assert (out == 7.0).all()


def test_bad_out():
    x = np.ones(4)
    for out, error, message in [(np.full(3, 7.0), ValueError, "shape"),
                                (np.full(4, 7, dtype=np.int64), TypeError, "cast"),
                                (np.full(4, 7.0, dtype=np.float32), TypeError, "cast")]:
        with pytest.raises(error, match=message):
            gelu(x, out=out, casting="same_kind" if out.dtype.kind == "i" else "safe")
        assert (out == 7).all(), "nothing written on error"
    with pytest.raises(TypeError):
        gelu(x, out=[0.0] * 4)
    with pytest.raises(ValueError):
        gelu(x, out=(np.empty(4), np.empty(4)))
    with pytest.raises(TypeError):
        gelu(None)
    with pytest.raises(TypeError):
        gelu([1.0, None])


def test_array_ufunc_override():
    """__array_ufunc__ dispatch (what Dask and xarray use) reaches the ufunc."""
    class Wrapped:
        def __init__(self, a):
            self.a = np.asarray(a)

        def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
            inputs = [i.a if isinstance(i, Wrapped) else i for i in inputs]
            return Wrapped(getattr(ufunc, method)(*inputs, **kwargs)), ufunc

    w, seen = gelu(Wrapped([1.0, -1.0]))
    assert seen is gelu
    np.testing.assert_array_equal(w.a, gelu(np.array([1.0, -1.0])))
    w, seen = gelu_backward(2.0, Wrapped([0.0]))
    assert seen is gelu_backward and w.a[0] == 1.0


def test_ufunc_methods():
    x = np.linspace(-2, 2, 5)
    with pytest.raises(ValueError):
        gelu.reduce(x)        # unary ufuncs have no reduce, as np.exp
    y = x.copy()
    gelu.at(y, [0, 2])
    assert y[0] == gelu(-2.0) and y[2] == gelu(0.0) and y[1] == x[1]
    np.testing.assert_array_equal(gelu_backward.outer([1.0, 2.0], [0.0, 1.0]),
                                  np.array([[1.0], [2.0]]) * gelu_grad([0.0, 1.0]))
