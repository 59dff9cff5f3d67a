"""The export corpus: model definitions and the registry that generate.py exports.

What this file does:
  * defines small torch.nn.Modules, each covering one feature fxir must read (a HOP, an
    in-place op, a dynamic shape, a dtype, a pytree input/output form, ...);
  * registers each one with its family, its example inputs (built under a per-model
    seed), its dynamic_shapes, the export modes that torch 2.13 is *expected* to reject
    (with a regex for the error and the reason);
  * names the cases that must always export (MUST_EXPORT), so the corpus cannot shrink
    silently: check_corpus.py fails when one of them stops exporting, and the registry
    itself fails to import when an expected failure is declared for one of them.

What it does not do: export, save or check anything (generate.py, check_corpus.py).

Every model is exported in three modes (case name `<model>.<mode>`):
  strict      torch.export.export(..., strict=True)
  nonstrict   torch.export.export(..., strict=False)
  decomposed  the nonstrict export followed by ep.run_decompositions()

The "seed" family reproduces /work/shared/reference/seed.md (docs/seed.md): the classes
ScanModel and UpdateModel and the function `add` below are copied verbatim from it.
"""
from __future__ import annotations

import functools
import zlib
from dataclasses import dataclass, field
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn
from torch._higher_order_ops.map import map as hop_map
from torch._higher_order_ops.scan import scan
from torch._higher_order_ops.while_loop import while_loop
from torch.export import Dim

MODES = ("strict", "nonstrict", "decomposed")


@dataclass(frozen=True)
class XFail:
    """An export mode that torch 2.13 rejects: `pattern` is a regex searched in
    "<ExceptionType>: <message>", `reason` says why (and goes into the manifest)."""
    pattern: str
    reason: str


@dataclass(frozen=True)
class Model:
    name: str
    family: str
    cls: type  # the nn.Module class; built with cls() under the model's seed
    make_inputs: Callable[[], tuple[tuple, dict]]
    dynamic_shapes: Callable[[], object] | None = None
    xfail: dict[str, XFail] = field(default_factory=dict)
    note: str = ""
    # Modes whose archive exports and runs as imported but fails in an fxir pass that
    # is not written yet (a known gap, with the issue that closes it): every pipeline
    # that runs functionalize must fail with `pattern`; the test suite flags the entry
    # as soon as it passes, so it is removed with the fix.
    fxir_xfail: dict[str, XFail] = field(default_factory=dict)
    # Inputs to run with (eager's reference and the saved inputs) when they differ from
    # the ones exported with: a dynamic dim run at another size than it was traced at.
    run_inputs: Callable[[], tuple[tuple, dict]] | None = None
    # A decode step run for several steps in a row (generate.py records eager's).
    decode: "Decode | None" = None
    # Options the cpu backend runs this model with in the corpus test, each with its
    # reason (docs/codegen.md): {"emulate-eager-rounding": "true"} where f32 between
    # fused ops goes past the dtype's tolerance.
    cpu_options: dict[str, str] = field(default_factory=dict)

    @property
    def seed(self) -> int:
        """torch.manual_seed for building the module and its inputs (stable per name)."""
        return zlib.crc32(self.name.encode()) & 0x7FFFFFFF


MODELS: list[Model] = []


@dataclass(frozen=True)
class Decode:
    """Several decode steps on one program: before each step after the first, input
    `feed[o]` becomes output `o` of the step before (the next token) and input `a`
    grows by `advance[a]` (the position). Everything else is passed again as it is:
    a cache held in buffers or in inputs the program writes carries over."""
    steps: int
    feed: dict[int, int]
    advance: dict[int, int]


@dataclass(frozen=True)
class Call:
    """Example inputs with keyword arguments: `lambda: call(x, bias=b)`."""
    args: tuple
    kwargs: dict


def call(*args, **kwargs) -> Call:
    return Call(args, kwargs)


def _as_call(inputs):
    def make():
        made = inputs()
        return (made.args, made.kwargs) if isinstance(made, Call) else (made, {})
    return make


def register(name, family, inputs, *, dynamic_shapes=None, xfail=None, note="",
             fxir_xfail=None, run_inputs=None, decode=None, cpu_options=None):
    """Class decorator: add the module class to MODELS. `inputs` (and `run_inputs`)
    return the positional args as a tuple, or a Call; they run after
    torch.manual_seed(model.seed)."""
    def deco(cls):
        MODELS.append(Model(name, family, cls, _as_call(inputs), dynamic_shapes,
                            dict(xfail or {}), note, dict(fxir_xfail or {}),
                            _as_call(run_inputs) if run_inputs else None, decode,
                            dict(cpu_options or {})))
        return cls
    return deco


def all_modes(pattern, reason) -> dict[str, XFail]:
    return {mode: XFail(pattern, reason) for mode in MODES}


def r(*shape, dtype=torch.float32):
    return torch.randn(*shape).to(dtype)


# =====================================================================================
# seed: /work/shared/reference/seed.md
# =====================================================================================

# ---- (a) verbatim from seed.md ------------------------------------------------------
def add(carry: torch.Tensor, y: torch.Tensor):
    next_carry = carry + y
    return [next_carry, next_carry]


class ScanModel(torch.nn.Module):
    def forward(self, x):
        init = torch.zeros_like(x[0])
        carry, out = torch.ops.higher_order.scan(
            add, [init], [x], dim=0, reverse=False, additional_inputs=[]
        )
        return carry


class UpdateModel(torch.nn.Module):
    def forward(
        self, x: torch.Tensor, update: torch.Tensor, kv_index: torch.LongTensor
    ):
        x = x.clone()
        x[..., kv_index] = update
        return x
# ---- end of verbatim code ----------------------------------------------------------


def seed_scan_x():
    """The `x` of the seed's ScanModel block."""
    return torch.tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]], dtype=torch.float32)


def seed_update_inputs(index_dtype):
    """The seed's `example_inputs` for UpdateModel, with the index dtype chosen."""
    return (
        torch.ones((4, 4, 10)).to(torch.float32),
        (torch.arange(2) + 10).to(torch.float32).reshape((1, 1, 2)),
        torch.Tensor([1, 2]).to(index_dtype),
    )


register("seed_scan_verbatim", "seed", lambda: (seed_scan_x(),),
         xfail={"strict": XFail(r"TypeError: .*arg_extractor\(\) got an unexpected keyword "
                                r"argument 'dim'",
                                "the scan HOP no longer takes dim/reverse keywords (dynamo's "
                                "argument extractor rejects them)"),
                "nonstrict": XFail(r"TypeError: ScanOp.__call__\(\) got an unexpected keyword "
                                   r"argument 'dim'",
                                   "the scan HOP no longer takes dim/reverse keywords"),
                "decomposed": XFail(r"TypeError: ScanOp.__call__\(\) got an unexpected keyword "
                                    r"argument 'dim'",
                                    "the scan HOP no longer takes dim/reverse keywords")},
         note="seed (a): ScanModel exactly as written in seed.md")(ScanModel)


# The seed exports UpdateModel with `(x,)`: in a fresh interpreter `x` is undefined
# (NameError before torch is reached); in the runpython session it is the ScanModel
# block's 3x3 `x`, which is what this case passes.
class SeedUpdateWrongTuple(UpdateModel):
    """UpdateModel, exported with the seed's wrong `(x,)` argument tuple."""


register("seed_update_wrong_tuple", "seed", lambda: (seed_scan_x(),),
         xfail=all_modes(r"TypeError: missing a required argument: 'update'",
                         "the seed passes `(x,)` to a forward that takes three tensors"),
         note="seed (a): UpdateModel with torch.export.export(model, (x,), ...) as written"
         )(SeedUpdateWrongTuple)


# ---- (b) the nearest forms that run on torch 2.13 ------------------------------------
def add_cloned(carry: torch.Tensor, y: torch.Tensor):
    next_carry = carry + y
    return [next_carry, next_carry.clone()]


@register("seed_scan_hop", "seed", lambda: (seed_scan_x(),),
          xfail={"strict": XFail(r"improper combine_fn",
                                 "strict export (dynamo) only accepts the raw scan HOP with a "
                                 "functools.partial / GraphModule combine_fn, i.e. as called "
                                 "by the user-level scan()")},
          note="seed (b): raw HOP, positional (combine, init, xs, additional_inputs), "
               "duplicated output cloned")
class SeedScanHop(nn.Module):
    def forward(self, x):
        init = torch.zeros_like(x[0])
        carry, out = torch.ops.higher_order.scan(add_cloned, [init], [x], ())
        return carry, out


@register("seed_scan_hop_partial", "seed", lambda: (seed_scan_x(),),
          xfail={"strict": XFail(r"KeyError: 'combine_fn'",
                                 "dynamo's scan handler expects the user-level scan() frame "
                                 "(it looks up its `combine_fn` local)")},
          note="raw HOP with the combine fn wrapped in functools.partial")
class SeedScanHopPartial(nn.Module):
    def forward(self, x):
        init = torch.zeros_like(x[0])
        carry, out = torch.ops.higher_order.scan(functools.partial(add_cloned), [init], [x],
                                                 ())
        return carry, out


@register("seed_scan_hop_aliased", "seed", lambda: (seed_scan_x(),),
          xfail={"strict": XFail(r"improper combine_fn",
                                 "raw HOP under strict export, as seed_scan_hop"),
                 "decomposed": XFail(r"scan might be aliasing the input or the output",
                                     "run_decompositions re-traces the combine graph, "
                                     "which returns the same tensor twice")},
          note="raw HOP, positional, with the seed's uncloned duplicated output: non-strict "
               "export accepts it, run_decompositions rejects it")
class SeedScanHopAliased(nn.Module):
    def forward(self, x):
        init = torch.zeros_like(x[0])
        carry, out = torch.ops.higher_order.scan(add, [init], [x], ())
        return carry, out


@register("seed_scan_user_aliased", "seed", lambda: (seed_scan_x(),),
          xfail=all_modes(r"Encountered aliasing during higher order op tracing",
                          "the user-level scan rejects a combine fn that returns the same "
                          "tensor twice"),
          note="user-level scan with the seed's uncloned combine fn")
class SeedScanUserAliased(nn.Module):
    def forward(self, x):
        init = torch.zeros_like(x[0])
        carry, out = scan(add, init, x, dim=0, reverse=False)
        return carry, out


@register("seed_scan_user", "seed", lambda: (torch.arange(12, dtype=torch.float32).reshape(3, 4),),
          note="seed (b): user-level scan with dim=1, reverse=True")
class SeedScanUser(nn.Module):
    def forward(self, x):
        init = torch.zeros_like(x[:, 0])
        carry, out = scan(add_cloned, init, x, dim=1, reverse=True)
        return carry, out


# ---- (c) UpdateModel with its own example inputs --------------------------------------
class SeedUpdateInt32(UpdateModel):
    """UpdateModel with the seed's example_inputs (int32 kv_index)."""


class SeedUpdateInt64(UpdateModel):
    """UpdateModel with the seed's example_inputs, kv_index as int64."""


register("seed_update_int32", "seed", lambda: seed_update_inputs(torch.int32),
         note="seed (c): x[..., kv_index] = update, int32 index")(SeedUpdateInt32)
register("seed_update_int64", "seed", lambda: seed_update_inputs(torch.int64),
         note="seed (c): x[..., kv_index] = update, int64 index")(SeedUpdateInt64)


# =====================================================================================
# scan
# =====================================================================================
@register("scan_multi", "scan", lambda: (r(4, 3), r(4, 2), r(3), r(2)))
class ScanMulti(nn.Module):
    """Two carries, two xs, three ys."""
    def forward(self, xs_a, xs_b, init_a, init_b):
        def combine(carry, x):
            a, b = carry
            xa, xb = x
            na = a * 0.5 + xa
            nb = b + xb.sin()
            return (na, nb), (na * 2, nb.clone(), (na.sum() + nb.sum()).reshape(1))
        (a, b), (ya, yb, ys) = scan(combine, (init_a, init_b), (xs_a, xs_b))
        return a, b, ya, yb, ys


@register("scan_reverse_dim", "scan", lambda: (r(2, 5, 3),))
class ScanReverseDim(nn.Module):
    """reverse=True over dim 1 of a rank-3 input (ys come back on dim 1)."""
    def forward(self, x):
        def combine(c, xt):
            n = c + xt
            return n, n.cumsum(-1)
        return scan(combine, torch.zeros_like(x[:, 0]), x, dim=1, reverse=True)


@register("scan_closure_params", "scan", lambda: (r(5, 2, 4),))
class ScanClosureParams(nn.Module):
    """An RNN cell: the combine fn closes over the module's parameters."""
    def __init__(self):
        super().__init__()
        self.w_ih = nn.Parameter(torch.randn(4, 6) * 0.3)
        self.w_hh = nn.Parameter(torch.randn(6, 6) * 0.3)
        self.bias = nn.Parameter(torch.randn(6) * 0.1)

    def forward(self, xs):
        def cell(h, x):
            h = torch.tanh(x @ self.w_ih + h @ self.w_hh + self.bias)
            return h, h.clone()
        h0 = xs.new_zeros(xs.shape[1], 6)
        return scan(cell, h0, xs)


@register("scan_additional_inputs", "scan", lambda: (r(4, 3), r(3), r(3)))
class ScanAdditionalInputs(nn.Module):
    """The combine fn closes over user inputs (scale, shift): they become the HOP's
    additional_inputs."""
    def forward(self, xs, scale, shift):
        def combine(c, x):
            n = c * scale + x - shift
            return n, n * 2
        return scan(combine, torch.ones_like(xs[0]), xs)


@register("scan_nested", "scan", lambda: (r(3, 4, 2),))
class ScanNested(nn.Module):
    """A scan inside the combine fn of a scan."""
    def forward(self, x):
        def inner(c, xt):
            n = c + xt
            return n, n * n

        def outer(c, row):
            c2, ys = scan(inner, c, row)
            return c2 * 0.5, ys.sum(0)
        return scan(outer, torch.zeros_like(x[0, 0]), x)


@register("scan_inplace_body", "scan", lambda: (r(4, 3),))
class ScanInplaceBody(nn.Module):
    """In-place ops on tensors local to the combine fn."""
    def forward(self, xs):
        def combine(c, x):
            t = c.clone()
            t.mul_(0.5)
            t.add_(x)
            u = torch.zeros_like(x)
            u[0] = t[0]
            return t, u + 1
        return scan(combine, torch.zeros_like(xs[0]), xs)


@register("scan_dyn_length", "scan", lambda: (r(16, 64), r(64)),
          dynamic_shapes=lambda: {"xs": {0: Dim("steps", min=2, max=4096)}, "h0": None},
          note="a pointwise scan of symbolic length, its carry a user input (the native "
               "loop: one kernel, no allocation a step; must leave h0 as it was)")
class ScanDynLength(nn.Module):
    def forward(self, xs, h0):
        def combine(c, x):
            c = c * 0.5 + torch.sin(x)
            return c, c * 2
        return scan(combine, h0, xs)


@register("scan_bf16_carry", "scan", lambda: (r(3, 40, 37, dtype=torch.bfloat16),),
          # The carry is stored as bf16 every step (eager's rounding between steps); inside
          # a step fused f32 skips the rounding of c * 0.75 (one bf16 ulp, carried on over
          # 40 steps: 10 of 111 past bf16's tolerance): cpu rounds as eager here.
          cpu_options={"emulate-eager-rounding": "true"})
class ScanBf16Carry(nn.Module):
    """A bf16 carry rounded every step as eager rounds it, scanned along dim 1 in
    reverse (strided slices), with an f32 stacked output."""
    def forward(self, x):
        def combine(c, xt):
            c = c * 0.75 + xt
            return c, c.float() * 3
        return scan(combine, torch.zeros_like(x[:, 0]), x, dim=1, reverse=True)


# =====================================================================================
# cond
# =====================================================================================
@register("cond_tensor_pred", "cond", lambda: (r(3, 4),))
class CondTensorPred(nn.Module):
    """Tensor predicate; the branches use a submodule's parameters."""
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 4)

    def forward(self, x):
        def true_fn(x):
            return self.lin(x).relu()

        def false_fn(x):
            return (x - 1).cos()
        return torch.cond(x.sum() > 0, true_fn, false_fn, (x,))


@register("cond_symbolic_pred", "cond", lambda: (r(6, 3),),
          dynamic_shapes=lambda: {"x": {0: Dim("batch", min=2, max=16)}})
class CondSymbolicPred(nn.Module):
    """Predicate on a symbolic size (x.shape[0] > 4 with a Dim on dim 0)."""
    def forward(self, x):
        return torch.cond(x.shape[0] > 4, lambda x: x.sin() * 2, lambda x: x.cos(), (x,))


# =====================================================================================
# while_loop
# =====================================================================================
@register("while_int_counter", "while_loop", lambda: (r(3),),
          xfail=all_modes(r"Unsupported list/tuple argument type: \[<class 'int'>, "
                          r"<class 'torch.fx.node.Node'>\]",
                          "export succeeds, but torch.export.save cannot serialize the "
                          "HOP's carried tuple (0, %x): a literal int mixed with tensors"),
          note="a literal int counter: exports, cannot be saved")
class WhileIntCounter(nn.Module):
    """A Python int literal carried as the loop counter."""
    def forward(self, x):
        def cond_fn(i, acc):
            return i < 5

        def body_fn(i, acc):
            return i + 1, acc * 0.5 + 1.0
        return while_loop(cond_fn, body_fn, (0, x))


@register("while_symint_counter", "while_loop", lambda: (r(3, 2),),
          dynamic_shapes=lambda: {"x": {0: Dim("rows", max=8)}})
class WhileSymIntCounter(nn.Module):
    """An int counter that starts at a symbolic size (x.shape[0]): a SymInt carry."""
    def forward(self, x):
        def cond_fn(i, acc):
            return i < 10

        def body_fn(i, acc):
            return i + 1, acc * 0.5 + 1.0
        return while_loop(cond_fn, body_fn, (x.shape[0], x))


@register("while_item_counter", "while_loop", lambda: (r(3), torch.tensor(1)),
          xfail={mode: XFail(r"Unbacked SymInt input is not supported yet",
                             "non-strict export cannot carry an unbacked SymInt (.item()) "
                             "into while_loop; strict export can")
                 for mode in ("nonstrict", "decomposed")},
          note="an int counter that starts at an unbacked SymInt from .item()")
class WhileItemCounter(nn.Module):
    def forward(self, x, n):
        def cond_fn(i, acc):
            return i < 5

        def body_fn(i, acc):
            return i + 1, acc * 0.5 + 1.0
        return while_loop(cond_fn, body_fn, (n.item(), x))


@register("while_tensor_counter", "while_loop", lambda: (r(2, 3), torch.tensor(4)))
class WhileTensorCounter(nn.Module):
    """A 0-dim int64 tensor counter, a data-dependent trip count, a parameter."""
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(3, 3) * 0.5)

    def forward(self, x, n):
        def cond_fn(i, h):
            return i < n

        def body_fn(i, h):
            return i + 1, torch.tanh(h @ self.w)
        return while_loop(cond_fn, body_fn, (torch.zeros((), dtype=torch.int64), x))


# =====================================================================================
# map
# =====================================================================================
@register("map_basic", "map", lambda: (r(4, 2, 3), r(3, 2)))
class MapBasic(nn.Module):
    """torch._higher_order_ops.map over dim 0 with an extra positional arg."""
    def forward(self, xs, w):
        def body(x, w):
            return (x @ w).relu() + 1
        return hop_map(body, xs, w)


@register("map_multi", "map", lambda: (r(3, 4), r(3, 4)))
class MapMulti(nn.Module):
    """map over two xs, two outputs, closure over a parameter."""
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.randn(4))

    def forward(self, a, b):
        def body(pair):
            xa, xb = pair
            return xa * self.scale + xb, (xa - xb).abs()
        return hop_map(body, (a, b))


# =====================================================================================
# mutation: in-place ops, buffers, setitem
# =====================================================================================
@register("mut_user_inputs", "mutation", lambda: (r(2, 3), r(2, 3)))
class MutUserInputs(nn.Module):
    """add_ / mul_ on user inputs."""
    def forward(self, x, y):
        x.add_(1.0)
        y.mul_(2.0)
        return x + y


@register("mut_buffers", "mutation", lambda: (r(3, 4),))
class MutBuffers(nn.Module):
    """Buffers updated in forward (a counter and a running mean)."""
    def __init__(self):
        super().__init__()
        self.register_buffer("count", torch.zeros((), dtype=torch.int64))
        self.register_buffer("running", torch.zeros(4))

    def forward(self, x):
        self.count.add_(1)
        self.running.mul_(0.9).add_(x.mean(0) * 0.1)
        return x - self.running


@register("mut_buffer_and_input", "mutation", lambda: (r(2, 3), r(3)))
class MutBufferAndInput(nn.Module):
    """A user input and a buffer mutated in one forward, the input first (shows the order
    of the mutation outputs after run_decompositions)."""
    def __init__(self):
        super().__init__()
        self.register_buffer("total", torch.zeros(3))

    def forward(self, x, y):
        y.sub_(x.sum(0))
        self.total.add_(y)
        return self.total * 2


@register("setitem_int", "mutation", lambda: (r(3, 4), r(4)))
class SetitemInt(nn.Module):
    """x[1] = y on a user input."""
    def forward(self, x, y):
        x[1] = y
        return x * 2


@register("setitem_slice", "mutation", lambda: (r(5, 3), r(2, 3)))
class SetitemSlice(nn.Module):
    def forward(self, x, y):
        z = x.clone()
        z[1:3] = y
        return z


@register("setitem_step_slice", "mutation", lambda: (r(6, 3), r(3, 3)))
class SetitemStepSlice(nn.Module):
    def forward(self, x, y):
        z = x.clone()
        z[::2] = y
        return z


@register("setitem_ellipsis", "mutation", lambda: (r(2, 3, 4), r(2, 3)))
class SetitemEllipsis(nn.Module):
    """x[..., 0] = y on a user input."""
    def forward(self, x, y):
        x[..., 0] = y
        return x.sum(-1)


@register("setitem_bool_mask", "mutation", lambda: (r(4, 3), r(4, 3) > 0))
class SetitemBoolMask(nn.Module):
    def forward(self, x, mask):
        z = x.clone()
        z[mask] = -1.0
        return z


@register("setitem_tensor_index", "mutation",
          lambda: (r(5, 3), torch.tensor([4, 0], dtype=torch.int64), r(2, 3)))
class SetitemTensorIndex(nn.Module):
    def forward(self, x, idx, y):
        z = x.clone()
        z[idx] = y
        return z


@register("index_put_accumulate", "mutation",
          lambda: (r(5), torch.tensor([0, 2, 2, 4], dtype=torch.int64), r(4)))
class IndexPutAccumulate(nn.Module):
    """index_put_ with accumulate=True and a repeated index."""
    def forward(self, x, idx, v):
        z = x.clone()
        z.index_put_((idx,), v, accumulate=True)
        return z


@register("index_copy", "mutation",
          lambda: (r(5, 2), torch.tensor([3, 1], dtype=torch.int64), r(2, 2)))
class IndexCopy(nn.Module):
    """index_copy_ on a user input."""
    def forward(self, x, idx, src):
        x.index_copy_(0, idx, src)
        return x + 0


@register("masked_fill", "mutation", lambda: (r(3, 4), r(3, 4) > 0.5))
class MaskedFill(nn.Module):
    """masked_fill_ on a user input and on a local tensor."""
    def forward(self, x, mask):
        y = x * 3
        y.masked_fill_(mask, 0.0)
        x.masked_fill_(~mask, 1.0)
        return y


@register("kv_cache", "mutation",
          lambda: (r(1, 2, 1, 4), r(1, 2, 1, 4), r(1, 2, 1, 4), torch.tensor([3])))
class KVCache(nn.Module):
    """A KV cache in buffers, written at an int64 position tensor, then attention."""
    def __init__(self):
        super().__init__()
        self.register_buffer("k_cache", torch.zeros(1, 2, 6, 4))
        self.register_buffer("v_cache", torch.zeros(1, 2, 6, 4))

    def forward(self, q, k, v, pos):
        self.k_cache[:, :, pos] = k
        self.v_cache[:, :, pos] = v
        return F.scaled_dot_product_attention(q, self.k_cache, self.v_cache)


class _PlainCache:
    """The cache tensors held by a plain Python object, not a Module: what transformers'
    StaticCache does. Non-strict export reaches them as free tensors and lifts them as
    constants (`c_..._lifted_tensor_N`) that share their storage with the buffers below."""
    def __init__(self, layers, shape):
        self.k = [torch.zeros(shape) for _ in range(layers)]
        self.v = [torch.zeros(shape) for _ in range(layers)]


class _CacheAttention(nn.Module):
    """Grouped-query attention (2 heads, 1 KV head) that writes its cache in place at
    `pos` and reads it back through repeat_kv's unsqueeze/expand/reshape views."""
    def __init__(self, d=16, heads=2, kv_heads=1):
        super().__init__()
        self.h, self.kvh, self.hd = heads, kv_heads, d // heads
        self.q = nn.Linear(d, d, bias=False)
        self.k = nn.Linear(d, kv_heads * self.hd, bias=False)
        self.v = nn.Linear(d, kv_heads * self.hd, bias=False)
        self.o = nn.Linear(d, d, bias=False)

    @staticmethod
    def repeat_kv(x, n):
        b, h, length, hd = x.shape
        return x[:, :, None, :, :].expand(b, h, n, length, hd).reshape(b, h * n, length, hd)

    def forward(self, x, k_cache, v_cache, pos, mask):
        b, s, d = x.shape
        q = self.q(x).view(b, s, self.h, self.hd).transpose(1, 2)
        k = self.k(x).view(b, s, self.kvh, self.hd).transpose(1, 2)
        v = self.v(x).view(b, s, self.kvh, self.hd).transpose(1, 2)
        k_cache.index_copy_(2, pos, k)
        v_cache.index_copy_(2, pos, v)
        keys = self.repeat_kv(k_cache, self.h // self.kvh)
        values = self.repeat_kv(v_cache, self.h // self.kvh)
        a = F.scaled_dot_product_attention(q, keys, values, attn_mask=mask)
        return x + self.o(a.transpose(1, 2).reshape(b, s, d))


@register("static_cache_decode", "mutation", lambda: (r(1, 1, 16), torch.tensor([3])),
          xfail={"decomposed": XFail(
              r"AssertionError: expected compiled_fn to be GraphModule",
              "run_decompositions() cannot functionalize writes into lifted constants that "
              "share storage with buffers (torch 2.13)")})
class StaticCacheDecode(nn.Module):
    """One decode step of a 4-layer decoder with a static KV cache, the form of
    transformers' exportable static-cache wrapper: the cache is registered as buffers
    and reached through a plain object. Non-strict export lifts the cache tensors as
    constants sharing storage with the buffers. It is also the reproducer of a
    use-after-free in the reader (parameter names propagated through views)."""
    def __init__(self, layers=4, d=16, heads=2, kv_heads=1, length=8):
        super().__init__()
        self.length = length
        self.layers = nn.ModuleList([_CacheAttention(d, heads, kv_heads) for _ in range(layers)])
        self.cache = _PlainCache(layers, (1, kv_heads, length, d // heads))
        for i in range(layers):
            self.register_buffer(f"key_cache_{i}", self.cache.k[i], persistent=False)
            self.register_buffer(f"value_cache_{i}", self.cache.v[i], persistent=False)

    def forward(self, x, pos):
        mask = (torch.arange(self.length) <= pos).view(1, 1, 1, self.length)
        for i, layer in enumerate(self.layers):
            x = layer(x, self.cache.k[i], self.cache.v[i], pos, mask)
        return x


class _Holder:
    """A plain object (not a module): what it holds is no buffer to torch.export."""


@register("lifted_part_of_buffer", "mutation", lambda: (r(2, 3),),
          xfail={"decomposed": XFail(
              r"AssertionError: expected compiled_fn to be GraphModule",
              "run_decompositions() cannot functionalize writes into lifted constants that "
              "share storage with buffers (torch 2.13)")})
class LiftedPartOfBuffer(nn.Module):
    """A slice of a non-persistent buffer reached through a plain attribute and written
    in place: non-strict export lifts it as a constant over a part of the buffer's
    storage (`shares "buf" at 3`), which functionalize reads and writes as an
    as_strided view of the buffer (docs/passes.md, "Written constants")."""
    def __init__(self):
        super().__init__()
        self.register_buffer("buf", torch.zeros(4, 3), persistent=False)
        self.h = _Holder()
        self.h.part = self.buf[1:3]

    def forward(self, x):
        self.h.part.add_(x)
        return self.buf * 2


# =====================================================================================
# dynamic shapes
# =====================================================================================
@register("dyn_batch_seq", "dynamic", lambda: (r(3, 5, 8),),
          dynamic_shapes=lambda: {"x": {0: Dim("batch", max=32), 1: Dim("seq", max=64)}})
class DynBatchSeq(nn.Module):
    """Batch and sequence dims symbolic; a view that depends on both."""
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(8, 4)

    def forward(self, x):
        b, s, _ = x.shape
        y = self.proj(x).reshape(b * s, 4)
        return y.softmax(-1).reshape(b, s * 4)


@register("factory_ops", "dynamic", lambda: (r(5, 8),),
          dynamic_shapes=lambda: {"x": {0: Dim("rows", min=2, max=64)}},
          run_inputs=lambda: (r(7, 8),))
class FactoryOps(nn.Module):
    """Factory ops fused with pointwise consumers, at a symbolic size run at another:
    zeros_like, ones, full, new_ones, full_like and int aranges (positions, a strided
    int32 one, a mask from comparing two)."""
    def forward(self, x):
        n = x.shape[0]
        z = torch.zeros_like(x) + x * 2
        o = torch.ones(n, 8) * 3 - x
        f = torch.full((n, 8), 0.5) * x
        w = x.new_ones((n, 8), dtype=torch.int64) + 4
        l = torch.full_like(x, -1.25) + x
        pos = torch.arange(n) * 3 + 1
        odd = torch.arange(1, 2 * n + 1, 2, dtype=torch.int32)
        mask = torch.arange(n) < (n // 2)
        return z, o, f, w, l, pos, odd, mask


@register("view_chains", "dynamic", lambda: (r(3, 6, 8), r(8, 3, 6), r(6, 4)),
          dynamic_shapes=lambda: {"x": {0: Dim("batch", min=2, max=32)},
                                  "y": {1: Dim("batch", min=2, max=32)}, "c": None},
          run_inputs=lambda: (r(5, 6, 8), r(8, 5, 6), r(6, 4)))
class ViewChains(nn.Module):
    """Views between pointwise ops, which the cpu backend fuses as index arithmetic
    (docs/codegen.md): a permute, a view that splits the last dim and a transpose (the
    attention head split), a select, a slice, an unsqueeze read with a broadcast
    operand, and a chain of two views, at a symbolic batch run at another size."""
    def forward(self, x, y, c):
        b = x.shape[0]
        p = (x * 1.5 + 0.25).sigmoid().permute(2, 0, 1) + y
        h = (x - 1).view(b, 6, 2, 4).transpose(1, 2) * 3
        s = torch.exp(x * 0.5)[:, 2] + 1
        t = (x.abs() + 2)[:, 1:4] * x[:, :3]
        u = (c * c).unsqueeze(0) + x[:, :, :4]
        w = (x.tanh() * 2).transpose(1, 2).reshape(b, 48) - 1
        return p, h, s, t, u, w


@register("dyn_derived_dim", "dynamic", lambda: (r(4, 3), r(8, 3)),
          dynamic_shapes=lambda: (lambda n: {"a": {0: n}, "b": {0: 2 * n}})(
              Dim("n", min=2, max=20)))
class DynDerivedDim(nn.Module):
    """A derived dim (b has 2*n rows)."""
    def forward(self, a, b):
        return torch.cat([a, a], 0) + b


@register("unbacked_item", "dynamic", lambda: (r(5, 2), torch.tensor(3)))
class UnbackedItem(nn.Module):
    """An unbacked size from .item(), bounded with torch._check."""
    def forward(self, x, n):
        k = n.item()
        torch._check(k >= 1)
        torch._check(k <= x.shape[0])
        return x[:k] * 2


@register("unbacked_nonzero", "dynamic", lambda: (r(6),))
class UnbackedNonzero(nn.Module):
    """nonzero: an output whose size is unbacked."""
    def forward(self, x):
        idx = torch.nonzero(x > 0)
        return idx, x[idx[:, 0]] * 2


# =====================================================================================
# multi-output ops
# =====================================================================================
@register("topk_maxdim", "multi_output", lambda: (r(3, 6),))
class TopkMaxDim(nn.Module):
    def forward(self, x):
        v, i = x.topk(3, dim=-1)
        m, mi = x.max(dim=1)
        return v, i, m, mi


@register("split", "multi_output", lambda: (r(2, 6),))
class Split(nn.Module):
    """split into three chunks; one output is a plain view of the input."""
    def forward(self, x):
        a, b, c = x.split([2, 3, 1], dim=1)
        return a * 2, b.sum(1), c


# =====================================================================================
# nn layers
# =====================================================================================
@register("linear_mlp", "nn", lambda: (r(2, 8),))
class LinearMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 16)
        self.fc2 = nn.Linear(16, 4)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


@register("conv2d", "nn", lambda: (r(1, 3, 8, 8),))
class Conv2d(nn.Module):
    """Conv2d + BatchNorm2d (eval) + ReLU + MaxPool2d."""
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.pool = nn.MaxPool2d(2)
        with torch.no_grad():
            self.bn.running_mean.uniform_(-0.5, 0.5)
            self.bn.running_var.uniform_(0.5, 1.5)

    def forward(self, x):
        return self.pool(F.relu(self.bn(self.conv(x))))


@register("layernorm", "nn", lambda: (r(2, 5, 8),))
class LayerNorm(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln = nn.LayerNorm(8)

    def forward(self, x):
        return self.ln(x)


@register("embedding", "nn", lambda: (torch.tensor([[1, 0, 9], [4, 4, 2]]),))
class Embedding(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(10, 6, padding_idx=0)

    def forward(self, ids):
        return self.emb(ids)


@register("sdpa", "nn", lambda: (r(1, 2, 5, 4), r(1, 2, 5, 4), r(1, 2, 5, 4)))
class SDPA(nn.Module):
    def forward(self, q, k, v):
        return F.scaled_dot_product_attention(q, k, v, is_causal=True)


class Block(nn.Module):
    """A tiny pre-norm transformer block (attention via sdpa, GELU MLP)."""
    def __init__(self, d=8, heads=2, ff=16):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.out = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.ff1 = nn.Linear(d, ff)
        self.ff2 = nn.Linear(ff, d)

    def forward(self, x):
        b, s, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=-1)
        q, k, v = (t.reshape(b, s, self.heads, d // self.heads).transpose(1, 2)
                   for t in (q, k, v))
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.out(a.transpose(1, 2).reshape(b, s, d))
        return x + self.ff2(F.gelu(self.ff1(self.ln2(x))))


@register("transformer_block", "nn", lambda: (r(2, 5, 8),))
class TransformerBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()

    def forward(self, x):
        return self.block(x)


@register("torch_encoder_layer", "nn", lambda: (r(2, 5, 8),))
class TorchEncoderLayer(nn.Module):
    """torch's own nn.TransformerEncoderLayer (eval, batch_first)."""
    def __init__(self):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0,
                                                batch_first=True)

    def forward(self, x):
        return self.layer(x)


# =====================================================================================
# weights: tied weights, buffers, constants
# =====================================================================================
@register("tied_weights", "weights", lambda: (torch.tensor([[1, 2, 3, 7]]),))
class TiedWeights(nn.Module):
    """lm_head.weight is emb.weight (one storage, two FQNs)."""
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(10, 6)
        self.lm_head = nn.Linear(6, 10, bias=False)
        self.lm_head.weight = self.emb.weight

    def forward(self, ids):
        return self.lm_head(self.emb(ids))


@register("buffers_nonpersistent", "weights", lambda: (r(2, 4),))
class BuffersNonPersistent(nn.Module):
    """A persistent and a non-persistent buffer, and a buffer that is a view."""
    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.randn(4))
        self.register_buffer("scale", torch.rand(4) + 0.5, persistent=False)
        table = torch.randn(3, 4)
        self.register_buffer("table", table)
        self.register_buffer("row", table[1])

    def forward(self, x):
        return (x - self.mean) * self.scale + self.table.sum(0) - self.row


@register("tensor_constants", "weights", lambda: (r(2, 3),))
class TensorConstants(nn.Module):
    """A plain tensor attribute (not a parameter or buffer) and a tensor created in
    forward: both become tensor constants."""
    def __init__(self):
        super().__init__()
        self.table = torch.tensor([[1.0, -2.0, 3.0], [0.5, 0.25, -0.125]])

    def forward(self, x):
        return x * self.table + torch.tensor([10.0, 20.0, 30.0])


# =====================================================================================
# pytree inputs and outputs
# =====================================================================================
@register("dict_tuple_io", "pytree",
          lambda: ({"a": r(2, 3), "b": (r(2, 3), r(3))},))
class DictTupleIO(nn.Module):
    """A dict input holding a tuple; a dict output holding a tuple."""
    def forward(self, inputs):
        a = inputs["a"]
        b, c = inputs["b"]
        return {"sum": a + b, "pair": (a * c, (b - c).sum(0))}


@register("kwargs_io", "pytree",
          lambda: call(r(2, 3), bias=r(3), extra=[r(2, 3), r(2, 3)], scale=0.5))
class KwargsIO(nn.Module):
    """Keyword arguments (one a list of tensors, one a float) and a list output."""
    def forward(self, x, *, bias, extra, scale=1.0):
        return [x * scale + bias, extra[0] * extra[1]]


@register("non_tensor_outputs", "pytree", lambda: (r(3, 2),))
class NonTensorOutputs(nn.Module):
    """Outputs that are not tensors: an int (a shape), None, a float and a bool."""
    def forward(self, x):
        return x + 1, x.shape[0], None, 0.5, True


# =====================================================================================
# dtypes and special values
# =====================================================================================
@register("dtype_float16", "dtype", lambda: (r(3, 4, dtype=torch.float16),
                                               r(4, 2, dtype=torch.float16)))
class DtypeFloat16(nn.Module):
    def forward(self, x, w):
        return (x @ w).softmax(-1), (x * 2 + 1).relu().sum(0)


@register("dtype_bfloat16", "dtype", lambda: (r(2, 4, dtype=torch.bfloat16),))
class DtypeBFloat16(nn.Module):
    """A bfloat16 Linear and LayerNorm."""
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 4).to(torch.bfloat16)
        self.ln = nn.LayerNorm(4).to(torch.bfloat16)

    def forward(self, x):
        return self.ln(self.lin(x)).float()


@register("dtype_int64", "dtype", lambda: (torch.randint(-20, 20, (3, 4)),
                                             torch.randint(1, 6, (3, 4))))
class DtypeInt64(nn.Module):
    def forward(self, a, b):
        return a // b, a % b, (a * b).cumsum(1), a.argmax(1), a & 7, a.float() / b


@register("dtype_bool", "dtype", lambda: (r(3, 4) > 0, r(3, 4) > 0.5, r(3, 4)))
class DtypeBool(nn.Module):
    def forward(self, p, q, x):
        m = (p & ~q) | (p ^ q)
        return m, torch.where(m, x, -x), m.any(1), m.all(0), m.sum(1)


@register("nan_inf", "dtype",
          lambda: (torch.tensor([[1.0, float("nan"), -2.0], [float("inf"), 0.5, float("-inf")]]),
                   torch.tensor([[0.0, 1.0, float("nan")], [2.0, float("inf"), -1.0]])))
class NanInf(nn.Module):
    """NaN and +-Inf in the inputs and outputs."""
    def forward(self, x, y):
        masked = x.masked_fill(torch.isnan(x), float("-inf")).softmax(-1)
        return (torch.maximum(x, y), torch.nan_to_num(x, nan=0.0, posinf=9.0),
                torch.isinf(y), masked, x.clamp(-1.0, 1.0))


@register("dtype_casts", "dtype", lambda: (torch.randint(0, 5, (2, 3), dtype=torch.int32),
                                             r(2, 3, dtype=torch.float16)))
class DtypeCasts(nn.Module):
    """Type promotion and explicit casts between int32, float16, float32, int64, bool."""
    def forward(self, i, h):
        return i + h, (i * 2.5).to(torch.int64), h.float() * i, (i > 2).to(torch.uint8)


# =====================================================================================
# Cases that must export: every coverage family in strict and nonstrict mode, plus the
# seed forms (b) and (c). Declaring an expected failure for one of them is an error.
# =====================================================================================
def _forms(*names: str, modes=MODES) -> list[str]:
    return [f"{n}.{m}" for n in names for m in modes]


MUST_EXPORT: list[str] = (
    _forms("seed_scan_hop", modes=("nonstrict", "decomposed"))
    + _forms("seed_scan_user", "seed_update_int32", "seed_update_int64")
    + _forms("scan_multi", "scan_reverse_dim", "scan_closure_params", "scan_additional_inputs",
             "scan_nested", "scan_inplace_body", "scan_dyn_length", "scan_bf16_carry")
    + _forms("cond_tensor_pred", "cond_symbolic_pred")
    + _forms("while_symint_counter", "while_tensor_counter")
    + _forms("while_item_counter", modes=("strict",))
    + _forms("map_basic", "map_multi")
    + _forms("mut_user_inputs", "mut_buffers", "mut_buffer_and_input", "setitem_int",
             "setitem_slice", "setitem_step_slice", "setitem_ellipsis", "setitem_bool_mask",
             "setitem_tensor_index", "index_put_accumulate", "index_copy", "masked_fill",
             "kv_cache")
    + _forms("static_cache_decode", "lifted_part_of_buffer", modes=("strict", "nonstrict"))
    + _forms("dyn_batch_seq", "dyn_derived_dim", "factory_ops", "view_chains", "unbacked_item",
             "unbacked_nonzero")
    + _forms("topk_maxdim", "split")
    + _forms("linear_mlp", "conv2d", "layernorm", "embedding", "sdpa", "transformer_block",
             "torch_encoder_layer")
    + _forms("tied_weights", "buffers_nonpersistent", "tensor_constants")
    + _forms("dict_tuple_io", "kwargs_io", "non_tensor_outputs")
    + _forms("dtype_float16", "dtype_bfloat16", "dtype_int64", "dtype_bool", "nan_inf",
             "dtype_casts")
)

# The hf family (transformers models, hf_models.py) registers itself into MODELS.
import hf_models  # noqa: E402

MUST_EXPORT += hf_models.HF_MUST_EXPORT

# Families whose must-export cases have to cover both strict and nonstrict mode.
COVERAGE_FAMILIES = ("scan", "cond", "while_loop", "map", "mutation", "dynamic",
                     "multi_output", "nn", "weights", "pytree", "dtype", "hf")

MIN_MODELS = 30


def by_name() -> dict[str, Model]:
    return {m.name: m for m in MODELS}


def _validate_registry() -> None:
    names = [m.name for m in MODELS]
    assert len(names) == len(set(names)), "duplicate model names in the corpus registry"
    assert len(MODELS) >= MIN_MODELS, f"corpus has {len(MODELS)} models, fewer than {MIN_MODELS}"
    models = by_name()
    for case in MUST_EXPORT:
        name, mode = case.rsplit(".", 1)
        assert name in models, f"MUST_EXPORT names an unknown model: {case}"
        assert mode not in models[name].xfail, f"{case} is must-export but declares an xfail"
    for m in MODELS:
        assert set(m.xfail) <= set(MODES), f"{m.name}: unknown mode in xfail"
        assert set(m.fxir_xfail) <= set(MODES) - set(m.xfail), \
            f"{m.name}: fxir_xfail names an unknown mode or one that does not export"
    for family in COVERAGE_FAMILIES:
        for mode in ("strict", "nonstrict"):
            assert any(c.endswith("." + mode) and models[c.rsplit(".", 1)[0]].family == family
                       for c in MUST_EXPORT), f"no must-export {family} case in {mode} mode"


_validate_registry()
