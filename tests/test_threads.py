"""Thread control, reproducibility across thread counts, concurrent calls."""
import os
import subprocess
import sys
import threading
import warnings

import numpy as np
import pytest

import gelu_fast
from gelu_fast import gelu

N = 1_000_003          # above the parallel threshold, not a multiple of any vector width
# tests that use more threads than a small machine has CPUs, on purpose
oversubscribed = pytest.mark.filterwarnings("ignore:set_num_threads:RuntimeWarning")


@oversubscribed
def test_thread_api():
    gelu_fast.set_num_threads(3)
    assert gelu_fast.get_num_threads() == 3
    gelu_fast.set_num_threads(np.int64(1))
    assert gelu_fast.get_num_threads() == 1
    for bad in (0, -2):
        with pytest.raises(ValueError, match=">= 1"):
            gelu_fast.set_num_threads(bad)
    for bad in (1.5, "2", None, True):
        with pytest.raises(TypeError):
            gelu_fast.set_num_threads(bad)
    assert gelu_fast.get_num_threads() == 1          # a failed call changes nothing
    gelu_fast.reset_num_threads()
    assert gelu_fast.get_num_threads() >= 1


def test_available_cpus(monkeypatch):
    """The CPUs this process may use: its affinity mask where the OS has one."""
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 2, 5}, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    assert gelu_fast._available_cpus() == 3
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)       # macOS, Windows
    assert gelu_fast._available_cpus() == 64
    monkeypatch.setattr(os, "cpu_count", lambda: None)                # undeterminable
    assert gelu_fast._available_cpus() == 1


def test_more_threads_than_cpus_warns(monkeypatch):
    monkeypatch.setattr(gelu_fast, "_available_cpus", lambda: 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                 # none for 1..4
        for n in (1, 3, 4, np.int32(4)):
            gelu_fast.set_num_threads(n)
    with pytest.warns(RuntimeWarning, match=r"set_num_threads\(999\).* 4 CPUs") as record:
        gelu_fast.set_num_threads(999)
    assert len(record) == 1
    assert record[0].filename == __file__            # points at the caller
    assert gelu_fast.get_num_threads() == 999          # accepted: oversubscription can be deliberate
    with pytest.warns(RuntimeWarning, match=r"\(5\)"):
        gelu_fast.set_num_threads(np.int64(5))
    assert gelu_fast.get_num_threads() == 5
    for bad in (0, -2):                                # invalid counts: an error, not a warning
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(ValueError, match=">= 1"):
                gelu_fast.set_num_threads(bad)


def test_omp_num_threads_is_honoured():
    code = "import gelu_fast; print(gelu_fast.get_num_threads())"
    for n in ("1", "3"):
        env = dict(os.environ, OMP_NUM_THREADS=n)
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                             check=True).stdout
        assert out.strip() == n


@oversubscribed
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_bit_identical_across_thread_counts(dtype):
    rng = np.random.default_rng(5)
    x = (rng.standard_normal(N) * 5).astype(dtype)
    g = rng.standard_normal(N).astype(dtype)
    names = [f + k for f in ("gelu", "gelu_tanh", "gelu_sigmoid") for k in ("", "_grad", "_backward")]
    funcs = [getattr(gelu_fast, n) for n in names]
    results = {}
    for nt in (1, 2, 3, 4):
        gelu_fast.set_num_threads(nt)
        results[nt] = [u(x) if u.nin == 1 else u(g, x) for u in funcs]
    for nt in (2, 3, 4):
        for a, b in zip(results[1], results[nt]):
            np.testing.assert_array_equal(a.view(np.uint8), b.view(np.uint8))
    # the single-threaded strided path agrees too
    strided = np.empty(2 * N, dtype)[::2]
    strided[...] = x
    np.testing.assert_array_equal(gelu(strided), results[1][0])


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_chunk_boundaries(dtype):
    """Sizes around the dtype's parallel threshold and the chunk rounding."""
    gelu_fast.set_num_threads(2)
    m = gelu_fast._kernel.parallel_min()[np.dtype(dtype).name]
    rng = np.random.default_rng(6)
    for n in (m - 1, m, m + 1, 2 * m - 1, 2 * m + 63, 4 * m + 1):
        x = rng.standard_normal(n).astype(dtype)
        y = gelu(x)
        np.testing.assert_array_equal(y, gelu(x[::-1])[::-1])     # the reversed view runs serial


def test_parallel_thresholds():
    kernel = gelu_fast._kernel
    saved = kernel.parallel_min()
    assert saved == {"float16": 4096, "float32": 8192, "float64": 4096, "bfloat16": 4096}
    assert gelu_fast.show_config(file=open(os.devnull, "w"))["parallel_min"] == saved
    for bad_dtype in ("float128", "int32"):
        with pytest.raises(ValueError, match="no such dtype"):
            kernel._set_parallel_min(bad_dtype, 100)
    with pytest.raises(ValueError, match=">= 2"):
        kernel._set_parallel_min("float32", 1)
    assert kernel.parallel_min() == saved            # failed calls change nothing
    # a threshold of 2 sends tiny arrays through the threaded path: same bits
    rng = np.random.default_rng(9)
    gelu_fast.set_num_threads(2)
    try:
        for dtype in saved:
            if dtype == "bfloat16" and gelu_fast._bfloat16 is None:
                continue                            # ml_dtypes not installed
            x = (5 * rng.standard_normal(1001)).astype(dtype)
            g = rng.standard_normal(1001).astype(dtype)
            serial = [gelu(x), gelu_fast.gelu_sigmoid_backward(g, x)]
            kernel._set_parallel_min(dtype, 2)
            assert kernel.parallel_min()[dtype] == 2
            threaded = [gelu(x), gelu_fast.gelu_sigmoid_backward(g, x)]
            for a, b in zip(serial, threaded):
                np.testing.assert_array_equal(a.view(np.uint8), b.view(np.uint8))
    finally:
        for dtype, n in saved.items():
            kernel._set_parallel_min(dtype, n)
    assert kernel.parallel_min() == saved


SIMD_NAMES = [f + k for f in ("gelu", "gelu_tanh", "gelu_sigmoid") for k in ("", "_grad", "_backward")]


def test_streaming_stores_same_bits():
    """Large outputs are written with non-temporal stores (after a masked head
    up to the first aligned vector): forced on for small arrays, every output
    alignment, length, in place and on 2 threads give the same bits."""
    kernel = gelu_fast._kernel
    saved = kernel.stream_min_bytes()
    assert saved == 16 << 20
    info = gelu_fast.show_config(file=open(os.devnull, "w"))
    assert info["stream_min_bytes"] == (saved if info["simd_kernels"] else None)
    with pytest.raises(ValueError, match=">= 0"):
        kernel._set_stream_min_bytes(-1)
    assert kernel.stream_min_bytes() == saved
    rng = np.random.default_rng(12)
    dtypes = [np.float16, np.float32, np.float64] + ([gelu_fast._bfloat16] if gelu_fast._bfloat16 else [])
    try:
        for dtype in dtypes:
            x = (5 * rng.standard_normal(20_011)).astype(dtype)
            g = rng.standard_normal(20_011).astype(dtype)
            x[:4] = [np.inf, -np.inf, np.nan, -0.0]
            funcs = [getattr(gelu_fast, name) for name in SIMD_NAMES]
            ref = [u(x) if u.nin == 1 else u(g, x) for u in funcs]
            kernel._set_stream_min_bytes(0)
            for u, r in zip(funcs, ref):
                args = (x,) if u.nin == 1 else (g, x)
                for nt in (1, 2):
                    gelu_fast.set_num_threads(nt)
                    buf = np.empty(x.size + 40, dtype)
                    for off in (0, 1, 3, 8, 15, 16, 17, 31):
                        for n in (0, 1, 15, 33, 1000, 20_011 - off):
                            buf[...] = 7
                            out = buf[off:off + n]
                            u(*(a[:n] for a in args), out=out)
                            np.testing.assert_array_equal(out.view(np.uint16 if out.itemsize == 2 else np.uint8),
                                                          r[:n].view(np.uint16 if out.itemsize == 2 else np.uint8))
                            # nothing written before or after the output
                            assert (buf[:off].astype(np.float32) == 7).all()
                            assert (buf[off + n:].astype(np.float32) == 7).all()
                    inplace = x.copy()
                    u(*args[:-1], inplace, out=inplace)
                    np.testing.assert_array_equal(inplace.view(np.uint8), r.view(np.uint8))
            kernel._set_stream_min_bytes(saved)
    finally:
        kernel._set_stream_min_bytes(saved)
        gelu_fast.reset_num_threads()
    assert kernel.stream_min_bytes() == saved


def test_concurrent_python_threads():
    rng = np.random.default_rng(7)
    x = rng.standard_normal(300_000).astype(np.float32)
    expected = gelu(x)
    errors = []

    def work():
        try:
            for _ in range(10):
                if not np.array_equal(gelu(x), expected):
                    errors.append("mismatch")
        except Exception as e:            # pragma: no cover - reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


@oversubscribed
def test_set_num_threads_while_computing():
    x = np.random.default_rng(8).standard_normal(500_000)
    expected = gelu(x)
    stop = threading.Event()
    bad = []

    def compute():
        while not stop.is_set():
            if not np.array_equal(gelu(x), expected):
                bad.append(1)

    workers = [threading.Thread(target=compute) for _ in range(3)]
    for w in workers:
        w.start()
    for i in range(200):
        gelu_fast.set_num_threads(1 + i % 3)
    stop.set()
    for w in workers:
        w.join()
    assert not bad
