"""Prints the installed torch's .pt2 dtype numbering as `<torch name> <number>` lines,
sorted by number, in the format of `fxir-opt --print-dtype-table`."""
import torch
from torch._export.serde import serialize

rows = sorted((v.value, str(k).removeprefix("torch."))
              for k, v in serialize._TORCH_TO_SERIALIZE_DTYPE.items())
for code, name in rows:
    print(name, code)
