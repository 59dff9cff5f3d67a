"""fxir.compile, fxir.export_and_compile and the compiled Program."""
from __future__ import annotations

import os
from typing import Any, Mapping, Optional

import torch
import torch.utils._pytree as pytree

from . import _fxir
from ._errors import InputError



def _kids(spec) -> list:
    return list(spec.children()) if hasattr(spec, "children") else list(spec.children_specs)


def _leaf(spec) -> bool:
    return spec.is_leaf()


def _conform(value, spec):
    """`value` with every dict's keys in the order `spec` lists them (where the key sets
    agree); anything else as it is, for the structure check to judge."""
    if _leaf(spec):
        return value
    kids = _kids(spec)
    if spec.type is dict and isinstance(value, dict):
        order = list(spec.context)
        if set(order) == set(value) and len(order) == len(value):
            return {k: _conform(value[k], c) for k, c in zip(order, kids)}
        return value
    if spec.type in (tuple, list) and isinstance(value, spec.type) and len(value) == len(kids):
        return spec.type(_conform(v, c) for v, c in zip(value, kids))
    return value


def _spec(text: str):
    return pytree.treespec_loads(text) if text else None


class Program:
    """A compiled program. Call it with the arguments the exported module takes (the
    same pytree: positional and keyword arguments, tuples, lists, dicts); it returns
    what the module returns. Tensors are neither copied in nor out: inputs are read
    (and, where the module writes them, written) in place; outputs are the tensors fxir
    wrote. Runs release the GIL and run below autograd: an input that requires grad
    (with grad mode on) raises InputError."""

    def __init__(self, impl, name: str):
        self._impl = impl
        self.name = name
        self._in_spec = _spec(impl.in_spec)
        self._out_spec = _spec(impl.out_spec)
        # The common case takes no pytree work: positional leaves in, leaves out.
        ins = self._in_spec
        self._flat_in = (
            ins is not None and ins.type is tuple and ins.num_children == 2
            and _kids(ins)[0].type is tuple and all(_leaf(c) for c in _kids(_kids(ins)[0]))
            and _kids(ins)[1].type is dict and _kids(ins)[1].num_children == 0)
        outs = self._out_spec
        self._out_kind = "tree"
        if outs is not None and _leaf(outs):
            self._out_kind = "single"
        elif outs is not None and outs.type in (tuple, list) and all(
                _leaf(c) for c in _kids(outs)):
            self._out_kind = outs.type.__name__

    def __call__(self, *args, **kwargs):
        if self._flat_in and not kwargs:
            flat = args
        else:
            flat = self._flatten(args, kwargs)
        outs = self._impl.run(flat)
        kind = self._out_kind
        if kind == "tuple":
            return tuple(outs)
        if kind == "single":
            return outs[0]
        if kind == "list":
            return outs
        if self._out_spec is None:
            return tuple(outs)
        return pytree.tree_unflatten(outs, self._out_spec)

    def _flatten(self, args, kwargs):
        if self._in_spec is None:
            if kwargs:
                raise InputError(f"{self.name}: this program takes no keyword arguments")
            return args
        # Keyword arguments in the order the exported signature lists them.
        kw_spec = _kids(self._in_spec)[1] if self._in_spec.num_children == 2 else None
        if kw_spec is not None and kw_spec.type is dict and kwargs:
            order = list(kw_spec.context)
            if set(order) != set(kwargs):
                raise InputError(f"{self.name}: expected keyword arguments {order}, got "
                                 f"{sorted(kwargs)}")
            kwargs = {k: kwargs[k] for k in order}
        # Dicts are matched by key, as eager matches them: put each in the exported order.
        args, kwargs = _conform((tuple(args), dict(kwargs)), self._in_spec)
        leaves, spec = pytree.tree_flatten((args, kwargs))
        if spec != self._in_spec:
            raise InputError(f"{self.name}: the inputs' structure {spec} is not the exported "
                             f"one {self._in_spec}")
        return leaves

    def run_flat(self, inputs):
        """Runs on the flat inputs in signature order (prog.inputs()); returns the flat
        outputs as a list."""
        return self._impl.run(inputs)

    def ir(self, debuginfo: bool = False) -> str:
        """The program as the backend received it (after its pipeline), in fxir's text
        format; `debuginfo` adds the provenance of every op."""
        return self._impl.ir(debuginfo)

    def report(self) -> dict:
        """What compiling did: backend, kernels, fused_ops, library_ops and extern_ops
        (op -> count, ATen ops outside kernels), compile_ms, and the backend's info (cache
        hit or miss, target, threads)."""
        return self._impl.report()

    def explain(self) -> str:
        """Per generated kernel, the ops it fuses with the user's source lines."""
        return self._impl.explain()

    def to_dot(self) -> str:
        """The program as a Graphviz graph: ops with their source lines, regions and
        kernels as clusters, ATen calls marked (render with `dot -Tsvg`)."""
        return self._impl.to_dot()

    def inputs(self) -> list:
        """The flat inputs in call order: name, type, constant, mutated."""
        return self._impl.inputs()

    def weight(self, fqn: str) -> Optional[torch.Tensor]:
        """The current value of a parameter, buffer or constant, or None."""
        return self._impl.weight(fqn)

    @property
    def backend(self) -> str:
        return self._impl.backend

    def __repr__(self) -> str:
        return f"<fxir.Program {self.name} on {self.backend}, {self._impl.num_inputs} inputs>"


def _options(config: Optional[Mapping[str, Any]]):
    """A config dict: `pipeline_config` (a YAML file) and backend options (key: value,
    as fxir-run --backend-option KEY=VALUE takes them)."""
    config = dict(config or {})
    yaml = str(config.pop("pipeline_config", "") or "")
    opts = {}
    for k, v in config.items():
        if isinstance(v, bool):
            v = "true" if v else "false"
        opts[str(k)] = str(v)
    return yaml, opts


def compile(ep_or_path, backend: str = "cpu", pipeline: Optional[str] = "default",
            config: Optional[Mapping[str, Any]] = None) -> Program:
    """Compiles a torch.export.ExportedProgram or a .pt2 archive.

    backend:  "cpu" (generated kernels, ATen for the rest) or "interp" (ATen only, the
              reference); `fxir-run --list-backends` lists them.
    pipeline: passes to run, as fxir-opt takes them ("default", "cse,dce"); None: the
              backend's default; "": none.
    config:   backend options ({"threads": 2, "cache": False, "cache-dir": ...}) and
              "pipeline_config", a YAML pipeline config file.

    An ExportedProgram's graph goes to fxir in memory (no file) and its weights are its
    own tensors, bound without copies: a buffer the program mutates is updated in the
    ExportedProgram's state dict, as `ep.module()` updates it.
    """
    yaml, opts = _options(config)
    if isinstance(ep_or_path, (str, os.PathLike)):
        path = os.fspath(ep_or_path)
        impl = _fxir.compile_path(path, backend, pipeline, yaml, opts)
        return Program(impl, path)
    if not isinstance(ep_or_path, torch.export.ExportedProgram):
        raise TypeError("fxir.compile takes a torch.export.ExportedProgram or a .pt2 path, "
                        f"not {type(ep_or_path).__name__}")
    ep = ep_or_path
    from torch._export.serde.serialize import serialize
    artifact = serialize(ep, serialize_state_dict=False, serialize_constants=False,
                         serialize_example_inputs=False)
    weights = [(fqn, t, 0 if isinstance(t, torch.nn.Parameter) else 1)
               for fqn, t in ep.state_dict.items()]
    weights += [(fqn, t, 2) for fqn, t in ep.constants.items() if isinstance(t, torch.Tensor)]
    name = "<ExportedProgram>"
    impl = _fxir.compile_json(artifact.exported_program, name, weights, backend, pipeline,
                              yaml, opts)
    return Program(impl, name)


def export_and_compile(module: torch.nn.Module, args: tuple, kwargs: Optional[dict] = None,
                       *, strict: bool = False, dynamic_shapes=None, backend: str = "cpu",
                       pipeline: Optional[str] = "default",
                       config: Optional[Mapping[str, Any]] = None) -> Program:
    """torch.export.export(module, args, kwargs, strict=..., dynamic_shapes=...), then
    fxir.compile of the result."""
    ep = torch.export.export(module, tuple(args), kwargs, strict=strict,
                             dynamic_shapes=dynamic_shapes)
    return compile(ep, backend=backend, pipeline=pipeline, config=config)
