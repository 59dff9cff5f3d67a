"""int_division.py OUT_DIR: an int64 floor_divide/remainder program and three inputs:
  zero.inputs.safetensors     a zero divisor in the masked remainder (element 38 of 40)
  masked.inputs.safetensors   no zero divisor (the masked-off lanes load zeros: they
                              must not count), with its expected result from eager
  minus1.inputs.safetensors   INT64_MIN // -1 and % -1 (eager dies of SIGFPE; fxir
                              wraps: INT64_MIN and 0), with that expected result
"""
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
N = 40
(out / "div.fxir").write_text(
    f"graph @div(%x: i64[{N}] input, %y: i64[{N}] input) -> (output, output) {{\n"
    f"  %q: i64[{N}] = aten.floor_divide.default(%x, %y)\n"
    f"  %r: i64[{N}] = aten.remainder.Tensor(%x, %y)\n"
    f"  fxir.yield(%q, %r)\n}}\n")
x = torch.arange(-20, 20, dtype=torch.int64) * 7
y = torch.tensor([(-1) ** i * (i % 5 + 1) for i in range(N)], dtype=torch.int64)
save_file({"input_0": x, "input_1": y}, str(out / "masked.inputs.safetensors"))
save_file({"output_0": torch.floor_divide(x, y), "output_1": torch.remainder(x, y)},
          str(out / "masked.expected.safetensors"))
yz = y.clone()
yz[38] = 0
save_file({"input_0": x, "input_1": yz}, str(out / "zero.inputs.safetensors"))
xm = torch.full((N,), torch.iinfo(torch.int64).min, dtype=torch.int64)
ym = torch.full((N,), -1, dtype=torch.int64)
save_file({"input_0": xm, "input_1": ym}, str(out / "minus1.inputs.safetensors"))
save_file({"output_0": xm.clone(), "output_1": torch.zeros(N, dtype=torch.int64)},
          str(out / "minus1.expected.safetensors"))
