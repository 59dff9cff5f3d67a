"""Import time of .pt2 archives: fxir (C++) against torch.export.load (Python), same run.

    .venv/bin/python bench/pt2_import_bench.py [--repeat N] [--corpus DIR] [--build DIR]

Times every archive of the export corpus and a large generated program (a 24-layer
transformer encoder, written once to BUILD/bench/transformer24.pt2), each as the median
of N imports after one warm-up load. fxir's figure comes from build/bin/fxir-bench-pt2-import
(mapping the file, reading the ZIP directory and JSON, building the IR and the weight
views); torch's from torch.export.load on the same file. Prints a Markdown table and the
geometric-mean ratio.
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time

import torch


def big_model(path):
    if os.path.exists(path):
        return
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(d_model=256, nhead=8, dim_feedforward=1024,
                                             batch_first=True, dropout=0.0)
    model = torch.nn.TransformerEncoder(layer, num_layers=24, enable_nested_tensor=False).eval()
    ep = torch.export.export(model, (torch.randn(2, 16, 256),), strict=False)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    torch.export.save(ep, path)


def torch_load_ms(path, repeat):
    torch.export.load(path)  # warm-up: first-call imports and caches
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        torch.export.load(path)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--build", default="build")
    ap.add_argument("--corpus", default=None)
    args = ap.parse_args()
    corpus = args.corpus or os.path.join(args.build, "tests/corpus/out")
    big = os.path.join(args.build, "bench/transformer24.pt2")
    big_model(big)
    files = sorted(os.path.join(corpus, f) for f in os.listdir(corpus) if f.endswith(".pt2"))
    files.append(big)
    tool = os.path.join(args.build, "bin/fxir-bench-pt2-import")
    out = subprocess.run([tool, "--repeat", str(args.repeat), *files], check=True,
                         capture_output=True, text=True).stdout
    fxir = {r["file"]: r for r in map(json.loads, out.splitlines())}
    rows, ratios = [], []
    for f in files:
        t = torch_load_ms(f, args.repeat)
        fx = fxir[f]["median_ms"]
        ratio = t / fx
        if f != big:
            ratios.append(ratio)
        rows.append((os.path.basename(f), fxir[f]["ops"], os.path.getsize(f), fx, t, ratio))
    print("| archive | ops | bytes | fxir ms | torch.export.load ms | speedup |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, ops, size, fx, t, ratio in rows:
        print(f"| {name} | {ops} | {size} | {fx:.3f} | {t:.2f} | {ratio:.0f}x |")
    geo = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
    print(f"\ncorpus ({len(ratios)} archives): geometric-mean speedup {geo:.0f}x, "
          f"min {min(ratios):.0f}x, max {max(ratios):.0f}x")
    print(f"transformer24: fxir {rows[-1][3]:.2f} ms, torch.export.load {rows[-1][4]:.1f} ms, "
          f"speedup {rows[-1][5]:.0f}x")


if __name__ == "__main__":
    sys.exit(main())
