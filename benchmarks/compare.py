"""The speed targets of gelu_fast, measured side by side: python benchmarks/compare.py

Prints one Markdown table (the one in BENCHMARKS.md): for each target, the
throughput of gelu_fast and of what it is compared with, measured
round-robin in one run (gelu_fast._bench.compare: medians of interleaved
calls), their ratio and the target ratio.  Outputs are preallocated for
gelu_fast and PyTorch (out=); inputs are 3*N(0,1) float32 unless noted.

PyTorch is optional: without it the PyTorch rows are skipped with a message.
Options: --quick (fewer sizes, shorter timing), --no-large (skip the 64M rows,
which need ~1.5 GB of memory).

--threshold prints instead how much 2 threads speed up a call of 2k-64k
elements (the measurement behind the parallel thresholds of
gelu_fast/_loops.pxi.tp): the thresholds are lowered for the run, so both
thread counts really run at every size.
"""
import argparse
import datetime
import os
import platform
import sys

import numpy as np

import gelu_fast

_bench = None        # gelu_fast._bench, imported in main() (asv imports this module on old commits)

ROWS = []


def row(case, ours, other, other_label, target, n):
    ratio = other / ours            # times are seconds: ratio > 1 means gelu_fast is faster
    ok = "yes" if ratio >= target else "**no**"
    ROWS.append((case, n / ours / 1e9, other_label, n / other / 1e9, ratio, target, ok))
    print(f"  {case}: {n / ours / 1e9:.3f} vs {n / other / 1e9:.3f} Gelem/s -> {ratio:.2f}x "
          f"(target {target}x)", file=sys.stderr, flush=True)


def fns(name, dtype, n, labels, seed=0, dist="3N(0,1)"):
    args = _bench.inputs(name, dtype, n, seed, dist)
    out = np.empty_like(args[-1])
    impls = _bench.implementations(name, dtype, others=tuple(label for label in labels if label != "gelu_fast"))
    return {label: (lambda f=impls[label]: f(*args, out)) for label in labels if label in impls}


def versus(name, dtype, n, other, target, case, min_time, dist="3N(0,1)"):
    f = fns(name, dtype, n, ("gelu_fast", other), dist=dist)
    if other not in f:
        print(f"  skipped {case}: {_bench.missing().get(other, other + ' unavailable')}", file=sys.stderr)
        return
    t = _bench.compare(f, min_time=min_time)
    row(case, t["gelu_fast"], t[other], other, target, n)


def sigmoid_backward_vs_autograd(n, target, min_time):
    """gelu_sigmoid_backward against PyTorch's autograd of x*sigmoid(1.702x):
    the graph is recorded once, each call runs its backward pass only."""
    try:
        import torch
    except ImportError:
        print("  skipped gelu_sigmoid_backward vs autograd: PyTorch is not installed", file=sys.stderr)
        return
    g, x = _bench.inputs("gelu_sigmoid_backward", "float32", n)
    out = np.empty_like(x)
    xt = torch.from_numpy(x.copy()).requires_grad_()
    y = xt * torch.sigmoid(1.702 * xt)
    gt = torch.from_numpy(g)
    t = _bench.compare({"gelu_fast": lambda: gelu_fast.gelu_sigmoid_backward(g, x, out=out),
                        "torch": lambda: torch.autograd.grad(y, xt, gt, retain_graph=True)},
                       min_time=min_time)
    row(f"gelu_sigmoid_backward f32 vs autograd of x*sigmoid(1.702x), {n // 1000}k",
        t["gelu_fast"], t["torch"], "torch", target, n)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="shorter timing (noisier)")
    p.add_argument("--no-large", action="store_true", help="skip the 64M-element memory-bandwidth rows")
    p.add_argument("--threshold", action="store_true",
                   help="measure the 2-thread speed-up at 2k-64k elements instead")
    p.add_argument("--exact-only", action="store_true",
                   help="only the exact family's rows (e.g. for a run at another level: "
                        "GELU_FAST_SIMD=avx2 ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2)")
    args = p.parse_args(argv)
    global _bench
    from gelu_fast import _bench
    min_time = 0.3 if args.quick else 1.0
    if args.threshold:
        return threshold_table(min_time)
    try:
        import torch
        torch.set_num_threads(1)
        torch_version = torch.__version__
    except ImportError:
        torch_version = None
        print("PyTorch is not installed: its rows are skipped (pip install torch)", file=sys.stderr)

    gelu_fast.set_num_threads(1)
    print("1 thread (gelu_fast and PyTorch):", file=sys.stderr)
    # the exact family (targets: 1.0x for gelu, stretch 1.25x; 1.5x backward)
    versus("gelu", "float32", 100_000, "torch", 1.0, "exact gelu f32, 100k", min_time)
    versus("gelu", "float32", 1_000_000, "torch", 1.0, "exact gelu f32, 1M", min_time)
    for dist in ("N(0,1)", "U[-10,10]"):
        versus("gelu", "float32", 100_000, "torch", 1.0, f"exact gelu f32, 100k, x ~ {dist}", min_time, dist)
    versus("gelu_backward", "float32", 100_000, "torch", 1.5, "gelu_backward f32, 100k", min_time)
    versus("gelu_grad", "float32", 100_000, "torch", 1.5,
           "gelu_grad f32 vs aten.gelu_backward(ones, x), 100k", min_time)
    versus("gelu", "float16", 100_000, "torch", 1.5, "exact gelu f16, 100k", min_time)
    if "bfloat16" in _bench.DTYPES:         # ml_dtypes installed (target 1.0x, stretch 1.25x)
        versus("gelu", "bfloat16", 100_000, "torch", 1.0, "exact gelu bf16, 100k", min_time)
        versus("gelu_backward", "bfloat16", 100_000, "torch", 1.0, "gelu_backward bf16, 100k", min_time)
    else:
        print("  skipped the bfloat16 rows: ml_dtypes is not installed", file=sys.stderr)
    for name in ("gelu", "gelu_grad", "gelu_backward"):
        versus(name, "float32", 1_000, "torch", 8.0, f"{name} f32, 1k (call overhead)", min_time / 3)
    if args.exact_only:
        return report(torch_version)
    versus("gelu", "float64", 100_000, "torch", 4.0, "exact gelu f64, 100k", min_time)
    versus("gelu_tanh", "float32", 100_000, "torch", 3.0, "gelu_tanh f32, 100k", min_time)
    versus("gelu_sigmoid", "float32", 100_000, "torch", 2.5, "gelu_sigmoid f32 vs x*sigmoid(1.702x), 100k", min_time)
    # the approximations' backward and float16 (targets 2x)
    versus("gelu_tanh_backward", "float32", 100_000, "torch", 2.0,
           "gelu_tanh_backward f32 vs aten.gelu_backward(tanh), 100k", min_time)
    sigmoid_backward_vs_autograd(100_000, 2.0, min_time)
    versus("gelu_tanh", "float16", 100_000, "torch", 2.0, "gelu_tanh f16, 100k", min_time)
    for name in _bench.FUNCS[3:9]:
        versus(name, "float32", 1_000, "torch", 5.0, f"{name} f32, 1k (call overhead)", min_time / 3)
    for name in _bench.FUNCS[:9]:
        versus(name, "float32", 100_000, "numpy", 30.0, f"{name} f32, 100k vs NumPy/SciPy formula", min_time / 2)

    # thread scaling: same function, 1 vs 2 threads, interleaved
    n = 1_000_000
    x = _bench.inputs("gelu", "float32", n)[0]
    out = np.empty_like(x)

    def run():
        gelu_fast.gelu(x, out=out)
    ncpu = os.cpu_count() or 1
    if ncpu >= 2:
        t = _bench.compare({"1": run, "2": run}, min_time=min_time,
                           before={"1": lambda: gelu_fast.set_num_threads(1),
                                   "2": lambda: gelu_fast.set_num_threads(2)})
        row("exact gelu f32, 1M: 2 threads vs 1", t["2"], t["1"], "1 thread", 1.7, n)

    if not args.no_large and ncpu >= 2:
        gelu_fast.set_num_threads(2)
        n = 64 * 2**20
        x = (3 * np.random.default_rng(0).standard_normal(n)).astype(np.float32)
        g = np.ones_like(x)
        out = np.empty_like(x)
        print("64M elements, 2 threads, against np.copyto on the same buffers:", file=sys.stderr)
        for name in ("gelu", "gelu_tanh", "gelu_sigmoid"):
            u = getattr(gelu_fast, name)
            t = _bench.compare({"ours": lambda u=u: u(x, out=out), "copy": lambda: np.copyto(out, x)},
                               min_time=min_time, rounds=5)
            row(f"{name} f32, 64M, 2 threads vs np.copyto", t["ours"], t["copy"], "np.copyto", 0.9, n)
        # backward moves three streams (g, x in; out) where a copy moves two
        t = _bench.compare({"ours": lambda: gelu_fast.gelu_backward(g, x, out=out),
                            "copy": lambda: np.copyto(out, x)}, min_time=min_time, rounds=5)
        row("gelu_backward f32, 64M, 2 threads vs 3-stream limit (copy time x 3/2)",
            t["ours"], t["copy"] * 1.5, "limit", 0.9, n)
        del x, g, out
    return report(torch_version)


def report(torch_version):
    gelu_fast.reset_num_threads()
    cfg = gelu_fast.show_config(file=open(os.devnull, "w"))
    torch_isa = ""
    if torch_version:
        import torch
        torch_isa = f" (ATen CPU capability {torch.backends.cpu.get_cpu_capability()})"
    print(f"\n{datetime.date.today().isoformat()}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, SIMD level {cfg.get('simd_level', '?')}, NumPy {np.__version__}, "
          f"PyTorch {torch_version or 'not installed'}{torch_isa}\n")
    print("| case | gelu_fast Gelem/s | against | their Gelem/s | ratio | target | met |")
    print("|---|---|---|---|---|---|---|")
    for case, ours, label, theirs, ratio, target, ok in ROWS:
        print(f"| {case} | {ours:.3f} | {label} | {theirs:.3f} | {ratio:.2f}x | {target}x | {ok} |")
    return 0


def threshold_table(min_time):
    """Median time with 1 thread / with 2 threads, per size, interleaved."""
    if (os.cpu_count() or 1) < 2:
        print("needs at least 2 cores", file=sys.stderr)
        return 1
    from gelu_fast import _kernel
    saved = _kernel.parallel_min()
    sizes = [2**k for k in range(11, 17)]
    cases = [(name, dtype) for dtype in ("float32", "float16", "float64", "bfloat16") if dtype in _bench.DTYPES
             for name in ("gelu", "gelu_tanh", "gelu_sigmoid", "gelu_backward")]
    print("| function | dtype | " + " | ".join(str(n) for n in sizes) + " |")
    print("|---|---|" + "---|" * len(sizes))
    try:
        for dtype in saved:
            _kernel._set_parallel_min(dtype, 2)
        for name, dtype in cases:
            cells = []
            for n in sizes:
                run = fns(name, dtype, n, ("gelu_fast",))["gelu_fast"]
                t = _bench.compare({"1": run, "2": run}, min_time=min_time / 4,
                                   before={"1": lambda: gelu_fast.set_num_threads(1),
                                           "2": lambda: gelu_fast.set_num_threads(2)})
                cells.append(f"{t['1'] / t['2']:.2f}x")
            print(f"| {name} | {dtype} | " + " | ".join(cells) + " |", flush=True)
    finally:
        for dtype, n in saved.items():
            _kernel._set_parallel_min(dtype, n)
        gelu_fast.reset_num_threads()
    print(f"\n2 threads vs 1 (time with 1 / time with 2; > 1: threads pay); thresholds in use: {saved}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
