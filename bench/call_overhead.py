"""The C++ API's cost of one call (issue 18: a 4-element add <= 1 us per call).

    .venv/bin/python bench/call_overhead.py [--build build] [--threads 1]

Exports `x + y` on two 4-element fp32 tensors, writes its inputs and runs
bench/call_overhead_bench.cpp: Executable::run in a loop on the same inputs for the cpu
and interp backends, beside ATen's own at::add of the same tensors (what an eager C++
caller pays), 5 repetitions of 2 s each, medians. Prints the markdown table of
docs/benchmarks.md.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import torch
from safetensors.torch import save_file


class Add(torch.nn.Module):
    def forward(self, x, y):
        return x + y


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="fxir-call-"))
    x, y = torch.randn(4), torch.randn(4)
    torch.export.save(torch.export.export(Add(), (x, y)), str(work / "add.pt2"))
    save_file({"input_0": x, "input_1": y}, str(work / "add.inputs.safetensors"))
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    res = subprocess.run([str(Path(args.build) / "bin" / "fxir-bench-call"), str(work / "add.pt2"),
                          str(work / "add.inputs.safetensors"), "--benchmark_format=json",
                          "--benchmark_min_time=2s", "--benchmark_repetitions=5",
                          "--benchmark_report_aggregates_only=true"],
                         check=True, capture_output=True, text=True, env=env)
    med = {b["run_name"].split("/real_time")[0]: b["real_time"]
           for b in json.loads(res.stdout)["benchmarks"] if b["aggregate_name"] == "median"}
    print(f"threads {args.threads}, torch {torch.__version__}; median us per call")
    print("| case | us per call |")
    print("|---|---|")
    for name in ("cpu/run", "interp/run", "aten::add"):
        print(f"| {name} | {med[name]:.3f} |")


if __name__ == "__main__":
    sys.exit(main())
