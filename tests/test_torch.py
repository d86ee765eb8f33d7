"""gelu_fast.torch: the PyTorch drop-in (custom operators with autograd,
double backward, fake implementations for torch.compile / torch.export).

Skipped without PyTorch; .ci/run installs the CPU build for this file.  The
import error without PyTorch is tested in test_packaging.py.
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import gelu_fast  # noqa: E402
import gelu_fast.torch as gt  # noqa: E402

F = torch.nn.functional
FORMS = ["none", "tanh", "sigmoid"]
FAMILY = {"none": "gelu", "tanh": "gelu_tanh", "sigmoid": "gelu_sigmoid"}
DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16]


def torch_reference(x, approximate):
    """What PyTorch users write for each form."""
    if approximate == "sigmoid":
        return x * torch.sigmoid(1.702 * x)
    return F.gelu(x, approximate=approximate)


def numpy_of(t):
    t = t.detach()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().view(gelu_fast._bfloat16)
    return t.numpy()


def tensor_of(a, dtype):
    if dtype == torch.bfloat16:
        return torch.from_numpy(np.ascontiguousarray(a).view(np.int16)).view(torch.bfloat16)
    return torch.from_numpy(np.ascontiguousarray(a))


def inputs(dtype, n=4099, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(n, generator=g, dtype=torch.float64) * 4).to(dtype)


# ---- derivatives: gradcheck and gradgradcheck ----------------------------------

def gradgradcheck(fn, x):
    """torch.autograd.gradgradcheck with fixed grad_outputs (it draws them from
    the global generator otherwise, which PyTorch seeds at random) and an
    absolute tolerance that covers the finite differences: the numerical
    Jacobian of g*f'(x) is a difference of two float64 results, each within
    4 ULP (the float64 bound), divided by 2 eps = 2e-6 -- up to ~5e-9 for
    |g f'| ~ 3, against entries of 1e-6..1 (a wrong derivative is off by
    far more).  With atol=1e-10 about one random draw in 50 failed at x = 5."""
    g = torch.randn(x.shape, dtype=x.dtype, generator=torch.Generator().manual_seed(7))
    return torch.autograd.gradgradcheck(fn, (x,), (g,), eps=1e-6, atol=1e-8, rtol=1e-7)


@pytest.mark.parametrize("approximate", FORMS)
def test_gradcheck_and_gradgradcheck(approximate):
    # random points, the zeros of f' (~ -0.75) and f'' (~ +-1.41), the tails
    x = torch.cat([torch.randn(24, dtype=torch.float64, generator=torch.Generator().manual_seed(1)) * 3,
                   torch.tensor([-0.7518, -1.41, 1.41, -6.0, 5.0, 0.0], dtype=torch.float64)])
    x.requires_grad_()
    f = lambda t: gt.gelu(t, approximate)  # noqa: E731
    assert torch.autograd.gradcheck(f, (x,), eps=1e-6, atol=1e-10, rtol=1e-7)
    assert gradgradcheck(f, x)


@pytest.mark.parametrize("approximate", FORMS)
def test_the_operators_autograd_formulas(approximate):
    """gelu() in eager mode skips the operators' dispatch; their registered
    autograd (what torch.compile and torch.export use) is checked here by
    calling torch.ops.gelu_fast.gelu itself, and gives the same bits."""
    x = (torch.randn(30, dtype=torch.float64, generator=torch.Generator().manual_seed(4)) * 3).requires_grad_()
    op = lambda t: torch.ops.gelu_fast.gelu(t, approximate)  # noqa: E731
    assert torch.autograd.gradcheck(op, (x,), eps=1e-6, atol=1e-10, rtol=1e-7)
    assert gradgradcheck(op, x)
    (g_op,) = torch.autograd.grad(op(x).sum(), x)
    (g_eager,) = torch.autograd.grad(gt.gelu(x, approximate).sum(), x)
    assert torch.equal(g_op, g_eager) and torch.equal(op(x), gt.gelu(x, approximate))


@pytest.mark.parametrize("approximate", FORMS)
def test_double_backward_is_the_grad2_ufunc(approximate):
    """Hessian-vector product of sum(gelu(x)): f''(x) * v, through gelu_grad2."""
    x = inputs(torch.float64, 257).requires_grad_()
    v = inputs(torch.float64, 257, seed=2)
    (g,) = torch.autograd.grad(gt.gelu(x, approximate).sum(), x, create_graph=True)
    (hv,) = torch.autograd.grad(g, x, grad_outputs=v)
    grad2 = getattr(gelu_fast, FAMILY[approximate] + "_grad2")(x.detach().numpy())
    np.testing.assert_array_equal(hv.numpy(), v.numpy() * grad2)
    # ... and the first derivative is the _grad ufunc
    np.testing.assert_array_equal(g.detach().numpy(),
                                  getattr(gelu_fast, FAMILY[approximate] + "_grad")(x.detach().numpy()))


# ---- the same bits as the NumPy ufuncs ------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("approximate", FORMS)
def test_forward_and_backward_equal_the_ufuncs(approximate, dtype):
    if dtype == torch.bfloat16 and gelu_fast._bfloat16 is None:
        pytest.skip("bfloat16 comparison needs ml_dtypes")
    x = inputs(dtype)
    gout = inputs(dtype, seed=3)
    fam = FAMILY[approximate]
    y = gt.gelu(x, approximate)
    assert y.dtype == dtype and y.shape == x.shape
    np.testing.assert_array_equal(numpy_of(y).view(np.uint8), getattr(gelu_fast, fam)(numpy_of(x)).view(np.uint8))
    xr = x.clone().requires_grad_()
    gt.gelu(xr, approximate).backward(gout)
    expect = getattr(gelu_fast, fam + "_backward")(numpy_of(gout), numpy_of(x))
    np.testing.assert_array_equal(numpy_of(xr.grad).view(np.uint8), expect.view(np.uint8))


def test_non_contiguous_tensors():
    base = inputs(torch.float32, 64 * 50).reshape(64, 50)
    for view in (base.T, base[:, ::3], base[::2], base.T[5:40]):
        assert not view.is_contiguous() or view is base
        y = gt.gelu(view)
        assert y.shape == view.shape
        np.testing.assert_array_equal(y.numpy(), gelu_fast.gelu(view.numpy()))
    # the output follows the input's dense layout (empty_like), no extra copy
    assert gt.gelu(base.T).stride() == base.T.stride()


def test_bfloat16_without_ml_dtypes_path(monkeypatch):
    """Without ml_dtypes the bfloat16 tensors are computed in float32 and
    rounded once: the same bits as the bfloat16 loops."""
    if gelu_fast._bfloat16 is None:
        pytest.skip("needs ml_dtypes for the comparison")
    x = inputs(torch.bfloat16)
    with_loops = gt.gelu(x)
    monkeypatch.setattr(gelu_fast, "_bfloat16", None)
    assert torch.equal(gt.gelu(x), with_loops)


# ---- against PyTorch's own GELU ---------------------------------------------------

@pytest.mark.parametrize("approximate", FORMS)
def test_agrees_with_pytorch_where_pytorch_is_accurate(approximate):
    # float64 on [-3, 5]: below -3, PyTorch's 0.5*x*(1 + erf(x/sqrt 2)) (and the
    # tanh form's 1 + tanh) cancel, and its relative error passes 1e-13
    x = torch.linspace(-3, 5, 10001, dtype=torch.float64).requires_grad_()
    ours = gt.gelu(x, approximate)
    theirs = torch_reference(x, approximate)
    torch.testing.assert_close(ours, theirs, rtol=1e-13, atol=1e-300)
    (g1,) = torch.autograd.grad(ours.sum(), x, create_graph=True)
    (g2,) = torch.autograd.grad(theirs.sum(), x, create_graph=True)
    torch.testing.assert_close(g1, g2, rtol=1e-12, atol=1e-15)
    (h1,) = torch.autograd.grad(g1.sum(), x)
    (h2,) = torch.autograd.grad(g2.sum(), x)
    torch.testing.assert_close(h1, h2, rtol=1e-10, atol=1e-12)


def test_the_documented_difference_in_the_tail():
    """PyTorch's float32 GELU returns -0 (or 100 % wrong values) below x ~ -6;
    gelu_fast.torch returns the float64 value rounded (within 2 ULP)."""
    x = torch.tensor([-6.5, -8.0, -10.0, -13.0], dtype=torch.float32)
    exact = gelu_fast.gelu(x.numpy().astype(np.float64))
    ours = gt.gelu(x).numpy()
    np.testing.assert_array_max_ulp(ours, exact.astype(np.float32), maxulp=2)
    theirs = F.gelu(x).numpy()
    assert np.all(ours < 0) and np.all(np.abs(theirs - exact) > 0.5 * np.abs(exact))


# ---- module, compile, export ------------------------------------------------------

def test_module_mirrors_torch_nn_gelu():
    for approximate in ("none", "tanh"):
        ours, theirs = gt.GELU(approximate), torch.nn.GELU(approximate)
        assert repr(ours) == repr(theirs) and ours.extra_repr() == theirs.extra_repr()
        assert ours.approximate == approximate
    m = gt.GELU()
    assert list(m.parameters()) == [] and m.state_dict() == {}
    assert repr(gt.GELU("sigmoid")) == "GELU(approximate='sigmoid')"
    with pytest.raises(ValueError, match="approximate must be"):
        gt.GELU("erf")


def test_torch_compile_fullgraph_one_opaque_node():
    from torch._dynamo.testing import CompileCounterWithBackend
    torch._dynamo.reset()
    m = torch.nn.Sequential(torch.nn.Linear(16, 32), gt.GELU(), torch.nn.Linear(32, 4), gt.GELU("tanh"))
    x = torch.randn(8, 16)
    counter = CompileCounterWithBackend("aot_eager")
    compiled = torch.compile(m, backend=counter, fullgraph=True)
    torch.testing.assert_close(compiled(x), m(x), rtol=0, atol=0)
    assert counter.frame_count == 1                   # one graph, no break
    targets = [str(n.target) for g in counter.graphs for n in g.graph.nodes if n.op == "call_function"]
    assert sum("gelu_fast.gelu" in t for t in targets) == 2, targets
    # the default backend (inductor), forward and backward
    torch._dynamo.reset()
    compiled = torch.compile(m, fullgraph=True)
    xr = x.clone().requires_grad_()
    compiled(xr).sum().backward()
    xe = x.clone().requires_grad_()
    m(xe).sum().backward()
    torch.testing.assert_close(xr.grad, xe.grad)


def test_torch_export():
    m = torch.nn.Sequential(torch.nn.Linear(8, 8), gt.GELU("sigmoid"))
    ep = torch.export.export(m, (torch.randn(4, 8),))
    targets = [str(n.target) for n in ep.graph.nodes if n.op == "call_function"]
    assert "gelu_fast.gelu.default" in targets
    x = torch.randn(4, 8)
    torch.testing.assert_close(ep.module()(x), m(x), rtol=0, atol=0)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
def test_transformer_layer_trains_like_pytorch_gelu(dtype):
    """nn.TransformerEncoderLayer(activation=gelu_fast.torch.gelu) for a few
    SGD steps matches the same layer with F.gelu to rounding."""
    def run(activation):
        torch.manual_seed(0)
        layer = torch.nn.TransformerEncoderLayer(d_model=32, nhead=4, dim_feedforward=64, dropout=0.0,
                                                 activation=activation, batch_first=True).to(dtype)
        opt = torch.optim.SGD(layer.parameters(), lr=0.05)
        g = torch.Generator().manual_seed(1)
        x = torch.randn(4, 10, 32, generator=g, dtype=dtype)
        target = torch.randn(4, 10, 32, generator=g, dtype=dtype)
        losses = []
        for _ in range(4):
            opt.zero_grad()
            loss = ((layer(x) - target) ** 2).mean()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses, [p.detach().clone() for p in layer.parameters()]
    ours, p_ours = run(gt.gelu)
    theirs, p_theirs = run(F.gelu)
    tol = 1e-12 if dtype == torch.float64 else 2e-5
    np.testing.assert_allclose(ours, theirs, rtol=tol)
    assert ours[-1] < ours[0]                          # it trains
    for a, b in zip(p_ours, p_theirs):
        torch.testing.assert_close(a, b, rtol=tol, atol=tol)


# ---- errors ------------------------------------------------------------------------

def test_errors():
    with pytest.raises(RuntimeError, match="torch.nn.functional.gelu"):
        gt.gelu(torch.ones(3, device="meta"))
    with pytest.raises(RuntimeError, match="not implemented for torch.int64"):
        gt.gelu(torch.arange(3))
    with pytest.raises(RuntimeError):                  # PyTorch's own GELU refuses integers too
        F.gelu(torch.arange(3))
    with pytest.raises(RuntimeError, match="not implemented for torch.complex64"):
        gt.gelu(torch.ones(3, dtype=torch.complex64))
    with pytest.raises(ValueError, match="approximate must be"):
        gt.gelu(torch.ones(3), approximate="erf")
    with pytest.raises(TypeError, match="torch.Tensor"):
        gt.gelu(np.ones(3))


# ---- threads -----------------------------------------------------------------------

def test_calls_use_pytorch_thread_count_and_restore_gelu_fasts(monkeypatch):
    seen = []
    real = gelu_fast.gelu

    def recording(*args, **kw):
        seen.append(gelu_fast.get_num_threads())
        return real(*args, **kw)
    monkeypatch.setattr(gelu_fast, "gelu", recording)
    x = torch.randn(100_000)
    before = torch.get_num_threads()
    try:
        for n in (1, 2):
            torch.set_num_threads(n)
            gt.gelu(x)
            assert seen[-1] == n
        gelu_fast.set_num_threads(2)
        torch.set_num_threads(1)
        gt.gelu(x)
        assert seen[-1] == 1 and gelu_fast.get_num_threads() == 2      # restored
        gelu_fast.reset_num_threads()
        gt.gelu(x)
        assert gelu_fast._kernel._thread_setting() == 0                 # still following OpenMP
    finally:
        torch.set_num_threads(before)
        gelu_fast.reset_num_threads()
