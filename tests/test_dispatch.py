"""SIMD level dispatch: GELU_FAST_SIMD, show_config, and every level tested."""
import os
import subprocess
import sys

import numpy as np
import pytest

import gelu_fast
from gelu_fast import _dispatch

HERE = os.path.dirname(os.path.abspath(__file__))


def run_python(code, **env):
    full = dict(os.environ, **env)
    return subprocess.run([sys.executable, "-c", code], env=full, capture_output=True, text=True)


def test_default_level_is_best_usable():
    usable = [lvl for lvl in _dispatch.LEVELS if lvl in _dispatch.BUILT and lvl in _dispatch.SUPPORTED]
    if not os.environ.get("GELU_FAST_SIMD"):
        assert _dispatch.LEVEL == usable[-1]
    assert "baseline" in _dispatch.BUILT and "baseline" in _dispatch.SUPPORTED


def test_choose_level_rules():
    built, supported = ("baseline", "avx2", "avx512"), ("baseline", "avx2")
    assert _dispatch.choose_level(None, built, supported) == "avx2"
    assert _dispatch.choose_level("", built, supported) == "avx2"
    assert _dispatch.choose_level(" Baseline ", built, supported) == "baseline"
    with pytest.raises(ImportError, match="not supported by this CPU.*use one of: baseline, avx2"):
        _dispatch.choose_level("avx512", built, supported)
    with pytest.raises(ImportError, match="was not built"):
        _dispatch.choose_level("avx2", ("baseline",), supported)
    with pytest.raises(ImportError, match="'sse9' is not a SIMD level"):
        _dispatch.choose_level("sse9", built, supported)


@pytest.mark.parametrize("value", ["sse9", "avx1024"])
def test_bad_env_value_is_a_clear_import_error(value):
    r = run_python("import gelu_fast", GELU_FAST_SIMD=value)
    assert r.returncode != 0
    assert "GELU_FAST_SIMD" in r.stderr and "use one of" in r.stderr


def test_show_config(capsys):
    info = gelu_fast.show_config()
    text = capsys.readouterr().out
    assert info["simd_level"] == _dispatch.LEVEL
    assert info["version"] == gelu_fast.__version__
    assert info["threads"] == gelu_fast.get_num_threads()
    for key in ("compiler", "cflags", "openmp", "simd_levels_built", "simd_levels_supported"):
        assert key in info
    assert _dispatch.LEVEL in text and "OpenMP" in text and gelu_fast.__version__ in text
    assert "-ffast-math" not in info["cflags"]


LEVELS_HERE = [lvl for lvl in _dispatch.LEVELS if lvl in _dispatch.BUILT and lvl in _dispatch.SUPPORTED]


@pytest.mark.parametrize("level", LEVELS_HERE)
def test_level_loads_and_agrees(level):
    code = ("import gelu_fast, numpy as np; from gelu_fast import _dispatch; "
            "print(_dispatch.LEVEL); "
            "print(repr(float(gelu_fast.gelu(-5.0))), repr(float(gelu_fast.gelu_grad(np.float32(1.5)))))")
    r = run_python(code, GELU_FAST_SIMD=level)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.split()
    assert lines[0] == level
    # levels differ in FMA use, not by more than the accuracy bounds
    assert abs(float(lines[1]) - float(gelu_fast.gelu(-5.0))) <= 4 * np.spacing(abs(gelu_fast.gelu(-5.0)))
    # float32: the avx2/avx512 levels have float32-arithmetic kernels of their own (<= 2 ULP each)
    g32 = gelu_fast.gelu_grad(np.float32(1.5))
    assert abs(float(lines[2]) - float(g32)) <= 4 * float(np.spacing(g32))


@pytest.mark.skipif(bool(os.environ.get("GELU_FAST_SIMD")), reason="already running under one level")
@pytest.mark.parametrize("level", [lvl for lvl in LEVELS_HERE if lvl != _dispatch.LEVEL])
def test_accuracy_and_reproducibility_under_every_level(level):
    """The accuracy, special-value and layout tests, run again under each
    other level this machine supports (the default level runs them directly)."""
    tests = [os.path.join(HERE, f)
             for f in ("test_accuracy.py", "test_special.py", "test_threads.py", "test_bfloat16.py")]
    tests.append(os.path.join(HERE, "test_ufunc.py") + "::test_layouts_bit_identical")
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests],
                       env=dict(os.environ, GELU_FAST_SIMD=level), capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
