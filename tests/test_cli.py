"""python -m gelu_fast: info, bench, accuracy (tables, --json, --plot,
the exhaustive float16/float32 machinery) and its handling of wrong arguments."""
import io
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import gelu_fast
from gelu_fast import _bench, _cli


def run(capsys, *argv):
    code = _cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_info_is_the_default(capsys):
    code, out, _ = run(capsys)
    assert code == 0
    assert "SIMD level" in out and "optional packages" in out
    code2, out2, _ = run(capsys, "info")
    assert code2 == 0 and out2 == out


@pytest.mark.parametrize("argv, message", [
    (["bench", "--funcs", "gelu,relu"], "unknown function 'relu'"),
    (["bench", "--dtypes", "int8"], "unknown dtype 'int8'"),
    (["bench", "--sizes", "0"], "sizes must be whole numbers"),
    (["bench", "--sizes", "1e3,abc"], "got 'abc'"),
    (["bench", "--sizes", "1.5"], "sizes must be whole numbers"),
    (["bench", "--threads", "0"], "threads must be positive"),
    (["bench", "--min-time", "-1"], "must be a positive number"),
    (["bench", "--with", "tensorflow"], "unknown implementation"),
    (["bench", "--json", "/nonexistent-dir/x.json"], "does not exist"),
    (["accuracy", "--points", "0"], "must be a positive number"),
    (["accuracy", "--jobs", "two"], "must be a positive number"),
    (["frobnicate"], "invalid choice"),
    (["bench", "--no-such-option"], "unrecognized arguments"),
])
def test_wrong_arguments_exit_2(capsys, argv, message):
    with pytest.raises(SystemExit) as exc:
        _cli.main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "usage:" in err and "Traceback" not in err


def no_work(*args, **kwargs):
    raise AssertionError("work started after a wrong argument")


@pytest.mark.parametrize("argv, message", [
    (["bench", "--threads", "3"], "--threads 3: more than the 2 CPUs available"),
    (["bench", "--threads", "1,8"], "--threads 8: more than the 2 CPUs available"),
    (["accuracy", "--exhaustive", "--dtypes", "float16", "--jobs", "5"], "--jobs 5: more than the 2 CPUs"),
])
def test_more_threads_than_cpus_refused(capsys, monkeypatch, argv, message):
    monkeypatch.setattr(gelu_fast, "_available_cpus", lambda: 2)
    for name in ("run_bench", "_machine", "run_exhaustive", "_accuracy_sample"):
        monkeypatch.setattr(_cli, name, no_work)
    with pytest.raises(SystemExit) as exc:
        _cli.main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "--force" in err and "Traceback" not in err
    assert len([ln for ln in err.splitlines() if "error:" in ln]) == 1


def test_more_threads_than_cpus_with_force(capsys, monkeypatch):
    monkeypatch.setattr(gelu_fast, "_available_cpus", lambda: 2)
    code, out, err = run(capsys, "bench", "--funcs", "gelu", "--dtypes", "float32", "--sizes", "1e4",
                         "--threads", "3", "--force", "--with", "numpy", "--min-time", "0.01")
    assert code == 0
    assert [ln.split()[:4] for ln in out.splitlines() if ln.startswith("gelu ")] == [
        ["gelu", "float32", "1e4", "3"]]


def test_threads_all_is_the_available_cpus(monkeypatch):
    monkeypatch.setattr(gelu_fast, "_available_cpus", lambda: 3)
    args = _cli.build_parser().parse_args(["bench", "--threads", "1,all"])
    assert args.threads == [1, 3]
    assert _cli.build_parser().parse_args(["accuracy"]).jobs == 3


def test_wrong_argument_in_a_real_process():
    p = subprocess.run([sys.executable, "-m", "gelu_fast", "bench", "--sizes", "-5"],
                       capture_output=True, text=True)
    assert p.returncode == 2
    assert "sizes must be whole numbers" in p.stderr and "Traceback" not in p.stderr
    assert p.stdout == ""


def test_bench_table_and_json(capsys, tmp_path):
    path = tmp_path / "bench.json"
    default_threads = gelu_fast.get_num_threads()
    code, out, err = run(capsys, "bench", "--funcs", "gelu,gelu_backward", "--dtypes", "float32",
                         "--sizes", "1000,5000", "--threads", "1,2", "--with", "numpy",
                         "--min-time", "0.01", "--json", str(path))
    assert code == 0
    data = json.loads(path.read_text())
    ours = [r for r in data["results"] if r["label"] == "gelu_fast"]
    assert {(r["func"], r["size"], r["threads"]) for r in ours} == {
        (f, n, t) for f in ("gelu", "gelu_backward") for n in (1000, 5000) for t in (1, 2)}
    for r in data["results"]:
        assert r["seconds"] > 0
        assert r["gelem_per_s"] == pytest.approx(r["size"] / r["seconds"] / 1e9)
    assert data["machine"]["simd_level"] == gelu_fast.show_config(file=open(os.devnull, "w"))["simd_level"]
    # the table: one line per case, gelu_fast's throughput as in the JSON
    lines = [ln for ln in out.splitlines() if ln.startswith(("gelu ", "gelu_backward "))]
    assert len(lines) == 8
    first = lines[0].split()
    assert first[:4] == ["gelu", "float32", "1e3", "1"]
    assert float(first[4]) == pytest.approx(ours[0]["gelem_per_s"], abs=5e-4)
    assert "done in" in err                               # progress went to stderr
    assert "gelu float32 n=1e3 threads=1" in err
    assert gelu_fast.get_num_threads() == default_threads           # thread count restored


def test_bench_compares_with_the_reference_formula(capsys):
    pytest.importorskip("scipy")
    results, notes = _cli.run_bench(["gelu"], ["float64"], [2000], [1], ["numpy"], 0.01,
                                    progress=_cli.Progress(1, open(os.devnull, "w")))
    labels = {r["label"] for r in results}
    assert labels == {"gelu_fast", "numpy"}


def test_bench_plot(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "bench.png"
    code, _, _ = run(capsys, "bench", "--funcs", "gelu,gelu_tanh", "--dtypes", "float32,float64",
                     "--sizes", "1e3,1e4", "--with", "numpy", "--min-time", "0.01", "--plot", str(path))
    assert code == 0
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".tmp-")]


def test_plot_without_matplotlib(capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)        # import fails
    path = tmp_path / "x.png"
    with pytest.raises(SystemExit) as exc:
        _cli.main(["bench", "--plot", str(path)])
    assert exc.value.code == 2
    assert "needs matplotlib" in capsys.readouterr().err
    assert not path.exists()


def test_unknown_image_type(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    with pytest.raises(SystemExit) as exc:
        _cli.main(["accuracy", "--plot", str(tmp_path / "x.docx")])
    assert exc.value.code == 2 and "unknown image type" in capsys.readouterr().err


def test_accuracy_table_and_json(capsys, tmp_path):
    pytest.importorskip("mpmath")
    pytest.importorskip("scipy")
    path = tmp_path / "acc.json"
    code, out, _ = run(capsys, "accuracy", "--funcs", "gelu,gelu_grad,gelu_backward",
                       "--dtypes", "float32,float64", "--points", "400", "--with", "numpy",
                       "--json", str(path))
    assert code == 0
    rows = json.loads(path.read_text())["sample"]
    assert [(r["func"], r["dtype"]) for r in rows] == [
        (f, d) for d in ("float32", "float64") for f in ("gelu", "gelu_grad", "gelu_backward")]
    for r in rows:
        assert r["points"] == 400 and r["reference"] == "mpmath"
        assert 0 <= r["mean_ulp"] <= r["max_ulp"] <= r["bound_ulp"]
    gelu32 = rows[0]
    assert gelu32["max_ulp"] > 0.3                   # a real measurement, not zeros
    assert gelu32["others_max_ulp"]["numpy"] > 1e6   # the textbook formula in the tail
    assert "gelu_backward" in out and "numpy max" in out


def test_accuracy_without_mpmath_uses_the_float64_reference(capsys, monkeypatch, tmp_path):
    pytest.importorskip("scipy")
    monkeypatch.setitem(sys.modules, "mpmath", None)
    path = tmp_path / "acc.json"
    code, _, err = run(capsys, "accuracy", "--funcs", "gelu_tanh,gelu_tanh_grad", "--points", "500",
                       "--with", "numpy", "--json", str(path))
    assert code == 0
    rows = json.loads(path.read_text())["sample"]
    assert {r["dtype"] for r in rows} == set(_bench.DTYPES) - {"float64"}      # float64 needs mpmath
    assert all(r["reference"] == "scipy-float64" and r["max_ulp"] <= r["bound_ulp"] for r in rows)
    assert "float64 needs it" in err


def test_accuracy_plot(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    pytest.importorskip("mpmath")
    path = tmp_path / "acc.png"
    code, _, _ = run(capsys, "accuracy", "--funcs", "gelu,gelu_sigmoid_grad", "--points", "300",
                     "--with", "numpy", "--plot", str(path))
    assert code == 0
    assert path.read_bytes()[:4] == b"\x89PNG" and path.stat().st_size > 10_000


# ---- the exhaustive float32 check ------------------------------------------

TAIL = 0xC1000000           # float32 bit patterns from -8.0 down (the negative tail)
ONE = 0x3F800000            # from 1.0 up
NANS = 0x7FC00000           # quiet NaNs


@pytest.mark.parametrize("start", [TAIL, ONE, NANS])
def test_exhaustive_chunk_within_the_bound(start):
    pytest.importorskip("scipy")
    part = _cli.exhaustive_chunk((start, _bench.FUNCS, None))
    assert set(part) == {"gelu", "gelu_grad", "gelu_backward", "gelu_tanh", "gelu_tanh_grad",
                         "gelu_tanh_backward", "gelu_sigmoid", "gelu_sigmoid_grad", "gelu_sigmoid_backward",
                         "gelu_grad2", "gelu_tanh_grad2", "gelu_sigmoid_grad2"}
    for func, (mx, at_x, at_g, total, count) in part.items():
        assert count == _cli.EXHAUSTIVE_CHUNK
        assert mx <= 2.0, (func, mx, at_x)
        if start == NANS:
            assert mx == 0.0                 # NaN in, NaN out
        elif not func.endswith("backward") and not (start == ONE and func.endswith("grad2")):
            # measured, not zeros (on [1, 2) the second derivatives' terms cancel
            # throughout: there the measure is the excess over the term-relative bound)
            assert mx > 0.2


def test_exhaustive_chunk_finds_errors():
    """A function one ULP off, and one that loses NaN, are caught."""
    pytest.importorskip("scipy")

    def one_ulp_off(x):
        return np.nextafter(gelu_fast.gelu(x), np.float32(np.inf))

    def zero_for_nan(x):
        return np.nan_to_num(gelu_fast.gelu(x), nan=0.0)
    own = _cli.exhaustive_chunk((TAIL, ("gelu",), None))["gelu"][0]
    part = _cli.exhaustive_chunk((TAIL, ("gelu",), {"gelu": one_ulp_off}))
    assert max(1.0, own) < part["gelu"][0] <= own + 1.0 + 1e-9    # one ULP more than the kernel's own error
    part = _cli.exhaustive_chunk((NANS, ("gelu",), {"gelu": zero_for_nan}))
    assert part["gelu"][0] == np.inf


def test_exhaustive_runs_on_worker_processes():
    pytest.importorskip("scipy")
    with open(os.devnull, "w") as devnull:
        res = _cli.run_exhaustive(["gelu", "gelu_tanh_grad"], jobs=2, progress_stream=devnull,
                                  starts=[ONE, TAIL])
    for func in ("gelu", "gelu_tanh_grad"):
        assert res[func]["inputs"] == 2 * _cli.EXHAUSTIVE_CHUNK
        assert 0.2 < res[func]["max_ulp"] <= 2.0
        assert 0 < res[func]["mean_ulp"] < res[func]["max_ulp"]


@pytest.mark.parametrize("dtypes", ["float64", "float16,float64", "all"])
def test_exhaustive_refuses_float64_before_any_work(capsys, monkeypatch, dtypes):
    for name in ("_machine", "run_exhaustive", "exhaustive_chunk", "_accuracy_sample"):
        monkeypatch.setattr(_cli, name, no_work)
    with pytest.raises(SystemExit) as exc:
        _cli.main(["accuracy", "--dtypes", dtypes, "--exhaustive"])
    assert exc.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    errors = [ln for ln in err.splitlines() if "error:" in ln]
    assert len(errors) == 1 and "--exhaustive" in errors[0] and "float64" in errors[0]
    assert "float16" in errors[0] and "float32" in errors[0]          # what it can do instead


def every_16_bit_input_within_one_ulp(res):
    """The exhaustive result of a 16-bit dtype: every ufunc, all 65,536
    inputs, within its 1-ULP bound, and measured (not zeros)."""
    assert set(res) == set(_bench.FUNCS)
    for func, r in res.items():
        assert r["inputs"] == 2**16
        assert r["max_ulp"] <= 1.0, (func, r)
        if not func.endswith("backward"):
            assert r["max_ulp"] > 0.2, (func, r)          # measured, not zeros


def test_exhaustive_float16(capsys, monkeypatch, tmp_path):
    """Every float16 input (65,536 bit patterns) through every ufunc: a few
    seconds, within the float16 bound of 1 ULP; no float32 input is run."""
    pytest.importorskip("scipy")
    original = _cli.exhaustive_chunk

    def float16_only(task):
        part = original(task)
        assert all(count <= 2**16 for *_, count in part.values()), "float32 inputs were run"
        return part
    monkeypatch.setattr(_cli, "exhaustive_chunk", float16_only)
    path = tmp_path / "acc.json"
    code, out, err = run(capsys, "accuracy", "--dtypes", "float16", "--exhaustive", "--points", "50",
                         "--with", "numpy", "--jobs", "1", "--json", str(path))
    assert code == 0
    data = json.loads(path.read_text())
    assert data["exhaustive_float32"] is None
    res = data["exhaustive_float16"]
    every_16_bit_input_within_one_ulp(res)
    assert "Every float16 input" in out and "65,536" in out
    assert "Every float32 input" not in out


def test_exhaustive_float16_finds_errors():
    pytest.importorskip("scipy")

    def one_ulp_off(x):
        y = gelu_fast.gelu(x)
        with np.errstate(over="ignore"):
            up = np.nextafter(y, np.float16(np.inf))
        return np.where(np.isfinite(up), up, y)          # not past the largest float16
    with open(os.devnull, "w") as devnull:
        res = _cli.run_exhaustive(["gelu"], jobs=1, progress_stream=devnull, fns={"gelu": one_ulp_off},
                                  dtype="float16")
    # one ULP more than the kernel's error (2.5 where the result crosses a power of 2)
    assert 1.0 < res["gelu"]["max_ulp"] <= 2.5
    assert res["gelu"]["inputs"] == 2**16


def test_exhaustive_prints_an_eta():
    """Once the rate is known (the first chunk after each process's first),
    one line 'ETA ~...'."""
    pytest.importorskip("scipy")
    stream = io.StringIO()
    _cli.run_exhaustive(["gelu"], jobs=1, progress_stream=stream,
                        starts=[ONE, TAIL, ONE + _cli.EXHAUSTIVE_CHUNK])
    lines = stream.getvalue().splitlines()
    eta = [ln for ln in lines if ln.startswith("ETA ~")]
    assert len(eta) == 1, lines
    assert lines.index(eta[0]) == 2                  # after the second chunk of three


def test_console_script():
    exe = shutil.which("gelu-fast")
    if exe is None:
        pytest.skip("the gelu-fast script is not installed (pip install -e . installs it)")
    p = subprocess.run([exe, "bench", "--funcs", "nope"], capture_output=True, text=True)
    assert p.returncode == 2 and "gelu-fast bench: error" in p.stderr


def test_exhaustive_bfloat16(capsys, tmp_path):
    """Every bfloat16 input through every ufunc, within 1 bfloat16 ULP."""
    pytest.importorskip("scipy")
    pytest.importorskip("ml_dtypes")
    path = tmp_path / "acc.json"
    code, out, _ = run(capsys, "accuracy", "--dtypes", "bfloat16", "--exhaustive", "--points", "50",
                       "--with", "numpy", "--jobs", "1", "--json", str(path))
    assert code == 0
    res = json.loads(path.read_text())["exhaustive_bfloat16"]
    every_16_bit_input_within_one_ulp(res)
    assert "Every bfloat16 input" in out


def test_without_ml_dtypes_bfloat16_is_unavailable_and_named():
    """ml_dtypes absent (import blocked): float loops unchanged, show_config
    says bfloat16 is unavailable, and --dtypes bfloat16 is refused naming
    the package."""
    code = """
import sys
sys.modules["ml_dtypes"] = None            # import ml_dtypes -> ImportError
import numpy as np, gelu_fast
from gelu_fast import _bench, _cli
info = gelu_fast.show_config()
assert info["bfloat16"] is False
assert "bfloat16" not in _bench.DTYPES
assert gelu_fast.gelu(np.float32(1.0)) == np.float32(0.8413447)
sys.exit(_cli.main(["accuracy", "--dtypes", "bfloat16"]))
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "bfloat16 loops    : unavailable (pip install ml_dtypes)" in r.stdout
    assert "unknown dtype 'bfloat16'" in r.stderr and "pip install ml_dtypes" in r.stderr
