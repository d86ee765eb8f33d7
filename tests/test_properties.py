"""Property tests (hypothesis) over every ufunc and dtype.

For arbitrary values (finite, infinite, NaN, subnormal, signed zeros), sizes,
strides (including negative), byte offsets (unaligned views), where= masks
and thread counts:

* each element equals the scalar path (the ufunc called on that element
  alone), bit for bit (NaN: any NaN);
* nothing is written outside `out`, nor where `where` is False;
* the inputs are never modified;
* results are bit-identical across thread counts and layouts.
"""
import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings, strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

import gelu_fast  # noqa: E402
from gelu_fast._bench import FUNCS  # noqa: E402

DTYPES = [np.float16, np.float32, np.float64]
SENTINEL = 0xA5          # byte pattern of the guard regions and masked-out slots
UINT = {2: np.uint16, 4: np.uint32, 8: np.uint64}

CASES = [(name, dt) for name in FUNCS for dt in DTYPES]
IDS = [f"{name}-{np.dtype(dt).name}" for name, dt in CASES]


def values(dtype, size):
    """Arrays of `dtype` drawn as bit patterns: any value at all (NaN
    payloads, infinities, subnormals, signed zeros, the extremes), mixed with
    ordinary values where the functions vary."""
    dtype = np.dtype(dtype)
    uint = UINT[dtype.itemsize]
    bits = dtype.itemsize * 8
    ordinary = st.floats(-60, 60, width=bits).map(lambda v: int(np.array(v, dtype).view(uint)))
    return hnp.arrays(uint, size, elements=st.one_of(st.integers(0, 2**bits - 1), ordinary)
                      ).map(lambda a: a.view(dtype))


def placed(data, step, offset, fill=None):
    """A view holding `data` inside a larger byte buffer: every `step`-th
    element (negative: reversed), starting `offset` bytes in (unaligned when
    offset is not a multiple of the item size), with guard bytes around.
    Returns (view, buffer)."""
    item = data.dtype.itemsize
    n = data.size
    span = max(n, 1) * abs(step) * item
    buf = np.full(span + 2 * 16 + offset, SENTINEL if fill is None else fill, dtype=np.uint8)
    start = 16 + offset + ((max(n, 1) - 1) * abs(step) * item if step < 0 else 0)
    view = np.ndarray((n,), dtype=data.dtype, buffer=buf, offset=start, strides=(step * item,))
    view[...] = data
    return view, buf


def same_bits(a, b):
    """Bit-equal, except that any NaN equals any NaN."""
    a, b = np.asarray(a), np.asarray(b)
    nan = np.isnan(a) & np.isnan(b)
    ua, ub = a.view(UINT[a.dtype.itemsize]), b.view(UINT[b.dtype.itemsize])
    return bool(np.all((ua == ub) | nan))


def scalar_path(u, inputs):
    dt = inputs[0].dtype.type
    return np.array([u(*(dt(a[i]) for a in inputs)) for i in range(inputs[0].size)],
                    dtype=inputs[0].dtype)


@pytest.mark.parametrize("name, dtype", CASES, ids=IDS)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_any_values_any_layout(name, dtype, data):
    u = getattr(gelu_fast, name)
    x = data.draw(values(dtype, st.integers(0, 200)), label="x")
    inputs = [x] if u.nin == 1 else [data.draw(values(dtype, x.size), label="g"), x]
    item = np.dtype(dtype).itemsize
    views, buffers = [], []
    for a in inputs:
        step = data.draw(st.sampled_from([1, 1, 2, 3, -1, -2]), label="input step")
        offset = data.draw(st.integers(0, 2 * item - 1), label="input byte offset")
        v, b = placed(a, step, offset)
        views.append(v)
        buffers.append(b)
    before = [b.copy() for b in buffers]
    out_step = data.draw(st.sampled_from([1, 1, 2, -1]), label="out step")
    out_offset = data.draw(st.integers(0, 2 * item - 1), label="out byte offset")
    out, out_buf = placed(np.zeros(x.size, dtype), out_step, out_offset)
    out_buf[...] = SENTINEL
    use_where = data.draw(st.booleans(), label="where")
    mask = data.draw(hnp.arrays(np.bool_, x.size), label="mask") if use_where else True
    untouched = out_buf.copy()

    with np.errstate(all="ignore"):
        got = u(*views, out=out, where=mask)
        expected = scalar_path(u, inputs)
    assert got is out
    for b, b0 in zip(buffers, before):
        np.testing.assert_array_equal(b, b0, err_msg="an input was modified")
    m = np.broadcast_to(mask, x.shape)
    assert same_bits(out[m], expected[m]), "differs from the scalar path"
    # masked-out slots and everything outside `out` keep their bytes
    written = np.zeros(out_buf.size, dtype=bool)
    starts = (out.__array_interface__["data"][0] - out_buf.__array_interface__["data"][0]
              + np.arange(x.size) * out.strides[0])
    for s in starts[m]:
        written[s:s + item] = True
    np.testing.assert_array_equal(out_buf[~written], untouched[~written],
                                  err_msg="bytes written outside out/where")


@pytest.mark.parametrize("name", FUNCS)
@settings(max_examples=8, deadline=None)
@given(n=st.integers(16_384, 80_000), seed=st.integers(0, 2**32 - 1),
       dtype=st.sampled_from(DTYPES), threads=st.integers(2, 5), step=st.sampled_from([1, 2, -1]))
@pytest.mark.filterwarnings("ignore:set_num_threads.*more threads than:RuntimeWarning")
def test_bit_identical_across_threads_and_layouts(name, n, seed, dtype, threads, step):
    """Large inputs (split across threads) against one thread, contiguous
    against strided: the same bits."""
    u = getattr(gelu_fast, name)
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(n) * rng.choice([1, 5, 40], n)).astype(dtype)
    x[rng.integers(0, n, 20)] = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0] * 4, dtype=dtype)
    inputs = [x] if u.nin == 1 else [rng.standard_normal(n).astype(dtype), x]
    try:
        gelu_fast.set_num_threads(1)
        with np.errstate(all="ignore"):
            one = u(*inputs)
            gelu_fast.set_num_threads(threads)
            many = u(*inputs)
            views = [placed(a, step, 0)[0] for a in inputs]
            strided = u(*views)
    finally:
        gelu_fast.reset_num_threads()
    assert same_bits(one, many)
    assert same_bits(one, strided)
