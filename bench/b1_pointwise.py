"""B1: fused pointwise chains on 16M fp32 values, fxir's cpu backend against eager,
torch.compile and fxir's interp, in one run, on the same inputs and threads.

    .venv/bin/python bench/b1_pointwise.py [--build build] [--size 16777216]

Exports each chain (torch.export, strict), writes its input, runs bench/b1_bench.cpp
(fxir cpu, fxir interp and a STREAM-like copy, Google Benchmark, steady state) and
times eager and torch.compile (fullgraph, steady state after warm-up; its first call
timed apart with an empty TORCHINDUCTOR_CACHE_DIR). Prints the markdown table of
docs/benchmarks.md with the CPU model and thread count.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from safetensors.torch import save_file

from bench_common import cpu_model


class Chain1(torch.nn.Module):
    def forward(self, x):
        return (x * 1.5 + 0.25).sigmoid() * torch.tanh(x) + x * x - torch.exp(-x.abs())


class Chain2(torch.nn.Module):
    """10 ops: alternating adds and multiplies."""
    def forward(self, x):
        y = x * 1.01 + 0.5
        y = y * 0.99 + 0.25
        y = y * 1.02 - 0.125
        y = y * 0.98 + x
        return y * 1.5 + 2.0


CASES = {"chain1 (sigmoid/tanh/exp)": Chain1, "chain2 (10 add/mul)": Chain2}


def steady(fn, x, repeat):
    for _ in range(3):
        fn(x)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(x)
        times.append(time.perf_counter() - t0)
        del out
    return statistics.median(times) * 1e3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--size", type=int, default=16 * 1024 * 1024)
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    threads = torch.get_num_threads()
    work = Path(tempfile.mkdtemp(prefix="fxir-b1-"))
    torch.manual_seed(0)
    x = torch.randn(args.size)
    rows = []
    for label, cls in CASES.items():
        m = cls().eval()
        ep = torch.export.export(m, (x,), strict=True)
        pt2 = work / f"{cls.__name__}.pt2"
        torch.export.save(ep, str(pt2))
        inputs = work / f"{cls.__name__}.inputs.safetensors"
        save_file({"input_0": x}, str(inputs))
        eager = steady(m, x, args.repeat)
        os.environ["TORCHINDUCTOR_CACHE_DIR"] = str(work / f"inductor-{cls.__name__}")
        compiled = torch.compile(m, fullgraph=True)
        t0 = time.perf_counter()
        compiled(x)
        first = (time.perf_counter() - t0) * 1e3
        tc = steady(compiled, x, args.repeat)
        bench = Path(args.build) / "bin" / "fxir-bench-b1"
        res = subprocess.run([str(bench), str(pt2), str(inputs), "--benchmark_format=json",
                              "--benchmark_min_time=1s"],
                             check=True, capture_output=True, text=True)
        data = {b["name"].split("/real_time")[0]: b for b in json.loads(res.stdout)["benchmarks"]}
        cpu, interp, copy = data["cpu/run"], data["interp/run"], data["copy"]
        rows.append((label, eager, tc, first, interp["real_time"], cpu["real_time"],
                     cpu["compile_ms"], cpu["page_faults_per_call"],
                     copy["real_time"], copy["bytes_per_second"] / 1e9))
    print(f"CPU: {cpu_model()}, {os.cpu_count()} cores, torch threads {threads}, "
          f"torch {torch.__version__}, {args.size} fp32 values")
    print("| chain | eager ms | torch.compile ms (first call) | fxir interp ms | fxir cpu ms "
          "(cold compile) | cpu vs eager | cpu vs compile | page faults/call | copy ms "
          "(GB/s) | cpu vs copy |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for (label, eager, tc, first, interp, cpu, cms, pf, copy, gbs) in rows:
        print(f"| {label} | {eager:.1f} | {tc:.1f} ({first:.0f}) | {interp:.1f} | "
              f"{cpu:.1f} ({cms:.0f}) | {eager / cpu:.1f}x | {tc / cpu:.2f}x | {pf:.0f} | "
              f"{copy:.1f} ({gbs:.1f}) | {100 * copy / cpu:.0f}% |")


if __name__ == "__main__":
    sys.exit(main())
