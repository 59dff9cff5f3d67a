"""KV-cache write `cache[:, :, pos] = k` (issue 18): eager, torch.compile and fxir, in one
run, on the same inputs and threads.

    .venv/bin/python bench/kv_write.py [--lengths 1024,16384] [--repeat 2000]

The cache is [1, 32, L, 128] fp32, `pos` an int64 tensor of one position, `k` the
[1, 32, 1, 128] update. Two forms: the cache a registered buffer of the module (fxir
compiles the ExportedProgram in memory and updates that buffer), and the cache a user
input updated in place. Every system is called from Python the same way (the module,
the torch.compile'd module, the fxir program), steady state after warm-up; the median of
`--repeat` calls is reported, torch.compile's first call apart (an empty inductor
cache). `fxir C++` is the same program's run without the Python call
(`Program._impl.time_run`). Each run checks the cache against eager's.
"""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import torch

import fxir
from bench_common import cpu_model, steady


class BufferCache(torch.nn.Module):
    def __init__(self, length):
        super().__init__()
        self.register_buffer("cache", torch.zeros(1, 32, length, 128))

    def forward(self, k, pos):
        self.cache[:, :, pos] = k
        return k.shape[0]  # nothing to return but the write


class InputCache(torch.nn.Module):
    def forward(self, cache, k, pos):
        cache[:, :, pos] = k
        return k.shape[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lengths", default="1024,16384")
    ap.add_argument("--repeat", type=int, default=2000)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="fxir-kv-"))
    torch.manual_seed(0)
    rows = []
    with torch.no_grad():
        for length in [int(x) for x in args.lengths.split(",")]:
            k = torch.randn(1, 32, 1, 128)
            pos = torch.tensor([length // 3])
            for form in ("buffer", "user input"):
                if form == "buffer":
                    make = lambda: BufferCache(length)  # noqa: E731
                    call_args = (k, pos)
                    ex_args = (k, pos)
                else:
                    make = InputCache
                    cache = torch.zeros(1, 32, length, 128)
                    call_args = (cache, k, pos)
                    ex_args = (torch.zeros(1, 32, length, 128), k, pos)
                eager_m = make()
                eager = steady(eager_m, call_args, args.repeat, warmup=20)
                comp_m = make()
                os.environ["TORCHINDUCTOR_CACHE_DIR"] = str(work / f"inductor-{length}-{form}")
                compiled = torch.compile(comp_m, fullgraph=True)
                t0 = time.perf_counter()
                compiled(*call_args)
                first = (time.perf_counter() - t0) * 1e3
                tc = steady(compiled, call_args, args.repeat, warmup=20)
                fx_m = make()
                ep = torch.export.export(fx_m, ex_args, strict=True)
                t0 = time.perf_counter()
                prog = fxir.compile(ep, backend="cpu")
                fx_compile = (time.perf_counter() - t0) * 1e3
                fx = steady(prog, call_args, args.repeat, warmup=20)
                flat = call_args
                cxx = prog._impl.time_run(flat, args.repeat) * 1e3
                interp = fxir.compile(ep, backend="interp")
                it = steady(interp, call_args, max(20, args.repeat // 20), warmup=20)
                # The write is right: a fresh cache, one call each.
                if form == "buffer":
                    want = BufferCache(length)
                    want(k, pos)
                    got = ep.state_dict["cache"]
                    torch.testing.assert_close(got[:, :, pos], want.cache[:, :, pos], rtol=0, atol=0)
                else:
                    a, b = torch.zeros(1, 32, length, 128), torch.zeros(1, 32, length, 128)
                    InputCache()(a, k, pos)
                    prog(b, k, pos)
                    torch.testing.assert_close(b, a, rtol=0, atol=0)
                ops = prog.ir()
                rows.append((length, form, eager, tc, first, it, fx, cxx, fx_compile,
                             "index_put_" in ops))
    print(f"CPU: {cpu_model()}, {os.cpu_count()} cores, torch threads {torch.get_num_threads()}, "
          f"torch {torch.__version__}; median of {args.repeat} calls, ms")
    print("| L | cache | eager | torch.compile (first call) | fxir interp | fxir cpu | "
          "fxir cpu, C++ run | cpu vs eager | cpu vs compile | written in place |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for (length, form, eager, tc, first, it, fx, cxx, fxc, inplace) in rows:
        print(f"| {length} | {form} | {eager:.4f} | {tc:.4f} ({first:.0f}) | {it:.3f} | "
              f"{fx:.4f} | {cxx:.4f} | {eager / fx:.2f}x | {tc / fx:.2f}x | "
              f"{'yes' if inplace else 'no'} |")


if __name__ == "__main__":
    sys.exit(main())
