"""Scans (issue 18): eager, torch.compile and fxir, in one run, on the same inputs and
threads.

    .venv/bin/python bench/scan_bench.py [--cases cumsum,rnn] [--repeat 20]

- cumsum: the cumulative scan `c = c + x[t]`, ys stacked, x 10,000 x 1,024 fp32.
- rnn: the RNN cell scan `h = tanh(h @ W + u[t])`, hidden 256, T = 1,000, batch 1.

Each model uses the user-level `torch._higher_order_ops.scan`, is exported strictly and
compiled by fxir in memory (`fxir.compile(ep)`). Every system is called from Python the
same way on the same inputs (eager: the module; torch.compile: fullgraph, its first call
reported apart; fxir: the program), steady state after warm-up; the median of
`--repeat` calls is reported. `fxir C++` is the same program's run without the Python
call. Each fxir result is checked against eager's (f32: rtol 1e-5, atol 1e-5 times
the steps, the sums' rounding error grows with them).
"""
import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch._higher_order_ops.scan import scan

import fxir
from bench_common import cpu_model, steady


class CumulativeScan(torch.nn.Module):
    def forward(self, x):
        def step(c, xt):
            c = c + xt
            return c, c.clone()

        return scan(step, torch.zeros_like(x[0]), x)


class RnnScan(torch.nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.w = torch.nn.Parameter(torch.randn(hidden, hidden) / hidden ** 0.5)

    def forward(self, h0, u):
        def step(h, ut):
            h = torch.tanh(h @ self.w + ut)
            return h, h.clone()

        return scan(step, h0, u)


def cases(names):
    torch.manual_seed(0)
    if "cumsum" in names:
        yield "cumulative scan 10,000 x 1,024 f32", CumulativeScan(), (torch.randn(10000, 1024),), 10000
    if "rnn" in names:
        yield ("RNN cell scan, hidden 256, T = 1,000", RnnScan(256),
               (torch.zeros(1, 256), torch.randn(1000, 1, 256)), 1000)


def main():
    # (torch's serializer warns about scan's empty additional_inputs on every export.)
    logging.getLogger("torch._export.serde.serialize").setLevel(logging.ERROR)
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", default="cumsum,rnn")
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="fxir-scan-"))
    rows = []
    with torch.no_grad():
        for name, model, inputs, steps in cases(args.cases.split(",")):
            want = model(*inputs)
            eager = steady(model, inputs, args.repeat, warmup=3)
            os.environ["TORCHINDUCTOR_CACHE_DIR"] = str(work / f"inductor-{len(rows)}")
            compiled = torch.compile(model, fullgraph=True)
            t0 = time.perf_counter()
            compiled(*inputs)
            first = (time.perf_counter() - t0) * 1e3
            tc = steady(compiled, inputs, args.repeat, warmup=3)
            ep = torch.export.export(model, inputs, strict=True)
            t0 = time.perf_counter()
            prog = fxir.compile(ep, backend="cpu")
            fx_compile = (time.perf_counter() - t0) * 1e3
            got = prog(*inputs)
            for g, w in zip(torch.utils._pytree.tree_leaves(got), torch.utils._pytree.tree_leaves(want)):
                torch.testing.assert_close(g, w, rtol=1e-5, atol=1e-5 * steps)
            fx = steady(prog, inputs, args.repeat, warmup=3)
            cxx = prog._impl.time_run(tuple(inputs), args.repeat) * 1e3
            interp = fxir.compile(ep, backend="interp")
            it = steady(interp, inputs, max(3, args.repeat // 4), warmup=1)
            report = prog.report()
            native = f"native loops: {report.get('native_loops', 0)}"
            rows.append((name, eager, tc, first, it, fx, cxx, fx_compile, native))
    print(f"CPU: {cpu_model()}, {os.cpu_count()} cores, torch threads {torch.get_num_threads()}, "
          f"torch {torch.__version__}; median of {args.repeat} calls, ms")
    print("| case | eager | torch.compile (first call) | fxir interp | fxir cpu | fxir cpu, C++ run | "
          "cpu vs eager | cpu vs compile | fxir compile | loops |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for (name, eager, tc, first, it, fx, cxx, fxc, native) in rows:
        print(f"| {name} | {eager:.2f} | {tc:.2f} ({first:.0f}) | {it:.2f} | {fx:.3f} | {cxx:.3f} | "
              f"{eager / fx:.1f}x | {tc / fx:.1f}x | {fxc:.0f} | {native} |")


if __name__ == "__main__":
    sys.exit(main())
