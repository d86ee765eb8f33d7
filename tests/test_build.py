"""The hot loops are vectorized, at every SIMD level that was built.

The contiguous loops (`_<ufunc>_<dtype>_contig` in _loops.pxi.tp) are plain
scalar code that the compiler vectorizes; a change to the math that brings
back a branch, an opaque call or an unsupported conversion silently turns
them scalar and several times slower.  This test reads the machine code of
every built kernel module (objdump) and checks that each contiguous loop
does its arithmetic with packed instructions on the level's widest registers:
zmm for avx512, ymm for avx2, packed SSE2 (xmm) for baseline.  Scalar code
would use `vmulsd`/`mulsd`-style instructions only.

Needs GNU objdump (binutils, present wherever the package was compiled) and
an x86-64 build with symbols; skipped otherwise.
"""
import platform
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import gelu_fast
from gelu_fast import _dispatch

# Packed floating-point arithmetic and the register it must use per level.
PACKED = re.compile(r"\b(v?(?:add|sub|mul|div)p[sd]|vfn?m(?:add|sub)\d{3}p[sd])\b")
REGISTER = {"avx512": "%zmm", "avx2": "%ymm", "baseline": "%xmm"}
# Each loop evaluates dozens of packed operations per vector; a loop that
# vectorized only its conversions, or only the remainder, has a handful.
MIN_PACKED = 20

pytestmark = pytest.mark.skipif(
    platform.machine().lower() not in ("x86_64", "amd64") or shutil.which("objdump") is None,
    reason="needs GNU objdump and an x86-64 build")


def kernel_file(level):
    mod = __import__(f"gelu_fast._kernel_{level}", fromlist=["_"])
    return Path(mod.__file__)


def disassembly(path):
    """{function name: [instruction lines]} for every function of a module."""
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", str(path)],
                         capture_output=True, text=True, check=True).stdout
    funcs, name = {}, None
    for line in out.splitlines():
        m = re.match(r"^[0-9a-f]+ <(.+)>:$", line)
        if m:
            name = m.group(1)
            funcs[name] = []
        elif name and "\t" in line:
            funcs[name].append(line.split("\t", 1)[1])
    return funcs


def contiguous_loops(path):
    """{function name: [instruction lines]} for the *_contig functions, each
    with the instructions of the explicit-SIMD functions (gf_simd_*, and the
    gf_z_* / gf_a2_* pieces they call) it calls, directly or not, where the
    compiler did not inline them."""
    funcs = disassembly(path)
    callee_re = re.compile(r"(?:call|jmp)\s+\w+ <(gf_(?:simd|z|a2)_[^>+]+)>")
    loops = {}
    for fn, insns in funcs.items():
        if not fn.endswith("_contig"):
            continue
        body, seen, todo = list(insns), set(), [insns]
        while todo:
            for callee in {m.group(1) for i in todo.pop() for m in [callee_re.search(i)] if m} - seen:
                seen.add(callee)
                body += funcs.get(callee, [])
                todo.append(funcs.get(callee, []))
        loops[fn] = body
    return loops


@pytest.mark.parametrize("level", [lvl for lvl in _dispatch.LEVELS if lvl in _dispatch.built_levels()])
def test_contiguous_loops_use_packed_instructions(level):
    loops = contiguous_loops(kernel_file(level))
    if not loops:
        pytest.skip(f"{kernel_file(level).name} has no symbols (stripped build)")
    # one loop per ufunc and dtype
    expected = {f"{name}_{dt}" for name in gelu_fast.__all__ if isinstance(getattr(gelu_fast, name), type(gelu_fast.gelu))
                for dt in ("f16", "f32", "f64")}
    found = {key for key in expected if any(f"_{key}_contig" in fn for fn in loops)}
    assert found == expected, f"loops missing from {level}: {sorted(expected - found)}"
    reg = REGISTER[level]
    report = {}
    for fn, insns in loops.items():
        packed = [i for i in insns if PACKED.search(i) and reg in i]
        report[fn.split("__")[-1]] = len(packed)
    print(f"{level}: packed {reg[1:]} arithmetic per contiguous loop: {report}")
    scalar = {fn: n for fn, n in report.items() if n < MIN_PACKED}
    assert not scalar, f"{level}: loops not vectorized on {reg[1:]}: {scalar}"


# The explicit-SIMD kernels (gelu_fast/_simd.h) in float32 and float16: their
# tables (the exact family's coefficients, the logistic family's 2**(j/16))
# live in vector registers and are indexed with permutes (vpermps,
# vpermt2ps), and their hot path -- including the remainder of an array,
# which goes through the same vector code -- has no scalar arithmetic at all.
SIMD_LOOPS = [f"{family}{kind}_{dt}" for family in ("gelu", "gelu_tanh", "gelu_sigmoid")
              for kind in ("", "_grad", "_backward") for dt in ("f16", "f32")]
SCALAR_ARITH = re.compile(r"\bv?(?:add|sub|mul|div|min|max|sqrt)s[sd]\b|\bvf[n]?m(?:add|sub)\d{3}s[sd]\b")


@pytest.mark.parametrize("level", [lvl for lvl in ("avx2", "avx512") if lvl in _dispatch.built_levels()])
def test_explicit_simd_kernels(level):
    mod = __import__(f"gelu_fast._kernel_{level}", fromlist=["_"])
    assert mod.build_info()["simd_kernels"] == level
    loops = contiguous_loops(kernel_file(level))
    if not loops:
        pytest.skip(f"{kernel_file(level).name} has no symbols (stripped build)")
    reg = REGISTER[level]
    simd = mod.build_info()["simd_ufuncs"]
    assert "gelu" in simd
    for key in [k for k in SIMD_LOOPS if k.rsplit("_", 1)[0] in simd]:
        insns = next(body for fn, body in loops.items() if fn.endswith(f"_{key}_contig"))
        permutes = [i for i in insns if re.search(r"\bvperm(?:t2|i2)?(?:ps|d)\b", i) and reg in i]
        packed = [i for i in insns if PACKED.search(i) and reg in i]
        scalar = [i for i in insns if SCALAR_ARITH.search(i)]
        print(f"{level} {key}: {len(permutes)} table permutes, {len(packed)} packed, {len(scalar)} scalar")
        assert len(permutes) >= 6, f"{level} {key}: no register table lookups ({len(permutes)} permutes)"
        assert len(packed) >= MIN_PACKED, f"{level} {key}: {len(packed)} packed {reg[1:]} operations"
        assert not scalar, f"{level} {key}: scalar arithmetic in the kernel: {scalar[:5]}"


def test_baseline_has_no_simd_kernels():
    if "baseline" not in _dispatch.built_levels():
        pytest.skip("no baseline module")
    from gelu_fast import _kernel_baseline
    assert _kernel_baseline.build_info()["simd_kernels"] == ""

