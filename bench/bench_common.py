"""What the Python benchmark drivers share (imported from bench/, the scripts' own
directory on sys.path)."""
import platform
import statistics
import time
from pathlib import Path


def cpu_model() -> str:
    """The CPU's model name, as the tables print it."""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def steady(fn, args, repeat, warmup):
    """The median of `repeat` timed calls fn(*args) after `warmup` untimed ones, in ms
    (a call's result is dropped inside its timing)."""
    for _ in range(warmup):
        fn(*args)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3
