"""Build and measure tools/float32_study.c: python tools/float32_study.py

The exact GELU in float32 arithmetic (see the comment at the top of the C
file) against gelu_fast's float32 kernel, which computes in double:

* speed: both on the same 100k float32 inputs (3*N(0,1)), one thread,
  timed round-robin by gelu_fast._bench.compare (medians);
* accuracy: the study kernel's max error in ULP over every float32 input
  (--stride K: every K-th bit pattern, faster) against erfcl in long double.
  gelu_fast's own figure over all inputs comes from
  `python -m gelu_fast accuracy --dtypes float32 --funcs gelu --exhaustive`.

Needs gcc with OpenMP and an x86-64-v4 (AVX-512) CPU, the level the figures
in BENCHMARKS.md were taken at.
"""
import argparse
import ctypes
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

import gelu_fast
from gelu_fast import _bench

HERE = os.path.dirname(os.path.abspath(__file__))
FLAGS = ["-O3", "-fno-math-errno", "-fno-trapping-math", "-ffp-contract=off",
         "-march=x86-64-v4", "-mprefer-vector-width=512", "-fopenmp", "-shared", "-fPIC"]


def build(tmp):
    lib = os.path.join(tmp, "float32_study.so")
    subprocess.run(["gcc", *FLAGS, os.path.join(HERE, "float32_study.c"), "-o", lib, "-lm"], check=True)
    so = ctypes.CDLL(lib)
    so.study_gelu.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_long]
    so.study_max_ulp.argtypes = [ctypes.c_long, ctypes.c_void_p]
    return so


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--stride", type=int, default=1, help="check every K-th float32 (default 1: all)")
    p.add_argument("--min-time", type=float, default=2.0, help="seconds of timing per kernel")
    args = p.parse_args(argv)
    if args.stride < 1:
        p.error("--stride must be >= 1")
    with tempfile.TemporaryDirectory() as tmp:
        so = build(tmp)
        x = _bench.inputs("gelu", "float32", 100_000)[0]
        out_ours = np.empty_like(x)
        out_study = np.empty_like(x)
        gelu_fast.set_num_threads(1)

        def study():
            so.study_gelu(x.ctypes.data, out_study.ctypes.data, x.size)
        t = _bench.compare({"double": lambda: gelu_fast.gelu(x, out=out_ours), "float32": study},
                           min_time=args.min_time)
        gelu_fast.reset_num_threads()
        n = x.size
        print(f"speed, 100k float32, 1 thread (SIMD level {gelu_fast.show_config(open(os.devnull, 'w'))['simd_level']}):")
        print(f"  gelu_fast (double arithmetic) {n / t['double'] / 1e9:.3f} Gelem/s")
        print(f"  float32 arithmetic            {n / t['float32'] / 1e9:.3f} Gelem/s"
              f"  ({t['double'] / t['float32']:.2f}x)")
        diff = np.abs(out_study.astype(np.float64) - out_ours) / np.spacing(np.abs(out_ours))
        print(f"  results differ by up to {np.nanmax(diff):.2f} ULP of gelu_fast's on these inputs")
        res = (ctypes.c_double * 3)()
        start = time.perf_counter()
        so.study_max_ulp(args.stride, ctypes.addressof(res))
        what = "every float32" if args.stride == 1 else f"every {args.stride}th float32 bit pattern"
        print(f"accuracy of the float32-arithmetic kernel, {what} against erfcl "
              f"({time.perf_counter() - start:.0f} s): max {res[0]:.3f} ULP at x = {res[1]:.9g}, "
              f"mean {res[2]:.4f} ULP")
    return 0


if __name__ == "__main__":
    sys.exit(main())
