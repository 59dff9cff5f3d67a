"""Copies a safetensors file of expected results, adding DELTA to one tensor.

    python perturb_expected.py IN OUT NAME DELTA
"""
import sys

from safetensors import safe_open
from safetensors.torch import save_file

src, dst, name, delta = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
with safe_open(src, "pt") as f:
    tensors = {k: f.get_tensor(k) for k in f.keys()}
    meta = f.metadata()
tensors[name] = tensors[name] + delta
save_file(tensors, dst, metadata=meta)
