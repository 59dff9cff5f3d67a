"""Compile latency of fxir's cpu backend per corpus program, cold and warm, beside
torch.compile's first call on the same programs (docs/benchmarks.md).

    .venv/bin/python bench/compile_latency.py [--build build] [--no-torch-compile]
        [--filter SUBSTRING] [--jobs 1]

fxir, every exported corpus case (every family and mode), the whole runtime::compile
(import, default, partition, codegen or cache load, JIT, weights bound and extern
calls prepared), cold with an empty cache directory, then warm with the entries the
cold compile wrote:
  - in one long-lived process (bench/compile_bench.cpp, fxir-bench-compile), the
    process's one-time initialization paid once before anything is timed;
  - in a fresh process per compile (`fxir-run ARCHIVE --backend=cpu --report`, its
    `compile:` line; not the process's start or LibTorch's load, but the one-time
    initialization inside the first compile: the operator schema table, LLVM's
    target, ATen's first operator lookups).

torch.compile: for each model's strict case, a fresh Python process loads the archive
(torch.export.load(...).module()), wraps it in torch.compile(fullgraph=True) and times
the first call on the case's inputs, with an empty TORCHINDUCTOR_CACHE_DIR.

Prints the markdown tables of docs/benchmarks.md (a summary, then one row per model).
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_common import cpu_model

REPO = Path(__file__).resolve().parent.parent

TORCH_FIRST_CALL = r'''
import json, sys, time
import torch
from safetensors import safe_open
from torch.utils import _pytree as pytree
pt2, inputs = sys.argv[1], sys.argv[2]
with safe_open(inputs, "pt") as f:
    meta = json.loads(f.metadata()["fxir_corpus"])
    tensors = {k: f.get_tensor(k) for k in f.keys()}
leaves = []
for i in range(meta["num_leaves"]):
    if f"input_{i}" in tensors:
        leaves.append(tensors[f"input_{i}"])
    else:
        leaf = meta["non_tensor_leaves"][str(i)]
        v = leaf["value"]
        leaves.append(float(v) if leaf["type"] == "float" and isinstance(v, str) else v)
args, kwargs = pytree.tree_unflatten(leaves, pytree.treespec_loads(meta["treespec"]))
m = torch.export.load(pt2).module()
f = torch.compile(m, fullgraph=True)
t0 = time.perf_counter()
with torch.no_grad():
    f(*args, **kwargs)
print(f"first_call_ms {(time.perf_counter() - t0) * 1e3:.1f}")
'''


def fxir_compile_ms(fxir_run, archive, cache_dir, options):
    cmd = [str(fxir_run), str(archive), "--backend=cpu", f"--cache-dir={cache_dir}", "--report"]
    cmd += [f"--backend-option={k}={v}" for k, v in options.items()]
    p = subprocess.run(cmd, capture_output=True, text=True)
    m = re.search(r"^compile: ([0-9.]+) ms \(cache (\w+)\)", p.stdout, re.M)
    if p.returncode or not m:
        return None, (p.stderr.strip().splitlines() or ["?"])[-1][:120]
    return float(m.group(1)), m.group(2)


def torch_first_call_ms(archive, inputs):
    with tempfile.TemporaryDirectory() as d:
        env = dict(os.environ, TORCHINDUCTOR_CACHE_DIR=d, HF_HUB_OFFLINE="1")
        p = subprocess.run([sys.executable, "-c", TORCH_FIRST_CALL, str(archive), str(inputs)],
                           capture_output=True, text=True, env=env, timeout=900)
    m = re.search(r"first_call_ms ([0-9.]+)", p.stdout)
    if not m:
        err = [l for l in p.stderr.strip().splitlines() if l.strip()]
        return None, (err[-1] if err else "?")[:100]
    return float(m.group(1)), ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=str(REPO / "build"))
    ap.add_argument("--no-torch-compile", action="store_true")
    ap.add_argument("--filter", default="")
    args = ap.parse_args()
    build = Path(args.build)
    corpus = build / "tests" / "corpus" / "out"
    fxir_run = build / "bin" / "fxir-run"
    manifest = json.loads((corpus / "manifest.json").read_text())
    cases = [c for c in manifest["cases"]
             if c["outcome"] == "exported" and args.filter in c["name"]]
    rows = {}
    cold_all, warm_all, failures = [], [], []
    inproc_cold, inproc_warm, first = [], [], None
    with tempfile.TemporaryDirectory() as tmp:
        p = subprocess.run([str(build / "bin" / "fxir-bench-compile"), tmp] +
                           [str(corpus / f"{c['name']}.pt2") for c in cases],
                           capture_output=True, text=True)
        for line in p.stdout.splitlines():
            parts = line.split()
            if parts[0] == "first":
                first = float(parts[1])
            elif len(parts) == 4:
                if parts[3] != "1":
                    failures.append(f"{parts[0]}: in-process warm compile was not a hit")
                inproc_cold.append(float(parts[1]))
                inproc_warm.append(float(parts[2]))
        if p.returncode or len(inproc_cold) != len(cases):
            failures.append(f"fxir-bench-compile: {p.stderr.strip()[-300:]}")
    with tempfile.TemporaryDirectory() as tmp:
        for c in cases:
            archive = corpus / f"{c['name']}.pt2"
            cache = Path(tmp) / c["name"]
            cold, how = fxir_compile_ms(fxir_run, archive, cache, c.get("cpu_options", {}))
            warm, how2 = fxir_compile_ms(fxir_run, archive, cache, c.get("cpu_options", {}))
            if cold is None or warm is None:
                failures.append(f"{c['name']}: {how if cold is None else how2}")
                continue
            if how != "miss" and how != "hit":
                failures.append(f"{c['name']}: cold run reported cache {how}")
            if how2 != "hit":
                failures.append(f"{c['name']}: warm run reported cache {how2}")
            cold_all.append(cold)
            warm_all.append(warm)
            r = rows.setdefault(c["model"], {"family": c["family"], "modes": {}})
            r["modes"][c["mode"]] = (cold, warm)
            print(f"{c['name']}: cold {cold:.1f} ms, warm {warm:.1f} ms", file=sys.stderr)
    if not args.no_torch_compile:
        for model, r in rows.items():
            name = f"{model}.strict"
            if "strict" not in r["modes"]:
                continue
            ms, err = torch_first_call_ms(corpus / f"{name}.pt2",
                                          corpus / f"{name}.inputs.safetensors")
            r["torch"] = ms if ms is not None else f"fails: {err}"
            print(f"{name}: torch.compile first call {r['torch']}", file=sys.stderr)

    import torch
    print(f"CPU: {cpu_model()}, {os.cpu_count()} cores, torch {torch.__version__}; "
          f"{len(cold_all)} corpus programs")
    print()
    print("| fxir cpu compile | median ms | p90 ms | max ms |")
    print("|---|---|---|---|")
    for label, xs in (("long-lived process, cold (empty cache)", inproc_cold),
                      ("long-lived process, warm (cache hit)", inproc_warm),
                      ("fresh process, cold (empty cache)", cold_all),
                      ("fresh process, warm (cache hit)", warm_all)):
        if not xs:
            continue
        xs = sorted(xs)
        p90 = xs[min(len(xs) - 1, int(0.9 * len(xs)))]
        print(f"| {label} | {statistics.median(xs):.1f} | {p90:.1f} | {xs[-1]:.1f} |")
    if first is not None:
        print(f"| one-time initialization (the first compile in a process, "
              f"{cases[0]['name']}) | {first:.1f} | | |")
    tc = [r["torch"] for r in rows.values() if isinstance(r.get("torch"), float)]
    if tc:
        print(f"| torch.compile first call (strict cases, {len(tc)} models) | "
              f"{statistics.median(tc):.0f} | {sorted(tc)[min(len(tc) - 1, int(0.9 * len(tc)))]:.0f} "
              f"| {max(tc):.0f} |")
    print()
    print("Per model, fresh process (`fxir-run --report`):")
    print()
    print("| model | family | fxir cold ms (strict / nonstrict / decomposed) | fxir warm ms | "
          "torch.compile first call ms |")
    print("|---|---|---|---|---|")
    for model, r in rows.items():
        modes = r["modes"]
        cold = " / ".join(f"{modes[m][0]:.0f}" if m in modes else "-"
                          for m in ("strict", "nonstrict", "decomposed"))
        warm = " / ".join(f"{modes[m][1]:.0f}" if m in modes else "-"
                          for m in ("strict", "nonstrict", "decomposed"))
        t = r.get("torch", "-")
        t = f"{t:.0f}" if isinstance(t, float) else t
        print(f"| {model} | {r['family']} | {cold} | {warm} | {t} |")
    if failures:
        print()
        print("Failures:")
        for f in failures:
            print(f"- {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
