"""Writes one .fxir program per dtype with every op the cpu generator covers applied to
edge values (NaN, +-Inf, +-0, subnormals, the overflow boundaries of exp and of the
integer conversions, integer extremes), and their inputs. Result dtypes come from eager
(the op run on the inputs); ops eager rejects for a dtype are left out. 37 elements, so
the masked remainder runs too.

    python edge_ops.py OUT_DIR   ->  OUT_DIR/<dtype>.fxir, OUT_DIR/<dtype>.inputs.safetensors
"""
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file

N = 37
FLOATS = [0.0, -0.0, 1.0, -1.0, 0.5, 1.5, 2.5, -2.5, float("nan"), float("inf"),
          float("-inf"), 1e-45, -1e-40, 88.72, 88.73, -103.9, -104.0, 3e9, -3e9, 300.0,
          1e20, 65504.0, 65520.0, 3.4e38, -0.625, 0.625, 9.0, -9.0, 44.0, 1e-8, 0.1,
          -0.3, 127.5, 255.5, -128.7, 2.0 ** 31, -(2.0 ** 63)]
DTYPES = {"f32": torch.float32, "f64": torch.float64, "f16": torch.float16,
          "bf16": torch.bfloat16, "i8": torch.int8, "i16": torch.int16, "i32": torch.int32,
          "i64": torch.int64, "u8": torch.uint8, "bool": torch.bool}
IR = {v: k for k, v in DTYPES.items()}
UNARY = ["neg", "abs", "relu", "exp", "tanh", "sigmoid", "silu", "sqrt", "rsqrt",
         "reciprocal", "floor", "ceil", "round", "trunc", "sign", "bitwise_not",
         "logical_not", "exp2", "expm1", "log", "log2", "log1p", "sin", "cos", "tan",
         "erf"]
BINARY = ["add.Tensor", "sub.Tensor", "mul.Tensor", "div.Tensor", "maximum.default",
          "minimum.default", "eq.Tensor", "ne.Tensor", "lt.Tensor", "le.Tensor",
          "gt.Tensor", "ge.Tensor", "fmod.Tensor", "remainder.Tensor",
          "floor_divide.default", "bitwise_and.Tensor", "bitwise_or.Tensor",
          "bitwise_xor.Tensor", "bitwise_left_shift.Tensor", "bitwise_right_shift.Tensor",
          "logical_and.default", "logical_or.default", "logical_xor.default"]
# (the op's text, the eager call on x and y) for ops with constant parameters.
PARAMETRIC = [
    ("aten.leaky_relu.default(%x, 0.2)", lambda x, y: torch.nn.functional.leaky_relu(x, 0.2)),
    # gelu away from overflow (%f: x with |x| > 1e30, infinities included, as 0):
    # eager's vectorized gelu gives NaN at +-inf and +inf at 3.4e38, its scalar path
    # and fxir +inf/NaN and 3.4e38 (docs/codegen.md).
    ("aten.gelu.default(%f)", lambda x, y: torch.nn.functional.gelu(x)),
    ('aten.gelu.default(%f, approximate="tanh")',
     lambda x, y: torch.nn.functional.gelu(x, approximate="tanh")),
    ("aten.hardtanh.default(%x)", lambda x, y: torch.nn.functional.hardtanh(x)),
    ("aten.hardtanh.default(%x, -2.5, 0.5)",
     lambda x, y: torch.nn.functional.hardtanh(x, -2.5, 0.5)),
    ("aten.clamp.default(%x, -1.5, 2.5)", lambda x, y: torch.clamp(x, -1.5, 2.5)),
    ("aten.clamp.default(%x, 3)", lambda x, y: torch.clamp(x, 3)),
    ("aten.clamp.default(%x, none, 7)", lambda x, y: torch.clamp(x, None, 7)),
    ("aten.clamp.default(%x, 5, 2)", lambda x, y: torch.clamp(x, 5, 2)),
    ("aten.clamp_min.default(%x, 0.5)", lambda x, y: torch.clamp_min(x, 0.5)),
    ("aten.clamp_max.default(%x, 1)", lambda x, y: torch.clamp_max(x, 1)),
    ('aten.div.Tensor_mode(%x, %d, rounding_mode="trunc")',
     lambda x, y: torch.div(x, y, rounding_mode="trunc")),
    ('aten.div.Tensor_mode(%x, %d, rounding_mode="floor")',
     lambda x, y: torch.div(x, y, rounding_mode="floor")),
    ('aten.div.Scalar_mode(%x, -3, rounding_mode="floor")',
     lambda x, y: torch.div(x, -3, rounding_mode="floor")),
    ('aten.div.Scalar_mode(%x, -3, rounding_mode="trunc")',
     lambda x, y: torch.div(x, -3, rounding_mode="trunc")),
    ("aten.remainder.Scalar(%x, -7)", lambda x, y: torch.remainder(x, -7)),
    ("aten.fmod.Scalar(%x, -7)", lambda x, y: torch.fmod(x, -7)),
    ('aten.div.Scalar_mode(%x, 0.1, rounding_mode="floor")',
     lambda x, y: torch.div(x, 0.1, rounding_mode="floor")),
    ("aten.floor_divide.Scalar(%x, 0.1)", lambda x, y: torch.floor_divide(x, 0.1)),
    ("aten.remainder.Scalar(%x, -1.5)", lambda x, y: torch.remainder(x, -1.5)),
    ("aten.fmod.Scalar(%x, 2.5)", lambda x, y: torch.fmod(x, 2.5)),
    ("aten.bitwise_and.Scalar(%x, 6)", lambda x, y: torch.bitwise_and(x, 6)),
    ("aten.__lshift__.Scalar(%x, 3)", lambda x, y: x.__lshift__(3)),
    ("aten.__rshift__.Scalar(%x, 70)", lambda x, y: x.__rshift__(70)),
] + [(f"aten.pow.Tensor_Scalar(%x, {e})", lambda x, y, e=e: torch.pow(x, eval(e)))
     for e in ("2", "3", "2.0", "3.0", "0.5", "-0.5", "-1.0", "-2.0")]


def values(dtype):
    if dtype.is_floating_point:
        return torch.tensor(FLOATS, dtype=torch.float64).to(dtype)
    if dtype == torch.bool:
        return torch.tensor([i % 3 == 0 for i in range(N)])
    info = torch.iinfo(dtype)
    base = [0, 1, -1, 2, -2, 7, -7, 100, -100, 127, -128, 255, info.max, info.min,
            info.max - 1, info.min + 1, 3, 5, 31, 32, 63, 64]
    base += list(range(10, 10 + N - len(base)))
    return torch.tensor([v for v in base][:N], dtype=torch.int64).to(dtype)


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for name, dtype in DTYPES.items():
        x = values(dtype)
        y = torch.roll(x, 5)
        f = (torch.where(x.double().abs() > 1e30, torch.zeros_like(x), x)
             if dtype.is_floating_point else x.clone())
        d = y.clone()
        if not dtype.is_floating_point and dtype != torch.bool:
            d = torch.where(y == 0, torch.full_like(y, 3), y)
            if dtype != torch.uint8:
                d = torch.where((x == torch.iinfo(dtype).min) & (d == -1), torch.full_like(y, 7), d)
        if dtype.is_floating_point:
            ratio = x.double() / y.double()
            d = torch.where(torch.isfinite(ratio.to(dtype)) | ~torch.isfinite(x.double()) |
                            (y == 0) | ~torch.isfinite(y.double()),
                            y, torch.ones_like(y))
        lines, results = [], []

        def add(text, fn):
            try:
                r = fn()
            except Exception:
                return
            if r.dtype not in IR:
                return
            v = f"%r{len(results)}"
            lines.append(f"  {v}: {IR[r.dtype]}[{N}] = {text}")
            results.append(v)

        for op in UNARY:
            add(f"aten.{op}.default(%x)", lambda op=op: getattr(torch, op if op != "silu" else "relu")(x)
                if op != "silu" else torch.nn.functional.silu(x))
        for op in BINARY:
            base = op.split(".")[0]
            extra = ", alpha=1" if base in ("add", "sub") else ""
            # fmod and remainder of floats divide by %d: y where |x / y| stays finite.
            # Eager's vectorized fmod gives NaN when x / y overflows (a subnormal
            # divisor), its scalar path and fxir the exact fmod (docs/codegen.md).
            # Integer division divides by %d: y without zeros (eager raises) and
            # without INT_MIN / -1 (eager dies of SIGFPE).
            divides = base in ("fmod", "remainder", "floor_divide")
            other, ov = ("%d", d) if divides else ("%y", y)
            add(f"aten.{op}(%x, {other}{extra})", lambda base=base, ov=ov: getattr(torch, base)(x, ov))
        for text, fn in PARAMETRIC:
            add(text, lambda fn=fn, text=text: fn(f if "%f" in text else x,
                                                   d if "%d" in text else y))
        add("aten.mul.Tensor(%x, 1.5)", lambda: x * 1.5)
        add("aten.add.Tensor(%x, 3, alpha=1)", lambda: x + 3)
        add("aten.gt.Scalar(%x, 2.5)", lambda: x > 2.5)
        add("aten.where.self(%c, %x, %y)", lambda: torch.where(x.to(torch.float64) > 0.5, x, y))
        for tname, t in DTYPES.items():
            add(f"aten._to_copy.default(%x, dtype={tname})", lambda t=t: x.to(t))
        # Factory ops: fills of edge values the dtype holds (eager raises for the
        # others: they are left out), and integer aranges of 37 elements.
        fills = ([0.0, -0.0, 2.5, float("nan"), float("-inf"), 65504.0, 65520.0, 0.1]
                 if dtype.is_floating_point else
                 [False, True] if dtype == torch.bool else [0, -1, 7, 127, 255, -129])
        lit = lambda v: ("true" if v else "false") if isinstance(v, bool) else repr(v)
        for v in fills:
            add(f"aten.full_like.default(%x, {lit(v)})", lambda v=v: torch.full_like(x, v))
            add(f"aten.full.default([{N}], {lit(v)}, dtype={name})",
                lambda v=v: torch.full((N,), v, dtype=dtype))
        add("aten.zeros_like.default(%x)", lambda: torch.zeros_like(x))
        add("aten.ones_like.default(%x)", lambda: torch.ones_like(x))
        add(f"aten.new_ones.default(%x, [{N}])", lambda: x.new_ones((N,)))
        add(f"aten.zeros.default([{N}], dtype={name})", lambda: torch.zeros(N, dtype=dtype))
        if not dtype.is_floating_point and dtype != torch.bool:
            add(f"aten.arange.default({N}, dtype={name})", lambda: torch.arange(N, dtype=dtype))
            add(f"aten.arange.start_step(-5, {2 * N - 5}, 2, dtype={name})",
                lambda: torch.arange(-5, 2 * N - 5, 2, dtype=dtype))
        # where's condition: computed in the graph from x.
        cond = f"  %c: bool[{N}] = aten.gt.Scalar(%x, 0.5)"
        body = "\n".join([cond] + lines)
        outs = ", ".join(["output"] * len(results))
        text = (f"graph @edge_{name}(%x: {name}[{N}] input, %y: {name}[{N}] input, "
                f"%d: {name}[{N}] input, %f: {name}[{N}] input) -> ({outs}) {{\n"
                f"{body}\n  fxir.yield({', '.join(results)})\n}}\n")
        (out / f"{name}.fxir").write_text(text)
        save_file({"input_0": x.contiguous(), "input_1": y.contiguous(), "input_2": d.clone(),
                   "input_3": f.clone()},
                  str(out / f"{name}.inputs.safetensors"))


if __name__ == "__main__":
    main()
