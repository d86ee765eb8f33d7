# Type stubs for gelu_fast: the ufuncs are typed as NumPy types its own
# (numpy/__init__.pyi: `exp: _UFunc_Nin1_Nout1[L["exp"], L[10], None]`), so
# type checkers know their call signatures, out=/where=/dtype= keywords,
# reduce/accumulate/outer methods and return types.  Checked by
# tests/test_typing.py with mypy.
from typing import Any, Literal as L, Protocol, SupportsIndex

from numpy._typing import _UFunc_Nin1_Nout1, _UFunc_Nin2_Nout1

__version__: str

class _Writer(Protocol):
    def write(self, s: str, /) -> object: ...

gelu: _UFunc_Nin1_Nout1[L["gelu"], L[3], None]
gelu_grad: _UFunc_Nin1_Nout1[L["gelu_grad"], L[3], None]
gelu_backward: _UFunc_Nin2_Nout1[L["gelu_backward"], L[3], None]
gelu_tanh: _UFunc_Nin1_Nout1[L["gelu_tanh"], L[3], None]
gelu_tanh_grad: _UFunc_Nin1_Nout1[L["gelu_tanh_grad"], L[3], None]
gelu_tanh_backward: _UFunc_Nin2_Nout1[L["gelu_tanh_backward"], L[3], None]
gelu_sigmoid: _UFunc_Nin1_Nout1[L["gelu_sigmoid"], L[3], None]
gelu_sigmoid_grad: _UFunc_Nin1_Nout1[L["gelu_sigmoid_grad"], L[3], None]
gelu_sigmoid_backward: _UFunc_Nin2_Nout1[L["gelu_sigmoid_backward"], L[3], None]
gelu_grad2: _UFunc_Nin1_Nout1[L["gelu_grad2"], L[3], None]
gelu_tanh_grad2: _UFunc_Nin1_Nout1[L["gelu_tanh_grad2"], L[3], None]
gelu_sigmoid_grad2: _UFunc_Nin1_Nout1[L["gelu_sigmoid_grad2"], L[3], None]

def set_num_threads(n: SupportsIndex) -> None: ...
def reset_num_threads() -> None: ...
def get_num_threads() -> int: ...
def show_config(file: _Writer | None = None) -> dict[str, Any]: ...

__all__ = ["gelu", "gelu_grad", "gelu_backward", "gelu_tanh", "gelu_tanh_grad", "gelu_tanh_backward",
           "gelu_sigmoid", "gelu_sigmoid_grad", "gelu_sigmoid_backward", "gelu_grad2", "gelu_tanh_grad2",
           "gelu_sigmoid_grad2", "set_num_threads",
           "reset_num_threads", "get_num_threads", "show_config", "__version__"]
