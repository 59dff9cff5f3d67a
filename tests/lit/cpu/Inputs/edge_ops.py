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
         "reciprocal"]
BINARY = ["add.Tensor", "sub.Tensor", "mul.Tensor", "div.Tensor", "maximum.default",
          "minimum.default", "eq.Tensor", "ne.Tensor", "lt.Tensor", "le.Tensor",
          "gt.Tensor", "ge.Tensor"]


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
            add(f"aten.{op}(%x, %y{extra})", lambda base=base: getattr(torch, base)(x, y))
        add("aten.mul.Tensor(%x, 1.5)", lambda: x * 1.5)
        add("aten.add.Tensor(%x, 3, alpha=1)", lambda: x + 3)
        add("aten.gt.Scalar(%x, 2.5)", lambda: x > 2.5)
        add("aten.where.self(%c, %x, %y)", lambda: torch.where(x.to(torch.float64) > 0.5, x, y))
        for tname, t in DTYPES.items():
            add(f"aten._to_copy.default(%x, dtype={tname})", lambda t=t: x.to(t))
        # where's condition: computed in the graph from x.
        cond = f"  %c: bool[{N}] = aten.gt.Scalar(%x, 0.5)"
        body = "\n".join([cond] + lines)
        outs = ", ".join(["output"] * len(results))
        text = (f"graph @edge_{name}(%x: {name}[{N}] input, %y: {name}[{N}] input) -> ({outs}) {{\n"
                f"{body}\n  fxir.yield({', '.join(results)})\n}}\n")
        (out / f"{name}.fxir").write_text(text)
        save_file({"input_0": x.contiguous(), "input_1": y.contiguous()},
                  str(out / f"{name}.inputs.safetensors"))


if __name__ == "__main__":
    main()
