"""gelu_fast on Dask arrays: lazy through __array_ufunc__, the same bits as
on NumPy arrays, and on a distributed LocalCluster whose worker processes
receive the pickled ufuncs."""
import logging

import numpy as np
import pytest

da = pytest.importorskip("dask.array")

import gelu_fast  # noqa: E402


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((300, 200)) * 6).astype(np.float32)
    g = rng.standard_normal((300, 200)).astype(np.float32)
    return x, g


@pytest.mark.parametrize("name", ["gelu", "gelu_grad", "gelu_tanh", "gelu_sigmoid_grad"])
def test_lazy_and_equal(data, name):
    x, _ = data
    u = getattr(gelu_fast, name)
    dx = da.from_array(x, chunks=(128, 64))
    dy = u(dx)
    assert isinstance(dy, da.Array)                 # lazy: nothing computed yet
    assert dy.dtype == np.float32 and dy.chunks == dx.chunks
    np.testing.assert_array_equal(dy.compute(scheduler="threads"), u(x))


def test_backward_broadcasting(data):
    x, g = data
    dx, dg = da.from_array(x, chunks=100), da.from_array(g[:1], chunks=100)
    y = gelu_fast.gelu_backward(dg, dx)
    assert y.shape == x.shape and y.dtype == np.float32
    np.testing.assert_array_equal(y.compute(), gelu_fast.gelu_backward(g[:1], x))


def test_distributed_local_cluster(data):
    """Worker processes on loopback: the ufuncs travel pickled to them."""
    distributed = pytest.importorskip("distributed")
    x, g = data
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None,
                                  silence_logs=logging.ERROR) as cluster, distributed.Client(cluster) as client:
        dx = da.from_array(x, chunks=(75, 200))
        dg = da.from_array(g, chunks=(75, 200))
        y = gelu_fast.gelu(dx) + gelu_fast.gelu_tanh_backward(dg, dx)
        result = client.compute(y).result()
        # the work really ran in the worker processes, with gelu_fast imported there
        pids = client.run(lambda: __import__("os").getpid())
        loaded = client.run(lambda: "gelu_fast" in __import__("sys").modules)
    assert len(pids) == 2 and all(loaded.values())
    np.testing.assert_array_equal(result, gelu_fast.gelu(x) + gelu_fast.gelu_tanh_backward(g, x))
