"""What a call through the Python package costs over the C++ run (issue 19: <= 5 us).

    .venv/bin/python bench/python_overhead.py [--threads 1]

For a program of one 4-element add (so the run itself is tiny), per backend: the C++
run alone (Executable::run in a C++ loop, same inputs), the Python call prog(x), and
the difference; medians of repeated timings, steady state (after warm-up).
"""
import argparse
import statistics
import time

import torch

import fxir


class Add(torch.nn.Module):
    def forward(self, x, y):
        return x + y


def median_call_seconds(fn, n, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        times.append((time.perf_counter() - t0) / n)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--repeats", type=int, default=7)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    x, y = torch.randn(4), torch.randn(4)
    ep = torch.export.export(Add(), (x, y))
    print(f"torch {torch.__version__}, {a.threads} thread(s), one 4-element add")
    print(f"{'case':<22} {'C++ run':>10} {'Python call':>12} {'overhead':>10}")
    for backend in ("interp", "cpu"):
        prog = fxir.compile(ep, backend=backend)
        for _ in range(1000):
            prog(x, y)
        cpp = statistics.median(prog._impl.time_run((x, y), a.n) for _ in range(a.repeats))
        py = median_call_seconds(lambda: prog(x, y), a.n, a.repeats)
        print(f"{'fxir ' + backend:<22} {cpp * 1e6:>8.2f}us {py * 1e6:>10.2f}us "
              f"{(py - cpp) * 1e6:>8.2f}us")
    eager = median_call_seconds(lambda: torch.add(x, y), a.n, a.repeats)
    print(f"{'eager torch.add':<22} {'':>10} {eager * 1e6:>10.2f}us")


if __name__ == "__main__":
    main()
