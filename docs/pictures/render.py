"""Renders the pictures in docs/pictures (README, docs/python.md) with Debian's graphviz.

    .venv/bin/python docs/pictures/render.py [--out docs/pictures]

Two programs, each exported here with torch.export, compiled with fxir on the cpu
backend (the `default` pipeline, then the partition) and drawn with prog.to_dot():
  seed_scan   the seed documentation's ScanModel (a cumulative scan, torch's scan HOP):
              the loop is a cluster, its body's fused kernel a cluster inside it;
  gpt2_block  one transformers GPT2Block (small config, random weights, offline):
              kernels as clusters of the ops they fuse, library calls (matmuls) and
              extern ATen calls marked.
Each is written as NAME.dot, NAME.svg and NAME.png. Needs `dot` (apt install graphviz).
"""
import argparse
import os
import shutil
import subprocess
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402
from torch._higher_order_ops.scan import scan  # noqa: E402

import fxir  # noqa: E402


def combine(carry, x):
    next_carry = carry + x
    return next_carry, next_carry.clone()


class ScanModel(torch.nn.Module):
    """The seed documentation's cumulative scan."""

    def forward(self, xs):
        init = torch.zeros_like(xs[0])
        carry, ys = scan(combine, init, xs)
        return carry, ys


def seed_scan():
    xs = torch.randn(8, 4)
    return torch.export.export(ScanModel(), (xs,), strict=True)


def gpt2_block():
    from transformers import GPT2Config
    from transformers.models.gpt2.modeling_gpt2 import GPT2Block

    torch.manual_seed(0)
    config = GPT2Config(n_embd=64, n_head=4, n_layer=1, n_positions=32,
                        attn_implementation="eager")
    block = GPT2Block(config).eval()

    class Block(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.block = block

        def forward(self, hidden):
            out = self.block(hidden)
            return out[0] if isinstance(out, tuple) else out

    return torch.export.export(Block(), (torch.randn(1, 8, 64),), strict=False)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent))
    a = ap.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    dot = shutil.which("dot")
    if not dot:
        raise SystemExit("render.py: needs Graphviz's `dot` (apt-get install graphviz)")
    for name, make in (("seed_scan", seed_scan), ("gpt2_block", gpt2_block)):
        prog = fxir.compile(make(), backend="cpu")
        text = prog.to_dot()
        (out / f"{name}.dot").write_text(text)
        for fmt in ("svg", "png"):
            subprocess.run([dot, f"-T{fmt}", "-Gdpi=80" if fmt == "png" else "-Gdpi=72",
                            str(out / f"{name}.dot"), "-o", str(out / f"{name}.{fmt}")],
                           check=True)
        rep = prog.report()
        print(f"{name}: {rep['kernels']} kernels ({rep['fused_ops']} ops fused), library "
              f"{sum(rep['library_ops'].values())}, extern {sum(rep['extern_ops'].values())}"
              f" -> {out / name}.{{dot,svg,png}}")


if __name__ == "__main__":
    main()
