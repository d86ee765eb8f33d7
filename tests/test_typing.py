"""The type stubs (gelu_fast/__init__.pyi, py.typed): mypy accepts correct
use, infers NumPy's ufunc types, and rejects wrong calls."""
import os
import textwrap

import pytest

import gelu_fast

mypy_api = pytest.importorskip("mypy.api")

GOOD = """
import numpy as np
import numpy.typing as npt
import gelu_fast

x: npt.NDArray[np.float32] = np.ones(3, dtype=np.float32)
y: npt.NDArray[np.float32] = gelu_fast.gelu(x)
out = np.empty_like(x)
gelu_fast.gelu(x, out=out, where=x > 0)
gelu_fast.gelu_backward(x, x, dtype=np.float64)
gelu_fast.gelu_backward.outer(x, x)                # the methods of a 2-input ufunc
n: int = gelu_fast.get_num_threads()
gelu_fast.set_num_threads(2)
cfg = gelu_fast.show_config()
reveal_type(gelu_fast.gelu)
reveal_type(gelu_fast.gelu_tanh_backward)
"""

BAD = {
    "gelu_fast.gelu(np.ones(3), np.ones(3), np.ones(3))": "call-overload",
    "gelu_fast.gelu_backward(np.ones(3))": "call-overload",
    'gelu_fast.set_num_threads("two")': "arg-type",
    "gelu_fast.gelu(np.ones(3), outt=None)": "call-overload",
    "gelu_fast.relu(np.ones(3))": "attr-defined",
    "gelu_fast.gelu.outer(np.ones(3), np.ones(3))": "arg-type",       # outer needs 2 inputs
}


def mypy(tmp_path, source):
    path = tmp_path / "snippet.py"
    path.write_text(textwrap.dedent(source))
    env_root = os.path.dirname(os.path.dirname(os.path.abspath(gelu_fast.__file__)))
    args = ["--no-incremental", "--show-error-codes", "--no-error-summary", str(path)]
    old = os.environ.get("MYPYPATH")
    if "site-packages" not in env_root:         # a source checkout / editable install
        os.environ["MYPYPATH"] = env_root
    try:
        out, err, status = mypy_api.run(args)
    finally:
        if old is None:
            os.environ.pop("MYPYPATH", None)
        else:
            os.environ["MYPYPATH"] = old
    return out + err, status


def test_stubs_are_shipped():
    here = os.path.dirname(gelu_fast.__file__)
    assert os.path.exists(os.path.join(here, "__init__.pyi"))
    assert os.path.exists(os.path.join(here, "py.typed"))


def test_correct_use_type_checks(tmp_path):
    out, status = mypy(tmp_path, GOOD)
    errors = [ln for ln in out.splitlines() if ": error:" in ln]
    assert not errors, out
    assert '_UFunc_Nin1_Nout1[Literal[\'gelu\'], Literal[3], None]' in out
    assert '_UFunc_Nin2_Nout1[Literal[\'gelu_tanh_backward\'], Literal[3], None]' in out


def test_wrong_use_is_rejected(tmp_path):
    source = "import numpy as np\nimport gelu_fast\n" + "\n".join(BAD) + "\n"
    out, status = mypy(tmp_path, source)
    assert status == 1
    for lineno, (call, code) in enumerate(BAD.items(), start=3):
        assert any(f":{lineno}: error:" in ln and f"[{code}]" in ln for ln in out.splitlines()), (call, out)
