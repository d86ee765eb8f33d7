"""The gelu_fast command line: ``python -m gelu_fast`` or ``gelu-fast``.

Subcommands:

  info      (the default) the build configuration -- show_config() -- and
            which comparison libraries and references are installed.
  bench     throughput of gelu_fast beside the NumPy/SciPy reference formulas
            and, when installed, PyTorch and JAX: one row per function x dtype
            x size x thread count, Gelem/s of each and gelu_fast's speed-up.
            --json FILE writes every measurement, --plot FILE.png draws
            throughput against size (one panel per function and dtype).
  accuracy  max and mean error in ULP of every ufunc and dtype on a sample
            spread over the whole range, against mpmath (50 digits; without
            mpmath, a float64 SciPy reference for float32/float16/bfloat16), beside
            the same measure of the other implementations.  --exhaustive
            runs every input of float16 or bfloat16 (2**16) or float32 (2**32) through
            each ufunc of that dtype against the float64 SciPy reference, on
            every core (float64, 2**64 inputs, is refused).

Conventions: timing and the error measure are those of gelu_fast._bench and
gelu_fast._reference (one place each).  Progress goes to stderr, tables to
stdout.  A wrong argument, an option whose optional dependency is missing
(matplotlib for --plot), or a thread or process count above the CPUs
available (without --force) is reported before any work starts, with exit
status 2 and no traceback; output files are written whole or not at all
(written beside the target, then renamed).
"""
import argparse
import datetime
import json
import math
import os
import platform
import sys
import tempfile
import time
import warnings

import numpy as np

import gelu_fast
from gelu_fast import _bench
from gelu_fast import _reference as ref

OTHERS = ("numpy", "torch", "jax")
BOUND_ULP = {"float16": 1.0, "bfloat16": 1.0, "float32": 2.0, "float64": 4.0}     # README, Accuracy
EXHAUSTIVE_CHUNK = 2**22                 # bit patterns per task (float32: ~30 MB per array)
# --exhaustive: every bit pattern (bfloat16 with ml_dtypes installed)
EXHAUSTIVE_INPUTS = {"float16": 2**16, "bfloat16": 2**16, "float32": 2**32}
_BITS = {"float16": np.uint16, "bfloat16": np.uint16, "float32": np.uint32}
_DTYPES_HELP = "comma-separated: " + ", ".join(_bench.DTYPES) + (
    "" if "bfloat16" in _bench.DTYPES else " (bfloat16 needs ml_dtypes: python -m pip install ml_dtypes)")

BENCH_DEFAULTS = {"funcs": "gelu,gelu_tanh,gelu_sigmoid,gelu_backward",
                  "dtypes": "float32,float64", "sizes": "1e3,1e4,1e5,1e6", "threads": "1"}


# ---- argument parsing ------------------------------------------------------

def _list_of(choices, what, hints=None):
    """argparse type: a comma-separated subset of `choices`, or 'all';
    hints: {name: why it is not a choice here} for known names."""
    def parse(text):
        items = [t.strip() for t in text.split(",") if t.strip()]
        if items == ["all"]:
            return list(choices)
        bad = [t for t in items if t not in choices]
        if bad or not items:
            why = "".join(f" ({t} {hints[t]})" for t in bad if hints and t in hints)
            raise argparse.ArgumentTypeError(
                f"unknown {what} {', '.join(map(repr, bad)) or repr(text)}{why}; "
                f"choose from {', '.join(choices)} (comma-separated) or 'all'")
        return list(dict.fromkeys(items))
    return parse


# dtypes that are not choices on every installation
_DTYPE_HINTS = {"bfloat16": "needs ml_dtypes: python -m pip install ml_dtypes"}


def _sizes(text):
    out = []
    for t in (t.strip() for t in text.split(",")):
        try:
            v = float(t)
            if not (v.is_integer() and 1 <= v <= 2**34):
                raise ValueError
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"sizes must be whole numbers of elements from 1 to 2**34, e.g. 1e3,1e6; got {t!r}")
        out.append(int(v))
    return list(dict.fromkeys(out))


def _threads(text):
    out = []
    for t in (t.strip() for t in text.split(",")):
        if t == "all":
            out.append(gelu_fast._available_cpus())
            continue
        try:
            n = int(t)
            if n < 1:
                raise ValueError
        except ValueError:
            raise argparse.ArgumentTypeError(f"threads must be positive integers or 'all'; got {t!r}")
        out.append(n)
    return list(dict.fromkeys(out))


def _positive(kind):
    def parse(text):
        try:
            v = kind(text)
            if not v > 0:
                raise ValueError
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a positive number; got {text!r}")
        return v
    return parse


def _output_file(parser, option, path, suffixes=None):
    """Fail early (exit 2) on an output path that cannot be written."""
    if path is None:
        return
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        parser.error(f"{option}: directory {folder!r} does not exist")
    if not os.access(folder, os.W_OK):
        parser.error(f"{option}: cannot write in {folder!r}")
    if os.path.isdir(path):
        parser.error(f"{option}: {path!r} is a directory")
    if suffixes and os.path.splitext(path)[1].lower().lstrip(".") not in suffixes:
        parser.error(f"{option}: {path!r} has an unknown image type; use one of "
                     f"{', '.join('.' + s for s in sorted(suffixes))}")


def _pyplot(parser, option):
    """matplotlib.pyplot (Agg, no display needed), or exit 2 saying how to get it."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        parser.error(f"{option} needs matplotlib, which is not installed: python -m pip install matplotlib")
    return plt


def _check_cpus(parser, option, counts, force):
    """Refuse (exit 2) thread or process counts above the CPUs available to
    this process, unless --force: oversubscribed, they only share the CPUs."""
    cpus = gelu_fast._available_cpus()
    over = [n for n in counts if n > cpus]
    if over and not force:
        parser.error(f"{option} {max(over)}: more than the {cpus} CPUs available to this process; "
                     "use --force to run oversubscribed anyway")


def _exhaustive_dtypes(parser, args):
    """The dtypes --exhaustive checks: those of --dtypes (float32 without it);
    float64 is refused (exit 2) before any work."""
    if not args.exhaustive:
        return []
    if args.dtypes is None:
        return ["float32"]
    bad = [d for d in args.dtypes if d not in EXHAUSTIVE_INPUTS]
    if bad:
        parser.error(f"--exhaustive checks float16 and bfloat16 (2**16 inputs each) and float32 (2**32) "
                     f"only, not {', '.join(bad)}; choose --dtypes among float16, bfloat16, float32")
    return list(args.dtypes)


def _image_types():
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        return set(FigureCanvasAgg.get_supported_filetypes())
    except ImportError:
        return None


def build_parser():
    prog = os.path.basename(sys.argv[0] or "gelu-fast")
    if prog in ("__main__.py", "-c", ""):
        prog = "python -m gelu_fast"
    p = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0].strip(),
                epilog="Run 'python -m gelu_fast <command> --help' for each command's options.")
    p.set_defaults(run=cmd_info, parser=p)
    sub = p.add_subparsers(dest="command", metavar="{info,bench,accuracy}")
    i = sub.add_parser("info", help="the build configuration (the default)",
                       description="show_config(), and which optional comparison libraries are installed")
    i.set_defaults(run=cmd_info, parser=i)

    b = sub.add_parser("bench", help="throughput against NumPy/SciPy, PyTorch and JAX",
                       description="Throughput of gelu_fast beside the NumPy/SciPy reference "
                       "formulas and, when installed, PyTorch and JAX (out= preallocated where the "
                       "library has one; medians of calls interleaved round-robin).")
    b.add_argument("--funcs", type=_list_of(_bench.FUNCS, "function"), default=BENCH_DEFAULTS["funcs"],
                   help="comma-separated ufunc names or 'all' (default: %(default)s)")
    b.add_argument("--dtypes", type=_list_of(_bench.DTYPES, "dtype", _DTYPE_HINTS), default=BENCH_DEFAULTS["dtypes"],
                   help=_DTYPES_HELP + " (default: %(default)s)")
    b.add_argument("--sizes", type=_sizes, default=BENCH_DEFAULTS["sizes"],
                   help="comma-separated element counts (default: %(default)s)")
    b.add_argument("--threads", type=_threads, default=BENCH_DEFAULTS["threads"],
                   help="comma-separated thread counts for gelu_fast and PyTorch, or 'all' (the CPUs "
                   "available; default: %(default)s; the NumPy formulas use one, JAX its own pool)")
    b.add_argument("--force", action="store_true",
                   help="allow --threads above the CPUs available to this process (oversubscribed)")
    b.add_argument("--with", dest="others", type=_list_of(OTHERS, "implementation"), default="all",
                   help="implementations to compare with: numpy, torch, jax (default: every one installed)")
    b.add_argument("--min-time", type=_positive(float), default=0.25,
                   help="seconds of timing per implementation and case (default: %(default)s)")
    b.add_argument("--json", metavar="FILE", help="write every measurement as JSON")
    b.add_argument("--plot", metavar="FILE.png", help="draw throughput against size (needs matplotlib)")
    b.set_defaults(run=cmd_bench, parser=b)

    a = sub.add_parser("accuracy", help="max / mean ULP error against mpmath",
                       description="Max and mean error in ULP of each ufunc and dtype on a sample over "
                       "the whole range, against mpmath (or, without it, a float64 SciPy reference for "
                       "float32/float16/bfloat16); derivatives near their zero: the error beyond "
                       "eps*(|a|+|b|).")
    a.add_argument("--funcs", type=_list_of(_bench.FUNCS, "function"), default="all",
                   help="comma-separated ufunc names or 'all' (default: all)")
    a.add_argument("--dtypes", type=_list_of(_bench.DTYPES, "dtype", _DTYPE_HINTS), default=None,
                   help=_DTYPES_HELP + " (default: all; with --exhaustive: "
                   "float32)")
    a.add_argument("--points", type=_positive(int), default=2000,
                   help="sample points per dtype (default: %(default)s; at most ~5,000 are distinct)")
    a.add_argument("--with", dest="others", type=_list_of(OTHERS, "implementation"), default="all",
                   help="also measure these implementations (default: every one installed)")
    a.add_argument("--exhaustive", action="store_true",
                   help="also every input of each chosen dtype through each chosen ufunc, against a "
                   "float64 SciPy reference: float16 or bfloat16 (2**16 inputs, seconds) and/or float32 (2**32: "
                   "about 30 minutes for all nine on 2 cores, measured on a 2-core Intel Xeon with "
                   "AVX-512); float64 is refused")
    a.add_argument("--jobs", type=_positive(int), default=gelu_fast._available_cpus(),
                   help="worker processes for --exhaustive (default: %(default)s, the CPUs available)")
    a.add_argument("--force", action="store_true",
                   help="allow --jobs above the CPUs available to this process (oversubscribed)")
    a.add_argument("--json", metavar="FILE", help="write the results as JSON")
    a.add_argument("--plot", metavar="FILE.png", help="draw the error against x (needs matplotlib)")
    a.set_defaults(run=cmd_accuracy, parser=a)
    return p


# ---- output helpers ----------------------------------------------------------

class Progress:
    """'[k/n] what ... ETA' on stderr: rewritten in place on a terminal, one
    line per step otherwise (logs)."""

    def __init__(self, total, stream=None):
        self.total, self.done, self.stream = total, 0, stream or sys.stderr
        self.start = time.perf_counter()
        self.tty = hasattr(stream, "isatty") and stream.isatty()

    def show(self, what):
        elapsed = time.perf_counter() - self.start
        eta = ""
        if self.done:
            eta = f", ETA {_duration(elapsed / self.done * (self.total - self.done))}"
        line = f"[{self.done}/{self.total}] {what} (elapsed {_duration(elapsed)}{eta})"
        if self.tty:
            self.stream.write("\r\033[K" + line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def step(self, what=""):
        self.done += 1
        if what:
            self.show(what)

    def note(self, text):
        """A line of its own, kept (show() rewrites its line on a terminal)."""
        self.stream.write(("\r\033[K" if self.tty else "") + text + "\n")
        self.stream.flush()

    def close(self):
        if self.tty:
            self.stream.write("\r\033[K")
        self.stream.write(f"done in {_duration(time.perf_counter() - self.start)}\n")
        self.stream.flush()


def _about(seconds):
    """A rough duration: '~21 min', '~40 s'."""
    return f"~{round(seconds / 60)} min" if seconds >= 90 else f"~{max(1, round(seconds))} s"


def _duration(seconds):
    seconds = int(round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def _size_label(n):
    e = math.log10(n)
    return f"1e{int(e)}" if e.is_integer() and n >= 1000 else str(n)


def table(headers, rows, file=None):
    """Print rows (lists of str) under headers, first column left-aligned."""
    file = file or sys.stdout
    widths = [max(len(str(r[i])) for r in [headers] + rows) for i in range(len(headers))]

    def line(cells):
        return "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths)))
    print(line(headers), file=file)
    print("  ".join("-" * w for w in widths), file=file)
    for r in rows:
        print(line(r), file=file)


def _write_atomic(path, write):
    """write(tmp_path) then rename onto path: the file is whole or untouched."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=os.path.splitext(path)[1])
    os.close(fd)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)          # as open() would have made it (mkstemp: 0600)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _write_json(path, data):
    def write(tmp):
        with open(tmp, "w") as f:
            json.dump(data, f, indent=1)
            f.write("\n")
    _write_atomic(path, write)
    print(f"wrote {path}", file=sys.stderr)


def _cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _machine():
    cfg = gelu_fast.show_config(file=open(os.devnull, "w"))
    return {"date": datetime.datetime.now().isoformat(timespec="seconds"),
            "platform": platform.platform(), "processor": _cpu_name(),
            "cpus": os.cpu_count(), "python": platform.python_version(),
            "simd_level": cfg.get("simd_level"), "versions": _bench.versions()}


def _save_figure(plt, fig, path):
    """Save fig to path whole or not at all; PNGs as 64-colour palette
    images (a few times smaller, no visible loss for line and dot plots)."""
    def write(tmp):
        fig.savefig(tmp, dpi=80)
        if path.lower().endswith(".png"):
            from PIL import Image          # a dependency of matplotlib
            with Image.open(tmp) as im:
                small = im.convert("RGB").quantize(64)
            small.save(tmp, optimize=True)
    _write_atomic(path, write)
    plt.close(fig)
    print(f"wrote {path}", file=sys.stderr)


def _machine_line(m):
    return (f"{m['date'][:10]}, {m['processor']}, {m['cpus']} cores, SIMD level {m['simd_level']}, "
            + ", ".join(f"{k} {v}" for k, v in m["versions"].items()))


# ---- info ------------------------------------------------------------------

def cmd_info(args, parser):
    gelu_fast.show_config()
    print()
    found = _bench.versions()
    optional = {"scipy": "NumPy/SciPy reference formulas (bench), float64 reference (accuracy)",
                "mpmath": "50-digit reference (accuracy)", "torch": "PyTorch comparison (bench, accuracy)",
                "jax": "JAX comparison (bench, accuracy)", "matplotlib": "--plot"}
    for name in ("mpmath", "matplotlib"):
        try:
            found[name] = __import__(name).__version__
        except ImportError:
            pass
    print("optional packages:")
    for name, use in optional.items():
        print(f"  {name:11} {found.get(name, 'not installed'):16} {use}")
    print("\nRun 'python -m gelu_fast bench' for a throughput comparison, "
          "'python -m gelu_fast accuracy' for the errors in ULP.")
    return 0


# ---- bench -----------------------------------------------------------------

def run_bench(funcs, dtypes, sizes, threads, others, min_time, progress=None):
    """Measure every case; returns (results, notes): results is a list of
    {func, dtype, size, threads, label, seconds, gelem_per_s}."""
    results, notes = [], {}
    cases = [(f, d, n, t) for f in funcs for d in dtypes for t in threads for n in sizes]
    progress = progress or Progress(len(cases))
    for func, dtype, n, t in cases:
        progress.show(f"{func} {dtype} n={_size_label(n)} threads={t}")
        args = _bench.inputs(func, dtype, n)
        out = np.empty_like(args[-1])
        fns, before = {}, {}
        for label, fn in _bench.implementations(func, dtype, others=tuple(others)).items():
            call = (lambda fn=fn: fn(*args, out))
            setter = _bench.thread_setter(label)
            if setter is not None:
                before[label] = (lambda s=setter: s(t))
                before[label]()
            try:
                call()            # an implementation may lack a dtype (e.g. a float16 kernel)
            except Exception as exc:
                notes[f"{label} {func} {dtype}"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
                continue
            fns[label] = call
        times = _bench.compare(fns, min_time=min_time, before=before)
        for label, sec in times.items():
            results.append({"func": func, "dtype": dtype, "size": n, "threads": t, "label": label,
                            "seconds": sec, "gelem_per_s": n / sec / 1e9})
        progress.step()
    gelu_fast.reset_num_threads()
    for label, why in _bench.missing().items():
        if label in others:
            notes[label] = why
    return results, notes


def bench_table(results, file=None):
    labels = [lb for lb in ("gelu_fast",) + OTHERS if any(r["label"] == lb for r in results)]
    keys = list(dict.fromkeys((r["func"], r["dtype"], r["size"], r["threads"]) for r in results))
    speed = {(r["func"], r["dtype"], r["size"], r["threads"], r["label"]): r["gelem_per_s"] for r in results}
    headers = ["function", "dtype", "size", "threads"] + labels + [f"vs {lb}" for lb in labels[1:]]
    rows = []
    for k in keys:
        ours = speed.get(k + ("gelu_fast",))
        row = [k[0], k[1], _size_label(k[2]), str(k[3])]
        row += [f"{speed[k + (lb,)]:.3f}" if k + (lb,) in speed else "n/a" for lb in labels]
        row += [f"{ours / speed[k + (lb,)]:.1f}x" if k + (lb,) in speed and ours else "n/a"
                for lb in labels[1:]]
        rows.append(row)
    print("Throughput in Gelem/s (median; out= preallocated where the library has it); "
          "vs X = gelu_fast's speed-up over X", file=file)
    table(headers, rows, file=file)


_COLORS = {"gelu_fast": "C0", "numpy": "C1", "torch": "C3", "jax": "C2"}
_NAMES = {"gelu_fast": "gelu_fast", "numpy": "NumPy/SciPy formula", "torch": "PyTorch", "jax": "JAX"}


def _minor_label(v, _):
    """Log-axis minor ticks: label 2 and 5 times a power of ten only."""
    lead = v / 10 ** math.floor(math.log10(v) + 1e-9)
    return f"{v:g}" if round(lead) in (2, 5) else ""


def plot_bench(plt, results, path, machine):
    from matplotlib import ticker
    funcs = list(dict.fromkeys(r["func"] for r in results))
    dtypes = list(dict.fromkeys(r["dtype"] for r in results))
    threads = list(dict.fromkeys(r["threads"] for r in results))
    fig, axes = plt.subplots(len(dtypes), len(funcs), squeeze=False, sharex=True,
                             figsize=(3.3 * len(funcs) + 0.5, 2.8 * len(dtypes) + 0.9))
    styles = ["-", "--", ":", "-."]
    for i, dtype in enumerate(dtypes):
        for j, func in enumerate(funcs):
            ax = axes[i][j]
            for label in _COLORS:
                for k, t in enumerate(threads):
                    pts = sorted((r["size"], r["gelem_per_s"]) for r in results
                                 if (r["func"], r["dtype"], r["label"], r["threads"]) == (func, dtype, label, t))
                    if not pts:
                        continue
                    name = _NAMES[label] + (f", {t} thr" if len(threads) > 1 else "")
                    ax.plot(*zip(*pts), styles[k % 4], marker="o", ms=3, color=_COLORS[label], label=name)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
            ax.yaxis.set_minor_formatter(ticker.FuncFormatter(_minor_label))
            ax.set_title(f"{func} {dtype}", fontsize=9)
            ax.grid(True, which="major", alpha=0.3)
            ax.tick_params(labelsize=7)
            if i == len(dtypes) - 1:
                ax.set_xlabel("elements", fontsize=8)
            if j == 0:
                ax.set_ylabel("Gelem/s", fontsize=8)
    handles, names = [], []
    for ax in axes.flat:
        for h, n in zip(*ax.get_legend_handles_labels()):
            if n not in names:
                handles.append(h)
                names.append(n)
    fig.legend(handles, names, loc="lower center", ncol=min(len(names), 4), fontsize=8, frameon=False)
    fig.suptitle(f"gelu_fast throughput -- {_machine_line(machine)[:120]}", fontsize=8)
    fig.tight_layout(rect=(0, 0.07 if len(names) <= 4 else 0.12, 1, 0.96))
    _save_figure(plt, fig, path)


def cmd_bench(args, parser):
    _check_cpus(parser, "--threads", args.threads, args.force)
    plt = _pyplot(parser, "--plot") if args.plot else None
    _output_file(parser, "--plot", args.plot, _image_types() if args.plot else None)
    _output_file(parser, "--json", args.json)
    machine = _machine()
    print(_machine_line(machine), file=sys.stderr)
    progress = Progress(len(args.funcs) * len(args.dtypes) * len(args.sizes) * len(args.threads))
    with warnings.catch_warnings():
        if args.force:             # asked for: set_num_threads' warning would only repeat it
            warnings.filterwarnings("ignore", "set_num_threads", RuntimeWarning)
        results, notes = run_bench(args.funcs, args.dtypes, args.sizes, args.threads, args.others,
                                   args.min_time, progress)
    progress.close()
    bench_table(results)
    for what, why in notes.items():
        print(f"  not measured: {what}: {why}")
    if args.json:
        _write_json(args.json, {"machine": machine, "settings": {
            "funcs": args.funcs, "dtypes": args.dtypes, "sizes": args.sizes, "threads": args.threads,
            "with": args.others, "min_time": args.min_time}, "results": results, "not_measured": notes})
    if plt is not None:
        plot_bench(plt, results, args.plot, machine)
    return 0


# ---- accuracy --------------------------------------------------------------

def error_measure(err, kind, dtype, ulp, grad=None, terms=None, g=None, ulp_grad=None):
    """The error of each point in ULP as the bounds state them (README, Accuracy).

    f (kind ''): err, the plain error.  f' = a + b (kind 'grad', grad its exact
    values, terms |a| + |b|): the plain error where the terms do not cancel,
    and where they do the excess over eps*(|a| + |b|) (at least 0).
    *_backward (g * f', rounded once): the error with the final rounding's
    half ULP taken off, in units of |g| * ulp(f'), then measured as f' --
    so that every kind is compared with the same bound."""
    if kind == "":
        return np.where(np.isnan(err), np.inf, err)
    if kind == "backward":
        scale = np.abs(np.asarray(g, dtype=np.float64)) * ulp_grad / ulp
        with np.errstate(divide="ignore", invalid="ignore"):
            err = np.where(scale > 0, np.maximum(err - 0.5, 0.0) / scale, err)
        ulp = ulp_grad
    excess = np.maximum(err - ref.allowance(terms, ulp, dtype), 0.0)
    m = np.where(ref.not_cancelling(grad, terms) | ~np.isfinite(grad), err, excess)
    return np.where(np.isnan(m), np.inf, m)          # NaN would hide from max()


def _sample(dtype, points):
    x = ref.sample_points(dtype)
    if points < x.size:
        keep = np.random.default_rng(7).choice(x.size, points, replace=False)
        x = np.sort(x[keep])
    g = (np.random.default_rng(1).standard_normal(x.size) * 4).astype(dtype)
    return x, g


def _float64_exact(family, kind, x, g, cache):
    """(exact value, derivative, its term scale) in float64 (SciPy) for the
    ufunc of `family` and `kind` at x (g: grad_output of a *_backward).  The
    derivative is the one whose terms bound the error near its zeros: f''
    for 'grad2', f' otherwise.  cache: {(family, order): terms}, filled here,
    so that the ufuncs of one family share one evaluation per order."""
    order = 2 if kind == "grad2" else 1
    key = (family, order)
    if key not in cache:
        if order == 2:
            a, b = ref.terms2_float64(family, x)
            cache[key] = (None, a + b, np.abs(a) + np.abs(b))
        else:
            f, a, b = ref.terms_float64(family, x)
            cache[key] = (f, a + b, np.abs(a) + np.abs(b))
    f, grad, terms = cache[key]
    if kind == "backward":
        return grad * np.asarray(g, dtype=np.float64), grad, terms
    return (f if kind == "" else grad), grad, terms


def _accuracy_sample(func, dtype, x, g, others, use_mpmath):
    """{label: error measure per point} for one ufunc and dtype."""
    family, kind = ref.split_name(func)
    gg = g if kind == "backward" else None
    if use_mpmath:
        def exact_of(name, g=None):
            values = ref.reference(name, x, g)
            ulp = np.array([float(ref.ulp_of(v, dtype)) if np.isfinite(float(v)) else np.inf
                            for v in values])
            return values, np.array([float(v) for v in values]), ulp
        exact_mp, exact, ulp = exact_of(func, gg)
        grad, ulp_grad = exact, ulp
        if kind == "backward":
            _, grad, ulp_grad = exact_of(family + "_grad")
        terms = ref.term_scale(x, family, "grad2" if kind == "grad2" else "grad") if kind else None
        errors = lambda y: ref.ulp_errors(y, exact_mp, dtype)
    else:
        exact, grad, terms = _float64_exact(family, kind, x, g, {})
        ulp, ulp_grad = ref.ulp_float64(exact, dtype), ref.ulp_float64(grad, dtype)
        errors = lambda y: ref.ulp_errors_float64(y, exact, ulp)
    inputs = (g, x) if kind == "backward" else (x,)
    out = {}
    for label, fn in _bench.implementations(func, dtype, others=tuple(others)).items():
        try:
            with np.errstate(all="ignore"):
                y = np.asarray(fn(*inputs, np.empty_like(x)))
        except Exception:
            continue
        out[label] = error_measure(errors(y.astype(dtype)), kind, dtype, ulp, grad, terms, gg, ulp_grad)
    return out


def exhaustive_chunk(task):
    """Worker: task = (start, funcs, fns[, dtype]): the bit patterns [start,
    start + EXHAUSTIVE_CHUNK) of dtype (float32, float16 or bfloat16; float32 if not
    given) through each ufunc in `funcs`; returns {func: (max, x at max, g at
    max, sum, count)}.

    Every input is measured (NaN must give NaN, +-inf the limits).  The
    *_backward functions get grad_output ~ N(0, 1) (seeded by the chunk), so
    every x is checked with one g."""
    start, funcs, fns = task[:3]
    dtype = np.dtype(task[3] if len(task) > 3 else "float32")
    n = min(EXHAUSTIVE_CHUNK, EXHAUSTIVE_INPUTS[dtype.name] - start)
    gelu_fast.set_num_threads(1)            # one process per core already
    bits = np.arange(start, start + n, dtype=np.uint64).astype(_BITS[dtype.name])
    x = bits.view(dtype)
    g = np.random.default_rng(start).standard_normal(x.size).astype(dtype)
    out, cache = {}, {}
    for func in funcs:
        family, kind = ref.split_name(func)
        u = (fns or {}).get(func) or getattr(gelu_fast, func)
        exact, grad, terms = _float64_exact(family, kind, x, g, cache)
        y = u(g, x) if kind == "backward" else u(x)
        ulp = ref.ulp_float64(exact, dtype)
        ulp_grad = ref.ulp_float64(grad, dtype) if kind == "backward" else None
        m = error_measure(ref.ulp_errors_float64(y, exact, ulp), kind, dtype, ulp, grad, terms, g, ulp_grad)
        i = int(np.argmax(m))
        out[func] = (float(m[i]), float(x[i]), float(g[i]) if kind == "backward" else None,
                     float(m.sum()), m.size)
    return out


def run_exhaustive(funcs, jobs, progress_stream=None, fns=None, starts=None, dtype="float32"):
    """Every input of `dtype` (float32, float16 or bfloat16) through each ufunc of
    `funcs` (that dtype's loops), in chunks on `jobs` processes.  Returns
    {func: {max_ulp, at_x, at_g, mean_ulp, inputs}}.  Once the rate is known
    -- at the first chunk after each process's first, which included its
    start -- one line 'ETA ~N min' on the progress stream.
    (fns, starts: test hooks -- replacement functions, a subset of chunks.)"""
    inputs = EXHAUSTIVE_INPUTS[dtype]
    starts = list(range(0, inputs, EXHAUSTIVE_CHUNK)) if starts is None else list(starts)
    tasks = [(s, tuple(funcs), fns, dtype) for s in starts]
    pooled = jobs > 1 and len(tasks) > 1
    workers = min(jobs, len(tasks)) if pooled else 1
    progress = Progress(len(tasks), progress_stream)
    total = {}
    first_done = []

    def merge(part):
        for func, (mx, at_x, at_g, s, count) in part.items():
            t = total.setdefault(func, [-1.0, None, None, 0.0, 0])
            if mx > t[0]:
                t[0:3] = [mx, at_x, at_g]
            t[3] += s
            t[4] += count
        progress.step(f"{dtype} inputs checked: {progress.done + 1} of {len(tasks)} chunks of "
                      f"{min(EXHAUSTIVE_CHUNK, inputs):,}; worst so far " + ", ".join(
                          f"{k} {v[0]:.3f}" for k, v in total.items())[:200])
        now = time.perf_counter()
        if progress.done == 1:
            first_done.append(now)
        elif progress.done == workers + 1 and progress.done < len(tasks):
            per_chunk = (now - first_done[0]) / (progress.done - 1)
            left = len(tasks) - progress.done
            progress.note(f"ETA {_about(per_chunk * left)} ({left} of {len(tasks)} chunks to go "
                          f"on {workers} process{'es' if workers > 1 else ''})")

    if pooled:
        import multiprocessing
        # spawn, not fork: a forked child of a process whose OpenMP pool ran can hang
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(jobs) as pool:
            for part in pool.imap_unordered(exhaustive_chunk, tasks):
                merge(part)
    else:
        for task in tasks:
            merge(exhaustive_chunk(task))
    progress.close()
    return {func: {"max_ulp": t[0], "at_x": t[1], "at_g": t[2], "mean_ulp": t[3] / t[4], "inputs": t[4]}
            for func, t in total.items()}


def plot_accuracy(plt, samples, path, machine):
    """samples: {(func, dtype): (x, measure)}: the error against x, one panel per function."""
    funcs = list(dict.fromkeys(f for f, _ in samples))
    ncol = min(3, len(funcs))
    nrow = math.ceil(len(funcs) / ncol)
    fig, axes = plt.subplots(nrow, ncol, squeeze=False, figsize=(3.6 * ncol + 0.4, 2.6 * nrow + 0.8))
    colors = {"float16": "C2", "bfloat16": "C1", "float32": "C0", "float64": "C3"}
    for ax in axes.flat[len(funcs):]:
        ax.set_visible(False)
    for ax, func in zip(axes.flat, funcs):
        for (f, dtype), (x, m) in samples.items():
            if f != func:
                continue
            ok = (np.abs(x) <= 1000) & np.isfinite(m)
            ax.scatter(x[ok].astype(np.float64), m[ok], s=2, color=colors[dtype], label=dtype, alpha=0.6,
                       rasterized=True)
        ax.set_xscale("symlog", linthresh=1.0)
        ax.set_xlim(-1000, 1000)
        ax.set_ylim(bottom=0)
        ax.set_title(func, fontsize=9)
        ax.tick_params(labelsize=7)
        ax.grid(True, alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel("x (symlog; |x| <= 1000)", fontsize=8)
    for ax in axes[:, 0]:
        ax.set_ylabel("error (ULP)", fontsize=8)
    handles, names = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=3, fontsize=8, frameon=False, markerscale=4)
    fig.suptitle(f"gelu_fast error in ULP of each dtype -- {_machine_line(machine)[:110]}", fontsize=8)
    fig.tight_layout(rect=(0, 0.05, 1, 0.96))
    _save_figure(plt, fig, path)


_MEASURE_NOTE = """\
Derivatives where their two terms cancel (near x = -0.75): the error beyond
eps*(|a|+|b|).  *_backward: the error less the final rounding's 0.5 ULP, in
units of |g|*ulp(f'(x)), so that every row has its function's bound.  inf: a
NaN or infinite result where the exact value is finite."""


def _fmt_ulp(v):
    return "inf" if not np.isfinite(v) else (f"{v:.3g}" if v >= 1000 else f"{v:.2f}")


def cmd_accuracy(args, parser):
    exhaustive_dtypes = _exhaustive_dtypes(parser, args)
    if args.exhaustive:
        _check_cpus(parser, "--jobs", [args.jobs], args.force)
    plt = _pyplot(parser, "--plot") if args.plot else None
    _output_file(parser, "--plot", args.plot, _image_types() if args.plot else None)
    _output_file(parser, "--json", args.json)
    try:
        import mpmath  # noqa: F401
        use_mpmath = True
    except ImportError:
        use_mpmath = False
    try:
        import scipy  # noqa: F401
        have_scipy = True
    except ImportError:
        have_scipy = False
    if args.exhaustive and not have_scipy:
        parser.error("--exhaustive needs SciPy for its float64 reference: python -m pip install scipy")
    if not use_mpmath and not have_scipy:
        parser.error("accuracy needs mpmath (or SciPy, for float32/float16/bfloat16): "
                     "python -m pip install mpmath scipy")
    dtypes = args.dtypes or list(_bench.DTYPES)
    if not use_mpmath:
        skipped = [d for d in dtypes if d == "float64"]
        dtypes = [d for d in dtypes if d != "float64"]
        if skipped:
            print("mpmath is not installed: float64 needs it (pip install mpmath); float32/float16/bfloat16 "
                  "are measured against a float64 SciPy reference", file=sys.stderr)
        if not dtypes:
            parser.error("float64 accuracy needs mpmath: python -m pip install mpmath")
    machine = _machine()
    print(_machine_line(machine), file=sys.stderr)
    progress = Progress(len(args.funcs) * len(dtypes))
    rows, results, samples = [], [], {}
    labels = ["gelu_fast"] + list(args.others)
    seen = set()
    for dtype in dtypes:
        x, g = _sample(dtype, args.points)
        for func in args.funcs:
            progress.show(f"{func} {dtype}, {x.size} points")
            measures = _accuracy_sample(func, dtype, x, g, args.others, use_mpmath)
            progress.step()
            m = measures["gelu_fast"]
            finite = np.isfinite(m)
            i = int(np.argmax(m))
            samples[(func, dtype)] = (x, m)
            entry = {"func": func, "dtype": dtype, "points": int(x.size), "bound_ulp": BOUND_ULP[dtype],
                     "reference": "mpmath" if use_mpmath else "scipy-float64",
                     "max_ulp": float(m.max()), "mean_ulp": float(m[finite].mean()), "at_x": float(x[i]),
                     "others_max_ulp": {lb: float(v.max()) for lb, v in measures.items() if lb != "gelu_fast"}}
            results.append(entry)
            seen.update(measures)
            rows.append((entry, measures))
    progress.close()
    labels = [lb for lb in labels if lb in seen]
    headers = ["function", "dtype", "points", "max ULP", "mean ULP", "worst at x", "bound"] + \
              [f"{lb} max" for lb in labels[1:]]
    table_rows = []
    for e, measures in rows:
        table_rows.append([e["func"], e["dtype"], str(e["points"]), _fmt_ulp(e["max_ulp"]),
                           f"{e['mean_ulp']:.3f}", f"{e['at_x']:.6g}", f"{e['bound_ulp']:g}"] +
                          [_fmt_ulp(measures[lb].max()) if lb in measures else "n/a" for lb in labels[1:]])
    ref_name = "mpmath, 50 digits" if use_mpmath else "float64 SciPy reference"
    print(f"Error in ULP against {ref_name} on a sample over the whole range")
    table(headers, table_rows)
    print(_MEASURE_NOTE)
    exhaustive = {}
    funcs = list(args.funcs)
    for dtype in exhaustive_dtypes:
        inputs = EXHAUSTIVE_INPUTS[dtype]
        processes = min(args.jobs, math.ceil(inputs / EXHAUSTIVE_CHUNK))
        print(f"\nExhaustive {dtype} check of {', '.join(funcs)} on {processes} "
              f"process{'es' if processes > 1 else ''}:", file=sys.stderr)
        exhaustive[dtype] = run_exhaustive(funcs, args.jobs, dtype=dtype)
        print(f"\nEvery {dtype} input (2**{inputs.bit_length() - 1} bit patterns; *_backward with one random "
              "grad_output per x), against the float64 SciPy reference")
        table(["function", "inputs", "max ULP", "mean ULP", "worst at x", "bound"],
              [[f, f"{v['inputs']:,}", _fmt_ulp(v["max_ulp"]), f"{v['mean_ulp']:.4f}", f"{v['at_x']:.9g}",
                f"{BOUND_ULP[dtype]:g}"] for f, v in exhaustive[dtype].items()])
    failed = [e for e in results if e["max_ulp"] > e["bound_ulp"]]
    failed += [{"func": f, "dtype": f"{dtype} (exhaustive)", "max_ulp": v["max_ulp"]}
               for dtype, res in exhaustive.items() for f, v in res.items()
               if v["max_ulp"] > BOUND_ULP[dtype]]
    for e in failed:
        print(f"ABOVE THE BOUND: {e['func']} {e['dtype']}: {e['max_ulp']:.3f} ULP")
    if args.json:
        _write_json(args.json, {"machine": machine, "sample": results,
                                **{f"exhaustive_{d}": exhaustive.get(d) for d in EXHAUSTIVE_INPUTS}})
    if plt is not None:
        plot_accuracy(plt, samples, args.plot, machine)
    return 1 if failed else 0


# ---- entry point -----------------------------------------------------------

def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        # args.parser: the subcommand's parser, so that its checks print its usage
        return args.run(args, args.parser)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:                # e.g. piped into head
        sys.stderr.close()
        return 0
