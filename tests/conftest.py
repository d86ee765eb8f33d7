"""Shared sample points for the gelu_fast tests."""
import numpy as np
import pytest

import gelu_fast


def accuracy_points(dtype):
    """Inputs for the accuracy tests: thousands of points over the whole range.

    Uniform over [-40, 40] (float64) / [-20, 20] (float32), dense near zero,
    the underflow edge of gelu (~ -38 / ~ -14), the zero of gelu_grad at
    -0.7518, log-spaced magnitudes down to the subnormals and up to the
    largest finite value, and the exact extremes of the format.
    """
    dtype = np.dtype(dtype)
    info = np.finfo(dtype)
    rng = np.random.default_rng(20261124)
    big = 40.0 if dtype == np.float64 else 20.0
    edge = (-38.7, -37.0) if dtype == np.float64 else (-14.5, -12.5)
    parts = [
        rng.uniform(-big, big, 2500),
        rng.uniform(-9, 9, 1500),
        rng.standard_normal(500),
        rng.uniform(*edge, 500),
        -0.7517915 + rng.uniform(-1e-3, 1e-3, 200),
        -0.7517915 + rng.uniform(-1e-7, 1e-7, 100),
    ]
    lo, hi = np.log10(float(info.smallest_subnormal)), np.log10(float(info.max))
    mags = 10.0 ** np.linspace(lo, hi - 1e-9, 400)
    parts += [mags, -mags]
    x = np.concatenate(parts).astype(dtype)
    extremes = np.array([info.max, -info.max, info.tiny, -info.tiny, info.smallest_subnormal,
                         -info.smallest_subnormal, 0.0, -0.0, 1.0, -1.0], dtype=dtype)
    return np.unique(np.concatenate([x, extremes]))


@pytest.fixture(autouse=True)
def _restore_threads():
    yield
    gelu_fast.reset_num_threads()
