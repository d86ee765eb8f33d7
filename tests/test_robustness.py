"""gelu_fast under process forks, thread-pool controls and long loops:
forked children neither hang nor compute differently, threadpoolctl sees and
limits gelu_fast's OpenMP, and 100,000 calls leak neither references nor
memory."""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import gelu_fast
from gelu_fast._bench import FUNCS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_python(code, timeout=180):
    """Run code in a fresh interpreter; a hang fails the test instead of hanging it."""
    env = dict(os.environ)
    env.pop("OMP_NUM_THREADS", None)
    try:
        p = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                           text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the child process did not finish in {timeout} s (hung)")
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork() on this platform")
def test_fork_after_the_thread_pool_ran():
    """GNU OpenMP hangs a forked child that starts a parallel region after its
    parent ran one; gelu_fast runs serial in forked children instead."""
    res = run_python("""
        import json, multiprocessing as mp, os
        from concurrent.futures import ProcessPoolExecutor
        import numpy as np, gelu_fast
        x = np.linspace(-8, 8, 1 << 20, dtype=np.float32)
        gelu_fast.set_num_threads(2)
        y = gelu_fast.gelu(x)                     # the parent's OpenMP team has run
        g = gelu_fast.gelu_tanh_backward(x, x)

        def child(i):
            return (gelu_fast.gelu(x).tobytes() == y.tobytes()
                    and gelu_fast.gelu_tanh_backward(x, x).tobytes() == g.tobytes(),
                    gelu_fast.get_num_threads())
        ctx = mp.get_context("fork")
        with ctx.Pool(2) as pool:
            pooled = pool.map(child, range(4))
        with ProcessPoolExecutor(2, mp_context=ctx) as ex:
            executor = list(ex.map(child, range(4)))
        pid = os.fork()
        if pid == 0:                              # a bare fork, too
            os._exit(0 if child(0) == (True, 1) else 1)
        _, status = os.waitpid(pid, 0)
        after = gelu_fast.gelu(x).tobytes() == y.tobytes()   # the parent keeps its threads
        print(json.dumps({"pool": pooled, "executor": executor, "bare": os.waitstatus_to_exitcode(status),
                          "parent_threads": gelu_fast.get_num_threads(), "parent_after": after}))
    """)
    assert res["pool"] == [[True, 1]] * 4
    assert res["executor"] == [[True, 1]] * 4
    assert res["bare"] == 0
    assert res["parent_threads"] == 2 and res["parent_after"]


def test_spawned_children_use_threads():
    res = run_python("""
        import json, multiprocessing as mp
        import numpy as np, gelu_fast
        gelu_fast.gelu(np.ones(1 << 20))
        with mp.get_context("spawn").Pool(1) as pool:
            n = pool.apply(gelu_fast.get_num_threads)
        print(json.dumps({"child": n, "parent": gelu_fast.get_num_threads()}))
    """)
    assert res["child"] == res["parent"] >= 1


def test_threadpoolctl_sees_and_limits_gelu_fast():
    pytest.importorskip("threadpoolctl")
    res = run_python("""
        import json
        from threadpoolctl import threadpool_info, threadpool_limits
        import numpy as np
        before = [i["filepath"] for i in threadpool_info() if i["user_api"] == "openmp"]
        import gelu_fast
        after = [i["filepath"] for i in threadpool_info() if i["user_api"] == "openmp"]
        default = gelu_fast.get_num_threads()
        x = np.linspace(-4, 4, 1 << 20)
        y = gelu_fast.gelu(x)
        with threadpool_limits(1):
            limited = gelu_fast.get_num_threads()
            same = gelu_fast.gelu(x).tobytes() == y.tobytes()
        with threadpool_limits(limits=2, user_api="openmp"):
            two = gelu_fast.get_num_threads()
        print(json.dumps({"before": before, "after": after, "default": default, "limited": limited,
                          "two": two, "restored": gelu_fast.get_num_threads(), "same": same,
                          "openmp": gelu_fast.show_config(file=open("/dev/null", "w"))["openmp"]}))
    """)
    if not res["openmp"]:
        pytest.skip("serial build (no OpenMP)")
    assert not res["before"] and res["after"], "gelu_fast's OpenMP library is listed once imported"
    assert res["limited"] == 1 and res["two"] == 2 and res["same"]
    assert res["restored"] == res["default"]


def _resident_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc (Linux)")
@pytest.mark.parametrize("name", FUNCS)
def test_no_leaks(name):
    """100,000 calls each: plain, with out=, and two that raise."""
    u = getattr(gelu_fast, name)
    x = np.linspace(-5, 5, 64, dtype=np.float32)
    out = np.empty_like(x)
    args = (x,) * u.nin
    bad_out = np.empty(3, dtype=np.float32)
    bad_in = ("a",) * u.nin

    def calls(n):
        for _ in range(n):
            u(*args)
            u(*args, out=out)
            try:
                u(*bad_in)
            except TypeError:
                pass
            try:
                u(*args, out=bad_out)
            except ValueError:
                pass
    calls(2000)                                   # warm caches, allocator pools
    refs = [sys.getrefcount(o) for o in (x, out, bad_out, u)]
    rss = _resident_bytes()
    calls(100_000)
    assert [sys.getrefcount(o) for o in (x, out, bad_out, u)] == refs
    grown = _resident_bytes() - rss
    # one leaked 64-element result per call would be > 30 MB
    assert grown < 2 * 2**20, f"resident memory grew by {grown / 2**20:.1f} MiB"
    np.testing.assert_array_equal(out, u(*args))
