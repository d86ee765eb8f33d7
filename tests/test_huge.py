"""Arrays of more than 2**31 elements (slow: ~8 GiB of memory, about a
minute).  Run with

    python -m pytest -m slow tests/test_huge.py

The loops index with npy_intp and split work into per-thread chunks of
npy_intp length; an int32 index or chunk size anywhere would wrap here and
leave the last elements wrong or unwritten."""
import os

import numpy as np
import pytest

import gelu_fast

N = 2**31 + 2**16 + 3               # past 2**31, and not a multiple of any vector width


def available_bytes():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


@pytest.mark.slow
@pytest.mark.parametrize("threads", [1, os.cpu_count() or 1])
def test_more_than_2_to_the_31_elements(threads):
    need = 2 * N * 2 + 2**30                       # float16 input + output, and headroom
    have = available_bytes()
    if have is not None and have < need:
        pytest.skip(f"needs {need / 2**30:.1f} GiB of free memory, {have / 2**30:.1f} GiB available")
    tail = np.linspace(-12, 12, 8192).astype(np.float16)
    x = np.zeros(N, dtype=np.float16)
    x[-tail.size:] = tail                          # the last elements, and ...
    x[2**31 - 8:2**31 + 8] = tail[:16]             # ... those around 2**31
    out = np.full(N, np.nan, dtype=np.float16)
    gelu_fast.set_num_threads(threads)
    try:
        gelu_fast.gelu(x, out=out)
    finally:
        gelu_fast.reset_num_threads()
    np.testing.assert_array_equal(out[-tail.size:], gelu_fast.gelu(tail))
    np.testing.assert_array_equal(out[2**31 - 8:2**31 + 8], gelu_fast.gelu(tail[:16]))
    # everything else was zero in, zero out: no element skipped or left NaN
    assert not np.isnan(out).any()
    assert np.count_nonzero(out[: 2**31 - 8]) == 0
