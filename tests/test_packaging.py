"""Packaging and user-facing text: the license (declared, shipped, in the
metadata), install hints that work outside a clone, and the files the
README's commands write left out of git."""
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys

import pytest

import gelu_fast

# the source tree, when the tests run from it (.ci/run also runs a copy of
# tests/ against the installed wheel: there it is absent)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IN_SOURCE_TREE = os.path.isfile(os.path.join(ROOT, "pyproject.toml")) and \
    os.path.isdir(os.path.join(ROOT, "gelu_fast"))
source_tree = pytest.mark.skipif(not IN_SOURCE_TREE, reason="needs the source tree (tests run from a copy)")

BSD3_CLAUSES = [
    "Redistributions of source code must retain the above copyright notice",
    "Redistributions in binary form must reproduce the above copyright notice",
    "Neither the name of the copyright holder nor the names of its",
    'THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"',
]


def _pyproject():
    try:
        import tomllib
    except ImportError:                       # Python 3.10
        tomllib = pytest.importorskip("tomli")
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        return tomllib.load(f)


def _bsd3(text):
    return all(c in " ".join(text.split()) for c in BSD3_CLAUSES)


@source_tree
def test_license_declared_as_spdx_and_shipped():
    conf = _pyproject()
    assert conf["project"]["license"] == "BSD-3-Clause"          # SPDX expression, not {text = ...}
    assert conf["project"]["license-files"] == ["LICENSE"]
    assert not [c for c in conf["project"].get("classifiers", []) if c.startswith("License ::")]
    # license / license-files as above need setuptools >= 77
    setuptools_req = [r for r in conf["build-system"]["requires"] if re.match(r"setuptools\b", r)]
    assert setuptools_req, conf["build-system"]["requires"]
    m = re.search(r">=\s*(\d+)", setuptools_req[0])
    assert m and int(m.group(1)) >= 77, setuptools_req
    with open(os.path.join(ROOT, "LICENSE")) as f:
        text = f.read()
    assert _bsd3(text)
    assert re.search(r"Copyright \(c\) 2026, the gelu_fast developers", text)
    with open(os.path.join(ROOT, "MANIFEST.in")) as f:
        assert re.search(r"^include\b.*\bLICENSE\b", f.read(), re.M)


def test_installed_metadata_names_the_license():
    meta = importlib.metadata.metadata("gelu_fast")
    if meta.get("License-Expression") is None and IN_SOURCE_TREE:
        pytest.skip("the installed metadata predates license = \"BSD-3-Clause\" (reinstall to refresh it)")
    assert meta["License-Expression"] == "BSD-3-Clause"
    if not IN_SOURCE_TREE:                    # an installed wheel: the text is in its .dist-info
        files = importlib.metadata.distribution("gelu_fast").files or []
        lic = [f for f in files if f.name == "LICENSE"]
        assert lic, "no LICENSE file installed"
        assert _bsd3(lic[0].read_text())


# ---- install hints -------------------------------------------------------------

def _package_sources():
    here = os.path.dirname(os.path.abspath(gelu_fast.__file__))
    for name in sorted(os.listdir(here)):
        if name.endswith((".py", ".pyx", ".pyi")):
            with open(os.path.join(here, name), encoding="utf-8") as f:
                yield name, f.read()


def test_no_install_hint_names_the_unpublished_package():
    """gelu_fast is not on a public index: `pip install 'gelu_fast[bench]'`
    fails outside a clone.  Hints name the packages themselves."""
    bad = [(name, line.strip()) for name, text in _package_sources() for line in text.splitlines()
           if re.search(r"gelu_fast\[", line)]
    assert not bad


@source_tree
def test_readme_has_no_install_hint_for_the_unpublished_package():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        assert not re.findall(r".*gelu_fast\[.*", f.read())


def test_accuracy_without_references_names_the_packages(capsys, monkeypatch):
    from gelu_fast import _cli
    monkeypatch.setitem(sys.modules, "mpmath", None)             # both imports fail
    monkeypatch.setitem(sys.modules, "scipy", None)
    with pytest.raises(SystemExit) as exc:
        _cli.main(["accuracy", "--points", "10"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "python -m pip install" in err and "mpmath" in err and "scipy" in err
    assert "gelu_fast[" not in err


def test_plot_without_matplotlib_names_the_package(capsys, monkeypatch, tmp_path):
    from gelu_fast import _cli
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(SystemExit) as exc:
        _cli.main(["bench", "--plot", str(tmp_path / "x.png")])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "python -m pip install matplotlib" in err and "gelu_fast[" not in err


# ---- files the README's commands write -------------------------------------------

@source_tree
def test_readme_outputs_are_ignored_and_the_committed_figures_tracked():
    if shutil.which("git") is None or not os.path.isdir(os.path.join(ROOT, ".git")):
        pytest.skip("needs git and a clone")

    def git(*args):
        return subprocess.run(["git", "-C", ROOT, *args], capture_output=True, text=True)
    # what `python -m gelu_fast bench --plot bench.png` (Quickstart) and the
    # README's other commands write into the repository root
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    # (file names, not placeholders such as FILE.png)
    written = set(re.findall(r"--plot ([a-z][\w.-]*\.png)", readme))
    written |= set(re.findall(r"--(?:benchmark-)?json[= ]([a-z][\w.-]*\.json)", readme))
    assert "bench.png" in written
    for name in sorted(written):
        assert git("check-ignore", "-q", name).returncode == 0, f"{name} is not in .gitignore"
    for name in ("benchmarks/bench.png", "benchmarks/accuracy.png"):
        assert git("ls-files", "--error-unmatch", name).returncode == 0, f"{name} is not tracked"
        assert git("check-ignore", "-q", "--no-index", name).returncode == 1, f"{name} is ignored"


def test_torch_is_optional_and_named_when_missing():
    """import gelu_fast never imports PyTorch; gelu_fast.torch without it is
    an ImportError that says how to install it."""
    code = """
import sys
import gelu_fast
assert "torch" not in sys.modules, "import gelu_fast imported torch"
sys.modules["torch"] = None                 # import torch -> ImportError
try:
    import gelu_fast.torch
except ImportError as exc:
    print(exc)
else:
    raise SystemExit("no ImportError")
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "gelu_fast.torch needs PyTorch" in r.stdout and "python -m pip install torch" in r.stdout
