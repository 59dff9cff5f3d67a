"""Peak memory of one run of a transformers GPT-2 (random weights), fxir cpu and interp
(`fxir-run --report`'s `peak memory:` line), docs/benchmarks.md.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/peak_memory.py [--build build]

GPT2LMHeadModel(n_embd=256, n_layer=4, n_head=4, n_positions=512, vocab_size=1000),
use_cache=False, input ids [4, 256], exported non-strict; `peak memory` is the most bytes
the first run had allocated at once above what existed before it (runtime::PeakMemory).
"""
import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import torch
import transformers
from safetensors.torch import save_file


class LM(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, ids):
        return self.m(input_ids=ids, use_cache=False).logits


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    args = ap.parse_args()
    torch.manual_seed(0)
    transformers.logging.set_verbosity_error()
    cfg = transformers.GPT2Config(n_embd=256, n_layer=4, n_head=4, n_positions=512,
                                  vocab_size=1000, bos_token_id=0, eos_token_id=0)
    m = LM(transformers.GPT2LMHeadModel(cfg).eval())
    ids = torch.randint(0, 1000, (4, 256))
    work = Path(tempfile.mkdtemp(prefix="fxir-peak-"))
    with torch.no_grad():
        ep = torch.export.export(m, (ids,), strict=False)
    torch.export.save(ep, str(work / "gpt2.pt2"))
    save_file({"input_0": ids}, str(work / "gpt2.inputs.safetensors"))
    out = subprocess.run([str(Path(args.build) / "bin" / "fxir-run"), "--backend=cpu",
                          "--report", str(work / "gpt2.pt2"), "--inputs",
                          str(work / "gpt2.inputs.safetensors")],
                         check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.startswith(("peak memory:", "run:")):
            print(line)


if __name__ == "__main__":
    sys.exit(main())
