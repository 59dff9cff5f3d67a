"""broadcast_inner.py OUT_DIR: x + y with y: f32[s0, 1] broadcast along a symbolic inner
dim s1, run where s1 is 1 at run time (the runtime must not drop that dim: y is compiled
to be read as one element per row), and where it is 5; expected results from eager."""
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
(out / "bc.fxir").write_text(
    "sym s0 : [1, 64] hint 4\n"
    "sym s1 : [1, 64] hint 4\n"
    "graph @bc(%x: f32[s0, s1] input, %y: f32[s0, 1] input) -> (output) {\n"
    "  %a: f32[s0, s1] = aten.add.Tensor(%x, %y, alpha=1)\n"
    "  fxir.yield(%a)\n}\n")
for name, cols in (("one", 1), ("five", 5)):
    x = torch.arange(5 * cols, dtype=torch.float32).reshape(5, cols)
    y = torch.arange(5, dtype=torch.float32).reshape(5, 1) * 10
    save_file({"input_0": x, "input_1": y}, str(out / f"{name}.inputs.safetensors"))
    save_file({"output_0": x + y}, str(out / f"{name}.expected.safetensors"))
