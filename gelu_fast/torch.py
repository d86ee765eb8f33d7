"""gelu_fast for PyTorch: the accurate GELU as a drop-in for torch.nn.GELU.

    import gelu_fast.torch
    act = gelu_fast.torch.GELU()                   # instead of torch.nn.GELU()
    y = gelu_fast.torch.gelu(x, approximate="tanh")   # instead of F.gelu(x, ...)

approximate: 'none' (the exact GELU, as torch.nn.GELU's default), 'tanh'
(PyTorch's tanh form) or 'sigmoid' (x * sigmoid(1.702 x), "QuickGELU").

Design
------
Three custom operators (torch.library.custom_op, PyTorch >= 2.4), each a thin
call of gelu_fast's NumPy ufuncs on NumPy views of the tensors' memory (no
copy, any strides; the output is allocated by torch.empty_like):

    gelu_fast::gelu(Tensor x, str approximate) -> Tensor
    gelu_fast::gelu_backward(Tensor grad, Tensor x, str approximate) -> Tensor
    gelu_fast::gelu_grad2(Tensor x, str approximate) -> Tensor

gelu's autograd formula is gelu_backward; gelu_backward's own autograd
(double backward: Hessian-vector products, gradient penalties) uses
gelu_backward again and gelu_grad2, the second derivative.  Each op has a
fake implementation (empty_like), so torch.compile(fullgraph=True) and
torch.export see one opaque node and never trace into NumPy.  Third
derivatives are not provided (gelu_grad2 has no autograd formula).  In
eager mode gelu() skips the operators' dispatch (~25 us a call): a plain
call runs the ufunc, a call that autograd records runs an
autograd.Function with the same forward and backward (the operator
gelu_backward only when the backward must be differentiable).

Dtypes: float32, float64, float16, and bfloat16 -- through gelu_fast's
bfloat16 loops when ml_dtypes is installed, else computed in float32 and
rounded once (the same bits, one extra pass).  Integer and complex tensors
raise, as torch.nn.functional.gelu does; tensors on another device raise a
RuntimeError pointing to PyTorch's own GELU.

Threads: a call runs on torch.get_num_threads() OpenMP threads (PyTorch's
intra-op setting), not on gelu_fast.set_num_threads()'s, which is restored
afterwards: a process that limits PyTorch to one thread per worker is not
oversubscribed by gelu_fast.  Results do not depend on the thread count.
"""
try:
    import torch
except ImportError as exc:                       # pragma: no cover - exercised in a subprocess test
    raise ImportError("gelu_fast.torch needs PyTorch (the 'torch' extra): python -m pip install torch") from exc

import gelu_fast as _gf

__all__ = ["gelu", "GELU"]

APPROXIMATIONS = ("none", "tanh", "sigmoid")
_FAMILY = {"none": "gelu", "tanh": "gelu_tanh", "sigmoid": "gelu_sigmoid"}
_DTYPES = (torch.float32, torch.float64, torch.float16, torch.bfloat16)


def _ufunc(approximate, kind=""):
    """gelu_fast.<family>[_kind] for an `approximate` value (looked up per call)."""
    return getattr(_gf, _FAMILY[approximate] + kind)


def _array(t):
    """A NumPy view of a CPU tensor's memory (ml_dtypes.bfloat16 for bfloat16)."""
    t = t.detach()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().view(_gf._bfloat16)
    return t.numpy()


def _run(ufunc, *tensors):
    """ufunc over the tensors into a new tensor like the last one, on
    torch.get_num_threads() threads."""
    like = tensors[-1]
    out = torch.empty_like(like)
    if like.dtype == torch.bfloat16 and _gf._bfloat16 is None:
        # no ml_dtypes: compute in float32 and round once (what the bfloat16
        # loops do, through a temporary)
        wide = _run(ufunc, *(t.float() for t in tensors))
        return out.copy_(wide)
    saved = _gf._kernel._thread_setting()
    _gf._kernel.set_num_threads(max(1, torch.get_num_threads()))
    try:
        ufunc(*(_array(t) for t in tensors), out=_array(out))
    finally:
        if saved:
            _gf._kernel.set_num_threads(saved)
        else:
            _gf._kernel.reset_num_threads()
    return out


# ---- the operators -----------------------------------------------------------

@torch.library.custom_op("gelu_fast::gelu", mutates_args=())
def _gelu_op(x: torch.Tensor, approximate: str) -> torch.Tensor:
    return _run(_ufunc(approximate), x)


@torch.library.custom_op("gelu_fast::gelu_backward", mutates_args=())
def _gelu_backward_op(grad: torch.Tensor, x: torch.Tensor, approximate: str) -> torch.Tensor:
    return _run(_ufunc(approximate, "_backward"), grad, x)


@torch.library.custom_op("gelu_fast::gelu_grad2", mutates_args=())
def _gelu_grad2_op(x: torch.Tensor, approximate: str) -> torch.Tensor:
    return _run(_ufunc(approximate, "_grad2"), x)


@_gelu_op.register_fake
def _(x, approximate):
    return torch.empty_like(x)


@_gelu_backward_op.register_fake
def _(grad, x, approximate):
    return torch.empty_like(x)


@_gelu_grad2_op.register_fake
def _(x, approximate):
    return torch.empty_like(x)


def _save_x(ctx, inputs, output):
    ctx.save_for_backward(inputs[-2])           # x (the argument before approximate)
    ctx.approximate = inputs[-1]


def _gelu_grad(ctx, grad):
    (x,) = ctx.saved_tensors
    return _gelu_backward_op(grad, x, ctx.approximate), None


def _save_grad_and_x(ctx, inputs, output):
    grad, x, approximate = inputs
    ctx.save_for_backward(grad, x)
    ctx.approximate = approximate


def _gelu_backward_grad(ctx, gg):
    """d/d(grad) = f'(x) gg, d/dx = grad f''(x) gg."""
    grad, x = ctx.saved_tensors
    d_grad = _gelu_backward_op(gg, x, ctx.approximate) if ctx.needs_input_grad[0] else None
    d_x = gg * grad * _gelu_grad2_op(x, ctx.approximate) if ctx.needs_input_grad[1] else None
    return d_grad, d_x, None


_gelu_op.register_autograd(_gelu_grad, setup_context=_save_x)
_gelu_backward_op.register_autograd(_gelu_backward_grad, setup_context=_save_grad_and_x)


class _EagerGelu(torch.autograd.Function):
    """The same forward and backward for eager autograd, without the
    operators' dispatch (~25 us a call each way); a backward that must itself
    be differentiable (create_graph) goes through gelu_fast::gelu_backward."""

    @staticmethod
    def forward(ctx, x, approximate):
        ctx.save_for_backward(x)
        ctx.approximate = approximate
        return _run(_ufunc(approximate), x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        if torch.is_grad_enabled():             # create_graph=True: double backward
            return _gelu_backward_op(grad, x, ctx.approximate), None
        return _run(_ufunc(ctx.approximate, "_backward"), grad, x), None


# ---- the public functions ------------------------------------------------------

def _check(input, approximate, name):
    if not isinstance(input, torch.Tensor):
        raise TypeError(f"gelu_fast.torch.{name}: input must be a torch.Tensor, not {type(input).__name__}")
    if approximate not in APPROXIMATIONS:
        raise ValueError(f"gelu_fast.torch.{name}: approximate must be 'none', 'tanh' or 'sigmoid', "
                         f"got {approximate!r}")
    if input.device.type != "cpu":
        raise RuntimeError(f"gelu_fast.torch.{name}: gelu_fast runs on the CPU; the tensor is on "
                           f"{input.device}. Use PyTorch's own torch.nn.functional.gelu / "
                           "torch.nn.GELU there")
    if input.dtype not in _DTYPES:
        raise RuntimeError(f"gelu_fast.torch.{name}: not implemented for {input.dtype} (floating-point "
                           "tensors only: float32, float64, float16, bfloat16), as "
                           "torch.nn.functional.gelu")


def gelu(input, approximate="none"):
    """The GELU of a CPU tensor, as torch.nn.functional.gelu(input, approximate)
    but accurate over the whole range (and approximate='sigmoid' for
    x * sigmoid(1.702 x)); differentiable twice (autograd, torch.compile)."""
    _check(input, approximate, "gelu")
    if type(input) is torch.Tensor and not torch.compiler.is_compiling():
        # eager: the ufuncs directly, without the operators' dispatch; the same bits
        if input.requires_grad and torch.is_grad_enabled():
            return _EagerGelu.apply(input, approximate)
        return _run(_ufunc(approximate), input)
    return _gelu_op(input, approximate)


class GELU(torch.nn.Module):
    """torch.nn.GELU computed by gelu_fast: the same constructor, repr and
    (no) parameters; approximate='none', 'tanh' or 'sigmoid'."""

    __constants__ = ["approximate"]
    approximate: str

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in APPROXIMATIONS:
            raise ValueError(f"gelu_fast.torch.GELU: approximate must be 'none', 'tanh' or 'sigmoid', "
                             f"got {approximate!r}")
        self.approximate = approximate

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"
