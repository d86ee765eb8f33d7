"""Build of gelu_fast's Cython extensions.

* _loops.pxi is rendered from the Tempita template _loops.pxi.tp.
* _kernel_<level> is the same source (_kernel.pxi) compiled once per SIMD
  level: baseline everywhere; avx2 (x86-64-v3) and avx512 (x86-64-v4, 512-bit
  vectors preferred) on x86-64.  gelu_fast._dispatch picks one at import.
* Flags: -O3, OpenMP when the compiler has it (the build falls back to serial
  otherwise, and show_config() says so), IEEE semantics kept: no -ffast-math;
  -fno-math-errno; -ffp-contract=off so that the compiler never fuses a*b+c on
  its own (results then depend only on the source and the level, never on how
  a loop was vectorized); -fno-trapping-math, which lets the compiler evaluate
  both arms of a select (no value changes; the kernels compute both anyway,
  and the loops restore the invalid flag that comparisons with NaN raise).
  The avx2/avx512 kernels also get -fschedule-insns -fsched-pressure (GCC).

Environment: GELU_FAST_VEC_REPORT=1 adds GCC's vectorization report
(-fopt-info-vec-optimized) to the kernel builds.
"""
import os
import platform
import shutil
import subprocess
import sys
import sysconfig
import tempfile

import numpy as np
from Cython.Build import cythonize
from Cython.Tempita import sub as tempita_sub
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.join(HERE, "gelu_fast")

IS_X86_64 = platform.machine().lower() in ("x86_64", "amd64", "x64")
# (level, extra flags for GCC/Clang, extra flags for MSVC)
SIMD_LEVELS = [("baseline", [], [])]
if IS_X86_64:
    SIMD_LEVELS += [
        ("avx2", ["-march=x86-64-v3"], ["/arch:AVX2"]),
        ("avx512", ["-march=x86-64-v4", "-mprefer-vector-width=512"], ["/arch:AVX512"]),
    ]
# Fallbacks for compilers that predate the x86-64-vN names (GCC < 11, Clang < 12).
MARCH_FALLBACK = {
    "-march=x86-64-v3": ["-mavx2", "-mfma", "-mf16c", "-mbmi", "-mbmi2", "-mlzcnt", "-mmovbe"],
    "-march=x86-64-v4": ["-mavx2", "-mfma", "-mf16c", "-mbmi", "-mbmi2", "-mlzcnt", "-mmovbe",
                         "-mavx512f", "-mavx512bw", "-mavx512cd", "-mavx512dq", "-mavx512vl"],
}


def render_templates():
    for name in os.listdir(PKG):
        if name.endswith(".tp"):
            src = os.path.join(PKG, name)
            dst = src[:-3]
            with open(src) as f:
                text = tempita_sub(f.read())
            old = open(dst).read() if os.path.exists(dst) else None
            if text != old:
                with open(dst, "w") as f:
                    f.write(text)


def compiler_accepts(compiler, flags, code="int main(void){return 0;}\n", link=False):
    tmp = tempfile.mkdtemp()
    try:
        src = os.path.join(tmp, "probe.c")
        with open(src, "w") as f:
            f.write(code)
        objs = compiler.compile([src], output_dir=tmp, extra_postargs=flags)
        if link:
            compiler.link_executable(objs, os.path.join(tmp, "probe"), extra_postargs=flags)
        return True
    except Exception:
        return False
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# The scalar kernels are `cdef inline` functions calling one another; the loop
# vectorizes only if all of them are inlined into it, and GCC's size
# heuristics stop short of that.  Cython spells `inline` as CYTHON_INLINE, so
# the kernel modules define it as a forced inline.
FORCE_INLINE = {"gcc": "__inline__ __attribute__((always_inline, unused))", "msvc": "__forceinline"}
SCHED_FLAGS = ["-fschedule-insns", "-fsched-pressure"]
KERNEL_LEVEL = {f"gelu_fast._kernel_{lvl}": lvl for lvl, _, _ in SIMD_LEVELS}
OPENMP_PROBE = "#include <omp.h>\nint main(void){return omp_get_max_threads() > 0 ? 0 : 1;}\n"


class BuildExt(build_ext):
    """Chooses flags for the compiler actually in use."""

    def build_extensions(self):
        msvc = self.compiler.compiler_type == "msvc"
        # OpenMP as (compile flags, link flags), the first the compiler accepts
        if msvc:
            base, candidates = ["/O2", "/fp:precise"], [(["/openmp"], [])]
        else:
            base = ["-O3", "-fno-math-errno", "-fno-trapping-math", "-ffp-contract=off"]
            candidates = [(["-fopenmp"], ["-fopenmp"])]
            if sys.platform == "darwin":     # Apple clang + libomp (Homebrew; paths from CFLAGS/LDFLAGS)
                candidates.append((["-Xpreprocessor", "-fopenmp"], ["-lomp"]))
            if os.environ.get("GELU_FAST_VEC_REPORT"):
                base.append("-fopt-info-vec-optimized")
        openmp, openmp_link = [], []
        for c_flags, l_flags in candidates:
            if compiler_accepts(self.compiler, c_flags + l_flags, OPENMP_PROBE, link=True):
                openmp, openmp_link = c_flags, l_flags
                break
        else:
            print("gelu_fast: the compiler has no OpenMP; building serial kernels", file=sys.stderr)
        for ext in self.extensions:
            level = KERNEL_LEVEL.get(ext.name)
            flags = list(base)
            if level is not None:
                extra = dict((lvl, m if msvc else g) for lvl, g, m in SIMD_LEVELS)[level]
                if not msvc and extra and not compiler_accepts(self.compiler, extra):
                    extra = [f for e in extra for f in MARCH_FALLBACK.get(e, [e])
                             if f != "-mprefer-vector-width=512"]
                flags += extra + openmp
                # GCC's pre-register-allocation scheduler interleaves the
                # independent vectors of the explicit-SIMD loops (_simd.h):
                # +5-10 % measured for the exact family's float32 kernels
                if not msvc and level != "baseline" and compiler_accepts(self.compiler, SCHED_FLAGS + ["-Werror"]):
                    flags += SCHED_FLAGS
                shown = " ".join(flags).replace('"', "'")
                ext.define_macros += [("GF_SIMD_LEVEL", f'"{level}"'), ("GF_CFLAGS", f'"{shown}"'),
                                      ("CYTHON_INLINE", FORCE_INLINE["msvc" if msvc else "gcc"])]
                ext.extra_link_args += openmp_link
            ext.extra_compile_args += flags
        super().build_extensions()


def extensions():
    render_templates()
    common = dict(include_dirs=[np.get_include(), PKG],
                  define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")])
    exts = []
    for level, _, _ in SIMD_LEVELS:
        ext = Extension(f"gelu_fast._kernel_{level}", [f"gelu_fast/_kernel_{level}.pyx"],
                        depends=[f"gelu_fast/{n}" for n in
                                 ("_kernel.pxi", "_math.pxi", "_loops.pxi", "_fp.h", "_platform.h",
                                  "_simd.h", "_simd_avx512.h", "_simd_avx2.h", "_simd_tables.h")],
                        **{k: list(v) for k, v in common.items()})
        exts.append(ext)
    for name in ("_ufuncs", "_cpu"):
        exts.append(Extension(f"gelu_fast.{name}", [f"gelu_fast/{name}.pyx"],
                              **{k: list(v) for k, v in common.items()}))
    return cythonize(exts, compiler_directives={
        "language_level": 3, "boundscheck": False, "wraparound": False,
        "cdivision": True, "initializedcheck": False, "embedsignature": True,
    })


setup(ext_modules=extensions(), cmdclass={"build_ext": BuildExt})
