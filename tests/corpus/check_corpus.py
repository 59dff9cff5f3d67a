"""Check a generated export corpus: nothing shrank silently, and every archive round-trips.

    python tests/corpus/check_corpus.py DIR [--only NAME ...]

DIR is the --out directory of generate.py. One check per case of the registry
(models.py), each passing or failing:
  * the case is in DIR/manifest.json (a case dropped from the manifest fails);
  * a case declared as expected failure still fails, with an error matching its pattern
    (it fails the check if it starts exporting: update the registry and docs/seed.md);
  * every other case exported; then its .pt2 is loaded with torch.export.load and
    ep.module() is run on cloned inputs from NAME.inputs.safetensors; the outputs (tensor
    and non-tensor leaves), the post-call value of every input leaf (mutated_input_<k> if
    recorded, else the unchanged input) and the recorded buffers (buffer.<fqn>) must match
    NAME.exported.safetensors (what the program did before it was saved; generate.py
    also compares it with eager's NAME.expected.safetensors to pick the case's oracle):
    float32 rtol 1.3e-6/atol 1e-5, float16 1e-3/1e-5, bfloat16 1.6e-2/1e-5, other dtypes
    exact, NaN equal to NaN, dtype and shape exact.
A MUST_EXPORT case can never be declared as expected failure (models.py refuses to
import), so it passes only by exporting and round-tripping; the registry also guarantees
each coverage family has must-export cases in strict and nonstrict mode. One more check:
the stamp's corpus hash is the current one (a stale corpus would check old models).

Prints a table per family and mode (exported / expected failures) and ends with the line
`corpus: N passed, M failed`; exits non-zero when M > 0 or nothing was checked.

It does not export anything or look inside the archives (docs/pt2-format.md describes
them; the C++ reader's tests read them).
"""
from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import traceback
import warnings
from collections import defaultdict
from pathlib import Path

import torch
import torch.utils._pytree as pytree
from safetensors import safe_open

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.dont_write_bytecode = True  # keep tests/corpus free of __pycache__
import generate  # noqa: E402
import models  # noqa: E402

TOLERANCES = generate.TOLERANCES  # dtype: (rtol, atol); dtypes not listed compare exactly


class Mismatch(Exception):
    pass


def read_tensor_file(path: Path) -> tuple[dict, dict]:
    with safe_open(str(path), framework="pt") as f:
        tensors = {k: f.get_tensor(k) for k in f.keys()}
        return tensors, json.loads((f.metadata() or {})[generate.METADATA_KEY])


def decode_leaf(entry: dict):
    value = entry["value"]
    if entry["type"] == "float" and isinstance(value, str):
        return float(value)
    return value


def leaves_of(tensors: dict, meta: dict, prefix: str) -> tuple[list, object]:
    """The flattened leaves (tensor or not) and treespec of an inputs/expected file."""
    non_tensor = meta["non_tensor_leaves"]
    leaves = [decode_leaf(non_tensor[str(i)]) if str(i) in non_tensor
              else tensors[f"{prefix}_{i}"] for i in range(meta["num_leaves"])]
    return leaves, pytree.treespec_loads(meta["treespec"])


def compare(what: str, got, want) -> None:
    if not isinstance(want, torch.Tensor):
        if isinstance(got, torch.Tensor) or type(got) is not type(want) or got != want:
            raise Mismatch(f"{what}: got {got!r}, expected {want!r}")
        return
    if not isinstance(got, torch.Tensor):
        raise Mismatch(f"{what}: got {type(got).__name__}, expected a tensor")
    if got.dtype != want.dtype or got.shape != want.shape:
        raise Mismatch(f"{what}: got {got.dtype}{list(got.shape)}, "
                       f"expected {want.dtype}{list(want.shape)}")
    rtol, atol = TOLERANCES.get(want.dtype, (0.0, 0.0))
    if not torch.allclose(got.detach(), want, rtol=rtol, atol=atol, equal_nan=True):
        diff = (got.detach().double() - want.double()).abs().nan_to_num(0.0)
        raise Mismatch(f"{what}: values differ (max abs diff {diff.max().item():.3g})")


def round_trip(out: Path, record: dict) -> None:
    """Load the archive, run it on the saved inputs, compare with the expected values."""
    files = record["files"]
    ep = torch.export.load(out / files["pt2"])
    module = ep.module()
    in_tensors, in_meta = read_tensor_file(out / files["inputs"])
    inputs, in_spec = leaves_of(in_tensors, in_meta, "input")
    # The loaded program must compute what the saved one did: the exported program's own
    # results (its module() before saving; generate.py), within the dtype's tolerance.
    exp_tensors, exp_meta = read_tensor_file(out / files["exported"])
    expected, out_spec = leaves_of(exp_tensors, exp_meta, "output")

    call_leaves = [t.clone() if isinstance(t, torch.Tensor) else t for t in inputs]
    args, kwargs = pytree.tree_unflatten(call_leaves, in_spec)
    with torch.no_grad():
        result = module(*args, **kwargs)
    got, got_spec = pytree.tree_flatten(result)
    if got_spec != out_spec:
        raise Mismatch(f"output structure {got_spec} != expected {out_spec}")
    for i, (g, w) in enumerate(zip(got, expected)):
        compare(f"output {i}", g, w)
    for k, (post, pre) in enumerate(zip(call_leaves, inputs)):
        if isinstance(pre, torch.Tensor):
            compare(f"input {k} after the call", post,
                    exp_tensors.get(f"mutated_input_{k}", pre))
    buffers = dict(module.named_buffers())
    for fqn in exp_meta["mutated_buffers"]:
        if fqn not in buffers:
            raise Mismatch(f"buffer {fqn} is not a buffer of ep.module()")
        compare(f"buffer {fqn}", buffers[fqn], exp_tensors[f"buffer.{fqn}"])


def check_case(out: Path, model: models.Model, mode: str, record: dict | None) -> str | None:
    """None if the case passes, else why it fails."""
    name = f"{model.name}.{mode}"
    if record is None:
        return "missing from the manifest"
    xfail = model.xfail.get(mode)
    if xfail:
        if record["outcome"] == "exported":
            return ("declared as expected failure but it exports now: update models.py "
                    "and docs/seed.md")
        if not re.search(xfail.pattern, record.get("error", "")):
            return f"expected-failure error no longer matches /{xfail.pattern}/: " \
                   f"{record.get('error', '')[:300]}"
        return None
    if record["outcome"] != "exported":
        must = " (must-export)" if name in models.MUST_EXPORT else ""
        return f"did not export{must} at stage {record.get('stage')}: " \
               f"{record.get('error', '')[:600]}"
    try:
        round_trip(out, record)
    except Mismatch as err:
        return f"round trip: {err}"
    except Exception as err:  # noqa: BLE001 - a failing case is reported, not fatal
        return "round trip raised " + "".join(
            traceback.format_exception_only(err)).strip()[:800]
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path, help="the corpus directory (generate.py --out)")
    parser.add_argument("--only", nargs="*", help="check only these models")
    opts = parser.parse_args()
    out = opts.out.resolve()
    warnings.filterwarnings("ignore", category=FutureWarning)
    # torch.export.load warns about every unbacked symbol of range_constraints that the
    # graph does not use (docs/pt2-format.md, "Symbolic shapes").
    logging.getLogger("torch._export.serde.serialize").setLevel(logging.ERROR)

    manifest_path = out / generate.MANIFEST
    if not manifest_path.exists():
        print(f"check_corpus: no {manifest_path}; run generate.py --out {out} first")
        print("corpus: 0 passed, 1 failed")
        return 1
    manifest = json.loads(manifest_path.read_text())
    records = {c["name"]: c for c in manifest["cases"]}

    failures: list[tuple[str, str]] = []
    passed = 0
    stamp_path = out / generate.STAMP
    if not opts.only:
        stamp = stamp_path.read_text().strip() if stamp_path.exists() else "(none)"
        if stamp != generate.corpus_hash():
            failures.append(("stamp", f"{stamp_path} does not match tests/corpus and torch "
                                      f"{torch.__version__}: regenerate the corpus"))
        else:
            passed += 1

    table = defaultdict(lambda: [0, 0])
    for model in models.MODELS:
        if opts.only and model.name not in opts.only:
            continue
        for mode in models.MODES:
            name = f"{model.name}.{mode}"
            record = records.get(name)
            problem = check_case(out, model, mode, record)
            if problem:
                failures.append((name, problem))
            else:
                passed += 1
                table[(model.family, mode)][0 if record["outcome"] == "exported" else 1] += 1


    families = sorted({m.family for m in models.MODELS})
    print(f"{'family':<14}" + "".join(f"{m:>14}" for m in models.MODES)
          + "    (passing cases: exported/expected-failure)")
    for fam in families + ["total"]:
        row = f"{fam:<14}"
        for mode in models.MODES:
            keys = [(f, mode) for f in families] if fam == "total" else [(fam, mode)]
            exported, xfailed = (sum(table[k][i] for k in keys) for i in (0, 1))
            row += f"{f'{exported}/{xfailed}':>14}"
        print(row)
    for name, problem in failures:
        print(f"FAIL {name}: {problem}")
    if passed == 0 and not failures:
        failures.append(("corpus", "nothing was checked"))
    print(f"corpus: {passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
