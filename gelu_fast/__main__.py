"""python -m gelu_fast: the configuration, then gelu_fast side by side with
the NumPy/SciPy reference formula 0.5*x*(1 + scipy.special.erf(x/sqrt(2))).

For each dtype and size: throughput (Gelem/s, median of repeated calls into a
preallocated output, gelu_fast on the thread count shown) and the maximum
error of each implementation in ULP against mpmath (50 digits) on a fixed
sample of 2,000 points over [-40, 40] (float32: [-20, 20]).
"""
import argparse
import sys

import numpy as np

import gelu_fast
from gelu_fast._bench import implementations, median_time


def max_ulp(fn, dtype):
    try:
        from gelu_fast import _reference
        _reference.reference("gelu", np.zeros(1))
    except ImportError:
        return None
    span = 40.0 if dtype == np.float64 else 20.0
    x = np.linspace(-span, span, 2000).astype(dtype)
    exact = _reference.reference("gelu", x)
    return float(_reference.ulp_errors(fn(x, np.empty_like(x)), exact, dtype).max())


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m gelu_fast", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000",
                        help="comma-separated array sizes (default: %(default)s)")
    parser.add_argument("--threads", type=int, default=None,
                        help="gelu_fast threads (default: OpenMP's)")
    args = parser.parse_args(argv)
    try:
        sizes = [int(float(s)) for s in args.sizes.split(",") if s.strip()]
        if not sizes or min(sizes) < 1:
            raise ValueError
    except ValueError:
        parser.error(f"--sizes must be positive integers separated by commas, got {args.sizes!r}")
    if args.threads is not None:
        if args.threads < 1:
            parser.error("--threads must be >= 1")
        gelu_fast.set_num_threads(args.threads)

    gelu_fast.show_config()
    print()
    reference = lambda dtype: implementations("gelu", dtype, others=("numpy",)).get("numpy")
    ref = reference(np.float32)
    if ref is None:
        print("(SciPy is not installed: the reference column needs it -- pip install scipy)\n")
    ours = lambda x, out: gelu_fast.gelu(x, out=out)
    header = f"{'dtype':8} {'size':>9} {'gelu_fast':>10} {'reference':>10} {'speed-up':>9} {'max ULP':>9} {'ref max ULP':>12}"
    print("gelu(x), throughput in Gelem/s")
    print(header)
    print("-" * len(header))
    for dtype in (np.float32, np.float64):
        ref = reference(dtype)
        err_ours, err_ref = max_ulp(ours, dtype), (max_ulp(ref, dtype) if ref else None)
        for n in sizes:
            x = np.random.default_rng(0).standard_normal(n).astype(dtype) * 3
            out = np.empty_like(x)
            t_ours = median_time(lambda: ours(x, out))
            t_ref = median_time(lambda: ref(x, out)) if ref else None
            fmt = lambda v, spec: "n/a" if v is None else format(v, spec)
            print(f"{np.dtype(dtype).name:8} {n:>9} {n / t_ours / 1e9:>10.3f} "
                  f"{fmt(t_ref and n / t_ref / 1e9, '.3f'):>10} "
                  f"{fmt(t_ref and t_ref / t_ours, '.1f'):>8}x "
                  f"{fmt(err_ours, '.2f'):>9} {fmt(err_ref, '.3g'):>12}")
    if err_ours is None:
        print("\n(mpmath is not installed: the error columns need it -- pip install mpmath)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
