"""torch.compile(model, backend="fxir"): fxir as a TorchDynamo backend.

Dynamo hands over each graph it captured (an FX GraphModule of torch-level ops, with
the module's parameters among its inputs) and example inputs. fxir exports that graph
with torch.export (non-strict: it is already traced), compiles the ExportedProgram and
returns the compiled program as the graph's implementation. A graph fxir cannot take
(export fails, an op or construct fxir rejects, inputs that require grad with grad mode
on, symbolic shapes) runs as dynamo gave it (eager), and that fallback is reported: a
warning, and an entry in `fxir.dynamo_fallbacks()`. Nothing is hidden: a graph either
runs on fxir or is listed there with the reason.

Options go through torch.compile's `options`:
    torch.compile(model, backend="fxir", options={"backend": "interp", "pipeline": "default"})
"""
from __future__ import annotations

import warnings

import torch

_fallbacks: list = []
_compiled: list = []


def dynamo_fallbacks() -> list:
    """The graphs that fell back to eager: dicts with graph (a short name), reason."""
    return list(_fallbacks)


def dynamo_compiled() -> list:
    """The graphs fxir compiled: dicts with graph, backend, kernels, fused_ops."""
    return list(_compiled)


def _fallback(gm, reason: str):
    name = type(gm).__name__
    _fallbacks.append({"graph": name, "reason": reason})
    warnings.warn(f"fxir: torch.compile graph {name} runs in eager: {reason}",
                  RuntimeWarning, stacklevel=3)
    return gm.forward


def fxir_backend(gm: torch.fx.GraphModule, example_inputs, **kwargs):
    from . import compile as fxir_compile
    options = dict(kwargs.get("options") or {})
    backend = options.pop("backend", "cpu")
    pipeline = options.pop("pipeline", "default")
    if any(isinstance(x, torch.SymInt) or (isinstance(x, torch.Tensor) and any(
            isinstance(d, torch.SymInt) for d in x.shape)) for x in example_inputs):
        return _fallback(gm, "symbolic shapes from dynamo (automatic dynamic); compile with "
                             "dynamic=False, or export with dynamic_shapes and use "
                             "fxir.compile")
    if torch.is_grad_enabled() and any(
            isinstance(x, torch.Tensor) and x.requires_grad for x in example_inputs):
        return _fallback(gm, "inputs require grad (a training graph); fxir compiles "
                             "inference: run under torch.no_grad()")
    try:
        ep = torch.export.export(gm, tuple(example_inputs), strict=False)
        prog = fxir_compile(ep, backend=backend, pipeline=pipeline, config=options or None)
    except Exception as e:  # noqa: BLE001 - every reason is reported, none swallowed
        return _fallback(gm, f"{type(e).__name__}: {e}")
    rep = prog.report()
    _compiled.append({"graph": type(gm).__name__, "backend": rep["backend"],
                      "kernels": rep["kernels"], "fused_ops": rep["fused_ops"]})

    def run(*args):
        return prog(*args)

    run.fxir_program = prog
    return run


def register() -> None:
    """Registers the backend under the name "fxir" (an installed fxir also declares the
    torch_dynamo_backends entry point, which torch finds without this)."""
    from torch._dynamo.backends.registry import _BACKENDS, register_backend
    if "fxir" not in _BACKENDS or _BACKENDS.get("fxir") is None:
        register_backend(name="fxir")(fxir_backend)
