"""fxir: compile programs exported from PyTorch and run them on torch tensors.

    import torch, fxir
    ep = torch.export.export(model, (x,))
    prog = fxir.compile(ep)            # or fxir.compile("model.pt2")
    y = prog(x)                        # torch tensors in, torch tensors out, no copies
    torch.testing.assert_close(y, model(x))

See docs/python.md.
"""
import torch as _torch

from ._build_info import TORCH_VERSION as _BUILT_FOR, VERSION as __version__

if _torch.__version__ != _BUILT_FOR:
    raise ImportError(
        f"fxir {__version__} was built against torch {_BUILT_FOR}, but this environment "
        f"imports torch {_torch.__version__} (from {_torch.__file__}); fxir links that "
        f"torch's LibTorch, so it must be rebuilt against this one: "
        f"pip install --no-build-isolation --force-reinstall <fxir checkout>")

from ._errors import Error, ReadError, CompileError, InputError, RunError  # noqa: E402

try:
    from . import _fxir  # noqa: E402
except ImportError as e:  # a broken or foreign build: say what, not just the symbol
    raise ImportError(
        f"fxir's native module failed to load ({e}); it must be built against torch "
        f"{_BUILT_FOR} in this environment (pip install --no-build-isolation .)") from e

_fxir._set_error_classes(Error, ReadError, CompileError, InputError, RunError)

from ._program import Program, compile, export_and_compile  # noqa: E402
from ._dynamo import dynamo_compiled, dynamo_fallbacks  # noqa: E402

__all__ = ["compile", "export_and_compile", "Program", "Error", "ReadError",
           "CompileError", "InputError", "RunError", "dynamo_compiled",
           "dynamo_fallbacks", "__version__"]
