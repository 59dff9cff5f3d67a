"""Random scans with pointwise bodies, exported by the installed torch, through the cpu
backend (native loops: docs/codegen.md) against eager.

Each program is a seeded `scan` over xs [T, ...] (dim 0 or 1, forward or reverse) whose
combine fn is a random chain of pointwise ops on the carry, step t's slice, a captured
weight and constants (broadcast ones included), yielding the next carry (of the carry's
dtype) and one or two stacked outputs. It is exported strict or non-strict, compiled
with fxir.compile (cpu backend) and checked against eager: the final carry and the
stacked outputs (f32 rtol 1e-5 / atol 1e-5 x T; bf16 with emulate-eager-rounding,
one bf16 ulp a step). The inits are user inputs: they must be left as they were.

    FXIR_SCAN_PROGRAMS=300 pytest tests/python/test_scan_random.py   # longer sweep
"""
import os
import random

import pytest
import torch
from torch._higher_order_ops.scan import scan

import fxir

COUNT = int(os.environ.get("FXIR_SCAN_PROGRAMS", "24"))

UNARY = [("torch.tanh", torch.tanh), ("torch.sigmoid", torch.sigmoid), ("torch.sin", torch.sin),
         ("torch.relu", torch.relu), ("torch.abs", torch.abs), ("neg", torch.neg)]


def _body(rng):
    """(text, fn(c, x, w) -> (next c, ys...)): a chain of pointwise ops."""
    ops = []
    for _ in range(rng.randint(1, 5)):
        kind = rng.randrange(5)
        a, b = rng.randrange(3), rng.randrange(3)  # operands: 0 c, 1 x, 2 w (or the last value)
        k = round(rng.uniform(-1.5, 1.5), 2)
        if kind == 0:
            name, f = UNARY[rng.randrange(len(UNARY))]
            ops.append((f"{name}(v{a})", lambda v, a=a, f=f: f(v[a])))
        elif kind == 1:
            ops.append((f"v{a} + v{b} * {k}", lambda v, a=a, b=b, k=k: v[a] + v[b] * k))
        elif kind == 2:
            ops.append((f"torch.maximum(v{a}, v{b})", lambda v, a=a, b=b: torch.maximum(v[a], v[b])))
        elif kind == 3:
            ops.append((f"torch.where(v{a} > {k}, v{a}, v{b})",
                        lambda v, a=a, b=b, k=k: torch.where(v[a] > k, v[a], v[b])))
        else:
            ops.append((f"v{a}.clamp({min(k, 0)}, 2)", lambda v, a=a, k=k: v[a].clamp(min(k, 0), 2)))
    damp = round(rng.uniform(0.2, 0.9), 2)
    two = rng.random() < 0.4

    def fn(c, x, w):
        v = [c, x, w]
        for _, op in ops:
            v = [v[0], v[1], op(v)]  # the last value replaces w's slot: chains
        nxt = (c * damp + v[2]).to(c.dtype)
        ys = (nxt.clone(),) if not two else (nxt.clone(), (v[2] * 2).float())
        return (nxt,) + ys

    text = "; ".join(t for t, _ in ops) + f"; c' = c * {damp} + last" + ("; ys 2" if two else "")
    return text, fn


def _program(seed):
    rng = random.Random(seed)
    text, fn = _body(rng)
    dtype = torch.bfloat16 if rng.random() < 0.2 else torch.float32
    steps = rng.choice([1, 2, 7, 33])
    width = rng.choice([1, 3, 16, 37, 130])
    rows = rng.choice([None, 2, 5])
    dim = rng.choice([0, 1]) if rows else 0
    reverse = rng.random() < 0.3
    shape = [width] if rows is None else [rows, width]
    wshape = rng.choice([shape, shape[-1:], [1]])  # the captured weight broadcasts

    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.randn(*wshape).to(dtype), requires_grad=False)

        def forward(self, xs, c0):
            def combine(c, x):
                outs = fn(c, x, self.w)
                return outs[0], list(outs[1:])
            return scan(combine, c0, xs, dim=dim, reverse=reverse)

    xs_shape = [steps] + shape if dim == 0 else [shape[0], steps] + shape[1:]
    torch.manual_seed(seed)
    xs = torch.randn(*xs_shape).to(dtype)
    c0 = torch.randn(*shape).to(dtype)
    desc = (f"seed {seed}: {text}; {dtype}, xs {xs_shape}, dim {dim}, reverse {reverse}, "
            f"w {wshape}")
    return M(), xs, c0, desc, rng.random() < 0.5, steps


@pytest.mark.parametrize("seed", range(COUNT))
def test_random_scan_matches_eager(seed):
    model, xs, c0, desc, strict, steps = _program(seed)
    with torch.no_grad():
        want = model(xs, c0)
        ep = torch.export.export(model, (xs.clone(), c0.clone()), strict=strict)
    bf16 = xs.dtype == torch.bfloat16
    prog = fxir.compile(ep, backend="cpu",
                        config={"emulate-eager-rounding": "true"} if bf16 else None)
    c00 = c0.clone()
    got = prog(xs, c0)
    assert torch.equal(c0, c00), desc + ": the init was written"
    flat_got = torch.utils._pytree.tree_leaves(got)
    flat_want = torch.utils._pytree.tree_leaves(want)
    assert len(flat_got) == len(flat_want), desc
    for g, w in zip(flat_got, flat_want):
        assert g.dtype == w.dtype and g.shape == w.shape, desc
        if g.dtype == torch.bfloat16:
            torch.testing.assert_close(g, w, rtol=1.6e-2 * steps, atol=1e-2 * steps, msg=lambda m: desc + "\n" + m)
        else:
            torch.testing.assert_close(g, w, rtol=1e-5, atol=1e-5 * steps, msg=lambda m: desc + "\n" + m)


def test_most_random_scans_are_native_loops():
    """The programs above are what native loops are for: most run as one kernel (the
    rest are what whyNotNativeLoop refuses, e.g. a 0-dim carry)."""
    native = 0
    for seed in range(8):
        model, xs, c0, desc, strict, _ = _program(seed)
        with torch.no_grad():
            ep = torch.export.export(model, (xs, c0), strict=strict)
        native += fxir.compile(ep, backend="cpu").report()["native_loops"]
    assert native >= 6, native
