# cython: language_level=3
"""Registration of gelu_fast's NumPy ufuncs.

The loops live in the kernel module that gelu_fast._dispatch picked for this
CPU (one of _kernel_baseline / _kernel_avx2 / _kernel_avx512); its
``loop_table()`` gives their addresses.  ``create_ufuncs`` wraps them in real
``numpy.ufunc`` objects with ``PyUFunc_FromFuncAndData``, so out=, where=,
dtype=, casting=, order=, broadcasting, __array_ufunc__ overrides (Dask,
xarray) and NumPy's type resolution behave exactly as for ``np.exp``: loops
exist for float16, float32 and float64 (registered in that order, so integer
and bool inputs are cast as np.exp casts them), and any other input type
raises NumPy's own TypeError before anything is written.

The ufuncs are created once per process, so ``gelu_fast.gelu is
gelu_fast.gelu`` always holds and they pickle by reference.

bfloat16: when ml_dtypes is importable, ``register_bfloat16`` adds a
bfloat16 loop to every ufunc with ``PyUFunc_RegisterLoopForType`` (all
arguments and the result ml_dtypes.bfloat16).  NumPy then picks it for
bfloat16 inputs; mixed calls (a bfloat16 and a float32 array) resolve to the
float32 loop, as bfloat16 -> float32 is the only safe cast among the loops.
Without ml_dtypes nothing changes: bfloat16 arrays cannot exist.
"""

cimport numpy as cnp
from libc.stdlib cimport malloc

cnp.import_array()
cnp.import_ufunc()

# float16, float32, float64 loops: each row is (inputs..., output).
cdef char TYPES_UNARY[6]
cdef char TYPES_BINARY[9]
for _i, _t in enumerate((cnp.NPY_FLOAT16, cnp.NPY_FLOAT32, cnp.NPY_FLOAT64)):
    TYPES_UNARY[2 * _i] = TYPES_UNARY[2 * _i + 1] = _t
    TYPES_BINARY[3 * _i] = TYPES_BINARY[3 * _i + 1] = TYPES_BINARY[3 * _i + 2] = _t
cdef void* NO_DATA[3]
NO_DATA[0] = NO_DATA[1] = NO_DATA[2] = NULL

_ACCURACY = """\
Accuracy: float32 <= 2 ULP, float64 <= 4 ULP against the exactly rounded
value over the whole range, including the far negative tail and subnormal
results; float16 is the float32 result rounded once (<= 1 ULP).  See
README.md for the measured maxima."""

DOCS = {
    "gelu": f"""\
Exact Gaussian Error Linear Unit, gelu(x) = x * Phi(x).

Phi is the standard normal CDF.  Equivalent to PyTorch's
``torch.nn.functional.gelu(x, approximate='none')`` and JAX's
``jax.nn.gelu(x, approximate=False)``, but accurate in the negative tail,
where 0.5*x*(1 + erf(x/sqrt(2))) cancels (it is 100 % wrong below x ~ -6 in
float32).

{_ACCURACY}

Special values: gelu(nan) = nan, gelu(inf) = inf, gelu(-inf) = -0.0,
gelu(+-0) = +-0.

Examples
--------
>>> import numpy as np, gelu_fast
>>> gelu_fast.gelu(np.array([-1.0, 0.0, 1.0]))
array([-0.15865525,  0.        ,  0.84134475])
""",
    "gelu_grad": f"""\
Derivative of the exact GELU, gelu_grad(x) = Phi(x) + x * phi(x).

phi is the standard normal density.  What
``torch.ops.aten.gelu_backward(ones, x)`` computes.

{_ACCURACY}
Near its zero at x ~ -0.7518 the error is bounded relative to the terms:
|error| <= bound * ULP + eps * (|Phi(x)| + |x * phi(x)|).

Special values: gelu_grad(nan) = nan, gelu_grad(inf) = 1,
gelu_grad(-inf) = -0.0, gelu_grad(0) = 0.5.

Examples
--------
>>> import gelu_fast
>>> float(gelu_fast.gelu_grad(0.0))
0.5
""",
    "gelu_backward": f"""\
Backward pass of the exact GELU: gelu_backward(grad_output, x) =
grad_output * gelu_grad(x), fused (no temporary array).

Argument order as PyTorch's ``torch.ops.aten.gelu_backward(grad_output,
x)``; the two arguments broadcast against each other.  The result equals
``grad_output * gelu_grad(x)`` up to one final rounding (exactly so in
float64).

{_ACCURACY}

Examples
--------
>>> import numpy as np, gelu_fast
>>> gelu_fast.gelu_backward(np.float64(2.0), np.float64(0.0))
1.0
""",
}

_APPROX = {
    "tanh": dict(
        formula="gelu_tanh(x) = 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x**3)))",
        torch="torch.nn.functional.gelu(x, approximate='tanh')",
        jax="jax.nn.gelu(x) (approximate=True, JAX's default)",
        ort="onnxruntime FastGelu / Gelu(approximate='tanh') (opset 20)",
        note="computed as x * sigmoid(2u), u = sqrt(2/pi)*(x + 0.044715*x**3), which "
             "never cancels and never overflows x**3 (float16 is computed in float32)"),
    "sigmoid": dict(
        formula="gelu_sigmoid(x) = x * sigmoid(1.702 * x)",
        torch="x * torch.sigmoid(1.702 * x)",
        jax="x * jax.nn.sigmoid(1.702 * x)",
        ort="onnxruntime QuickGelu (alpha=1.702)",
        note="CLIP's 'QuickGELU'"),
}
for _form, _d in _APPROX.items():
    _name = f"gelu_{_form}"
    _ref = ("the formula evaluated exactly, with its decimal constants "
            "(not the exact GELU)")
    DOCS[_name] = f"""\
Approximate GELU, {_d['formula']}.

Matches {_d['torch']}, {_d['jax']} and {_d['ort']}: use it to run a model
trained with this form; {_d['note']}.

{_ACCURACY}
The reference is {_ref}.
"""
    DOCS[f"{_name}_grad"] = f"""\
Derivative of {_name}: d/dx [x * sigmoid(z(x))] with z(x) as in {_name}.

What autograd computes for {_d['torch']}.

{_ACCURACY}
Near its zero (x < 0) the error is bounded relative to the terms
sigmoid(z) and x*z'(x)*sigmoid(z)*(1 - sigmoid(z)).

Special values: nan -> nan, inf -> 1, -inf -> -0.0, 0 -> 0.5.
"""
    DOCS[f"{_name}_backward"] = f"""\
Backward pass of {_name}: {_name}_backward(grad_output, x) =
grad_output * {_name}_grad(x), fused (no temporary array).

Argument order as PyTorch's ``torch.ops.aten.gelu_backward(grad_output, x{", approximate='tanh'" if _form == "tanh" else ""})``.
The result equals ``grad_output * {_name}_grad(x)`` up to one final rounding.

{_ACCURACY}
"""

DOCS["gelu_grad2"] = f"""\
Second derivative of the exact GELU, gelu_grad2(x) = phi(x) * (2 - x**2).

phi is the standard normal density.  What double backward through
``torch.nn.functional.gelu`` needs (Hessian-vector products, gradient
penalties, physics-informed networks).

{_ACCURACY}
Near its zeros at x = +-sqrt(2) the error is bounded relative to the terms:
|error| <= bound * ULP + eps * (2*phi(x) + x**2 * phi(x)).

Special values: nan -> nan, +-inf -> -0.0, 0 -> 2/sqrt(2 pi) = 0.7978845608.

Examples
--------
>>> import gelu_fast
>>> float(gelu_fast.gelu_grad2(0.0))
0.7978845608028654
"""
for _form, _d in _APPROX.items():
    _name = f"gelu_{_form}"
    DOCS[f"{_name}_grad2"] = f"""\
Second derivative of {_name}: d2/dx2 [x * sigmoid(z(x))] =
s*(1 - s)*(2 z' + x z'' + x z'**2 (1 - 2 s)), s = sigmoid(z(x)), z as in {_name}.

What double backward through {_d['torch']} computes.

{_ACCURACY}
Near its zeros (x ~ +-1.4) the error is bounded relative to the terms
s*(1 - s)*(2 z' + x z'') and s*(1 - s)*x z'**2 (1 - 2 s).

Special values: nan -> nan, +-inf -> -0.0, 0 -> 2 z'(0)/4.
"""

# NumPy keeps pointers to the name and doc strings and the loop arrays for
# the lifetime of the ufunc: keep them alive here.
_keep_alive = []


def create_ufuncs(kernel):
    """Build {name: numpy.ufunc} from the loops of a kernel module."""
    table = kernel.loop_table()
    if set(table) != set(DOCS):
        raise ImportError(f"gelu_fast: kernel module {kernel.__name__} defines "
                          f"{sorted(table)}, expected {sorted(DOCS)}")
    ufuncs = {}
    cdef cnp.PyUFuncGenericFunction* funcs
    cdef int nin
    cdef char* types
    for name, (nin, addresses) in table.items():
        funcs = <cnp.PyUFuncGenericFunction*>malloc(3 * sizeof(cnp.PyUFuncGenericFunction))
        if funcs == NULL:
            raise MemoryError()
        for j, address in enumerate(addresses):
            funcs[j] = <cnp.PyUFuncGenericFunction><size_t>address
        bname, bdoc = name.encode(), DOCS[name].encode()
        _keep_alive.append((bname, bdoc))
        types = <char*>TYPES_UNARY if nin == 1 else <char*>TYPES_BINARY
        ufuncs[name] = cnp.PyUFunc_FromFuncAndData(
            funcs, NO_DATA, types,
            3, nin, 1, cnp.PyUFunc_None, bname, bdoc, 0)
    _keep_alive.append(kernel)
    return ufuncs


def register_bfloat16(ufuncs, kernel, dtype):
    """Register the kernel's bfloat16 loops on the ufuncs for `dtype`
    (numpy.dtype(ml_dtypes.bfloat16)): every argument and the result of that
    dtype."""
    cdef int num = dtype.num
    cdef int* types
    cdef cnp.ufunc uf
    for name, address in kernel.bfloat16_loop_table().items():
        uf = ufuncs[name]
        types = <int*>malloc(3 * sizeof(int))
        if types == NULL:
            raise MemoryError()
        types[0] = types[1] = types[2] = num
        cnp.PyUFunc_RegisterLoopForType(uf, num, <cnp.PyUFuncGenericFunction><size_t>address, types, NULL)
