"""eager_times.py CORPUS_DIR [--repeat N]: eager PyTorch's steady-state time per call of
every exported case in CORPUS_DIR (a generate.py output directory), one line each:
`CASE MICROSECONDS`. The module and inputs are rebuilt as tests/corpus/generate.py
builds them (the model's seed, eval(), its run inputs); calls under
torch.no_grad(); the mean of N calls after two warm-up calls (fxir-run --repeat's statistic), the inputs cloned before each (not timed),
torch's default threads. scripts/demo prints it beside fxir's interp and cpu times.
"""
import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch
from torch.utils import _pytree as pytree

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "corpus"))
import models  # noqa: E402


def clone(tree):
    return pytree.tree_map(lambda t: t.clone() if isinstance(t, torch.Tensor) else t, tree)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    manifest = json.loads((Path(args.corpus) / "manifest.json").read_text())
    by_name = {m.name: m for m in models.MODELS}
    for case in manifest["cases"]:
        if case["outcome"] != "exported":
            continue
        model = by_name[case["model"]]
        torch.manual_seed(model.seed)
        module = model.cls().eval()
        inputs = model.make_inputs()
        if model.run_inputs is not None:
            inputs = model.run_inputs()
        times = []
        with torch.no_grad():
            for i in range(args.repeat + 2):
                a, kw = clone(inputs)
                t0 = time.perf_counter()
                module(*a, **kw)
                if i >= 2:
                    times.append(time.perf_counter() - t0)
        print(f"{case['name']} {statistics.mean(times) * 1e6:.1f}", flush=True)


if __name__ == "__main__":
    main()
