"""Shared sample points for the gelu_fast tests."""
import numpy as np
import pytest

import gelu_fast


def accuracy_points(dtype):
    """Inputs for the accuracy tests: thousands of points over the whole range.

    Uniform over [-40, 40] (float64) / [-20, 20] (float32) and down to where
    gelu_sigmoid underflows, dense near zero, the underflow edges of the
    three functions (gelu ~ -38 / ~ -14), the zeros of their derivatives
    (gelu_grad's at -0.7518), log-spaced magnitudes down to the subnormals and up to the
    largest finite value, and the exact extremes of the format.
    """
    dtype = np.dtype(dtype)
    info = np.finfo(dtype)
    rng = np.random.default_rng(20261124)
    big = 40.0 if dtype == np.float64 else 20.0
    f64 = dtype == np.float64
    # underflow edges of gelu, gelu_tanh, gelu_sigmoid
    edges = [-38.5, -20.22, -440.97] if f64 else [-14.1, -10.74, -63.12]
    # zeros of gelu_grad, gelu_tanh_grad, gelu_sigmoid_grad
    zeros = [-0.7517915, -0.7524614, -0.7511543]
    parts = [
        rng.uniform(-big, big, 2000),
        rng.uniform(-9, 9, 1000),
        rng.standard_normal(400),
        rng.uniform(-500 if f64 else -70, -big, 200),
    ]
    parts += [e + rng.uniform(-1.5, 1.5, 150) for e in edges]
    parts += [z + rng.uniform(-1e-3, 1e-3, 60) for z in zeros]
    parts += [z + rng.uniform(-1e-7, 1e-7, 30) for z in zeros]
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
