"""Generate the export corpus: real .pt2 archives written by the installed torch.

    python tests/corpus/generate.py --out DIR [--only NAME ...] [--force]

For every model in models.py and every mode (strict, nonstrict, decomposed) it writes,
under DIR, for the case NAME = <model>.<mode>:
  NAME.pt2                  torch.export.save of the exported program
  NAME.inputs.safetensors   input_<i>: the tensor leaves of tree_flatten((args, kwargs))
  NAME.expected.safetensors output_<i>: the tensor leaves of tree_flatten(eager output);
                            mutated_input_<k>: post-call value of mutated input leaf k;
                            buffer.<fqn>: post-call value of each mutated buffer
  NAME.exported.safetensors the same from the exported program itself (ep.module()); the
                            manifest's "oracle" is "exported" when these differ from
                            eager's beyond the dtype's tolerance (a decomposition that
                            computes otherwise), else "eager", with the difference
  NAME.steps.safetensors    decode models only: eager's step<s>.output_<i>,
                            step<s>.mutated_input_<k> (a cache in the inputs) and
                            step<s>.buffer.<fqn> (a cache in buffers) for several steps
                            in a row on one module (metadata "decode": {steps, feed
                            {output: input}, advance {input: amount}}; models.Decode)
  manifest.json             every case: outcome (exported / expected_failure /
                            unexpected_failure + error text), family, mode, source
                            location, oracle and oracle_reason, exported_lost (values
                            eager updates that the exported module() does not)
  fxir_known_failures.tsv   case, pass, error pattern of every fxir known failure
  stamp                     hash of tests/corpus/* and the torch and transformers versions

Leaf indices count all leaves (tensor or not; None is a leaf). Each safetensors file has
one metadata entry, "fxir_corpus": a JSON object with "treespec" (torch pytree JSON of the
flattened structure), "num_leaves", "non_tensor_leaves" ({index: {"type":
int|float|bool|none|str, "value": ...}}, non-finite floats as "inf"/"nan" strings) and,
in expected files, "mutated_inputs" (leaf indices) and "mutated_buffers" (FQNs).
A case whose model declares an fxir known failure (models.py, fxir_xfail) carries
"fxir_expected_failure" ({pattern, reason, pipelines}) in the manifest.

Order per case: module built under torch.manual_seed(model.seed) and put in eval();
inputs made under the same seed (then the run inputs, where the model has other ones:
a dynamic dim run at another size than traced); a deepcopy of the module is kept; the
export runs FIRST (on cloned inputs); the eager reference runs after it, under
torch.no_grad(), on the untouched deepcopy with cloned run inputs; then the exported
program's module() on the same inputs; decode models then run several steps on a
fresh copy.

If DIR's stamp matches, it prints "corpus up to date" and the table of the existing
manifest and exports nothing; otherwise it wipes DIR (only if DIR looks like a corpus:
empty or holding a stamp/manifest) and regenerates. --force regenerates regardless;
--only NAME... generates just those models (no stamp: the next full run starts over).
A failed case leaves no files behind, only its manifest record. Exit status is non-zero
when a case fails unexpectedly, an expected failure exports, or an expected failure's
error no longer matches its pattern; the last line is
"corpus generated: N cases, ..., P problems".

It does not check that the archives round-trip (check_corpus.py does that).
"""
from __future__ import annotations

import argparse
import copy
import glob
import hashlib
import inspect
import json
import logging
import math
import re
import shutil
import sys
import time
import traceback
import warnings
from collections import defaultdict
from pathlib import Path

import torch
import torch.utils._pytree as pytree
import transformers
from safetensors.torch import save_file

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE))
sys.dont_write_bytecode = True  # keep tests/corpus free of __pycache__
import models  # noqa: E402

STAMP = "stamp"
MANIFEST = "manifest.json"
KNOWN_FAILURES = "fxir_known_failures.tsv"
MAX_ERROR_CHARS = 4000
METADATA_KEY = "fxir_corpus"  # the one safetensors metadata entry (a JSON object)
MUST_EXPORT = set(models.MUST_EXPORT)


# ---- helpers shared with check_corpus.py ----------------------------------------------
def corpus_hash() -> str:
    """Hash of every file in tests/corpus (paths and contents) plus the versions of torch
    and transformers (whose modeling code the hf family exports)."""
    h = hashlib.sha256()
    for path in sorted(HERE.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            h.update(str(path.relative_to(HERE)).encode() + b"\0")
            h.update(path.read_bytes() + b"\0")
    h.update(torch.__version__.encode())
    h.update(transformers.__version__.encode())
    return h.hexdigest()


def encode_leaf(value) -> dict:
    if value is None:
        return {"type": "none", "value": None}
    for kind, typ in (("bool", bool), ("int", int), ("float", float), ("str", str)):
        if isinstance(value, typ):
            if kind == "float" and not math.isfinite(value):
                return {"type": "float", "value": repr(value)}
            return {"type": kind, "value": value}
    raise TypeError(f"unsupported non-tensor leaf {type(value).__name__}: {value!r}")


def tensor_file(leaves: list, spec, prefix: str) -> tuple[dict, dict]:
    """Tensors and metadata of one safetensors file for a flattened pytree."""
    tensors, non_tensor = {}, {}
    for i, leaf in enumerate(leaves):
        if isinstance(leaf, torch.Tensor):
            tensors[f"{prefix}_{i}"] = leaf.detach().contiguous().clone()
        else:
            non_tensor[str(i)] = encode_leaf(leaf)
    meta = {"treespec": pytree.treespec_dumps(spec), "num_leaves": len(leaves),
            "non_tensor_leaves": non_tensor}
    return tensors, meta


def write_tensor_file(path: Path, tensors: dict, meta: dict) -> None:
    """One metadata key holding sorted JSON: safetensors writes several metadata keys in
    an unspecified order, which would make the files differ from run to run."""
    save_file(tensors, path, metadata={METADATA_KEY: json.dumps(meta, sort_keys=True)})


def bitwise_equal(a: torch.Tensor, b: torch.Tensor) -> bool:
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    return torch.equal(a.contiguous().reshape(-1).view(torch.uint8),
                       b.contiguous().reshape(-1).view(torch.uint8))


def clone_tree(tree):
    return pytree.tree_map(lambda t: t.clone() if isinstance(t, torch.Tensor) else t, tree)


def error_text(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= MAX_ERROR_CHARS else text[:MAX_ERROR_CHARS] + " [...]"


def source_location(cls) -> str:
    """path:line of the class that defines the model's forward."""
    cls = next(c for c in cls.__mro__ if "forward" in vars(c))
    path = Path(inspect.getsourcefile(cls)).resolve()
    line = inspect.getsourcelines(cls)[1]
    try:
        path = path.relative_to(REPO)
    except ValueError:
        pass
    return f"{path}:{line}"


# ---- one case ---------------------------------------------------------------------------
class CaseError(Exception):
    def __init__(self, stage: str, exc: BaseException):
        super().__init__(error_text(exc))
        self.stage = stage
        self.exc = exc


TOLERANCES = {  # dtype: (rtol, atol), torch.testing's; dtypes not listed compare exactly
    torch.float64: (1e-7, 1e-7),
    torch.float32: (1.3e-6, 1e-5),
    torch.float16: (1e-3, 1e-5),
    torch.bfloat16: (1.6e-2, 1e-5),
}


def tensors_close(a: torch.Tensor, b: torch.Tensor) -> str:
    """"" when `b` matches `a` within a's dtype's tolerance (NaN equal to NaN), else how
    it differs."""
    if a.dtype != b.dtype or a.shape != b.shape:
        return f"{b.dtype}{list(b.shape)} for {a.dtype}{list(a.shape)}"
    if a.dtype in TOLERANCES:
        rtol, atol = TOLERANCES[a.dtype]
        if torch.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True):
            return ""
        diff = (a.double() - b.double()).abs().nan_to_num(0).max().item()
        return f"max abs difference {diff:.3g} (rtol {rtol}, atol {atol})"
    return "" if torch.equal(a, b) else "values differ"


def first_difference(expected: dict, actual: dict) -> str:
    """How the first value both record differs ("" when none does). Values only one
    side records (a buffer update the exported module() loses) are not differences in
    numbers; the manifest lists them apart."""
    for key in sorted(expected.keys() & actual.keys()):
        if why := tensors_close(expected[key], actual[key]):
            return f"{key}: {why}"
    return ""


def run_and_record(module, initial_buffers: dict, args, kwargs, ep) -> tuple[dict, dict]:
    """Runs `module` on clones of the inputs; its outputs, the inputs it changed and the
    buffers it changed (or that the program mutates), as the expected file holds them."""
    in_leaves = pytree.tree_leaves((args, kwargs))
    call_args, call_kwargs = clone_tree((args, kwargs))
    with torch.no_grad():
        result = module(*call_args, **call_kwargs)
    out_leaves, out_spec = pytree.tree_flatten(result)
    expected, out_meta = tensor_file(out_leaves, out_spec, "output")
    post_inputs = pytree.tree_leaves((call_args, call_kwargs))
    mutated_inputs = [k for k, (pre, post) in enumerate(zip(in_leaves, post_inputs))
                      if isinstance(pre, torch.Tensor) and not bitwise_equal(pre, post)]
    for k in mutated_inputs:
        expected[f"mutated_input_{k}"] = post_inputs[k].detach().contiguous().clone()
    signature_buffers = set(ep.graph_signature.buffers_to_mutate.values())
    post_buffers = dict(module.named_buffers())
    mutated_buffers = [fqn for fqn, buf in post_buffers.items()
                       if fqn in signature_buffers or fqn not in initial_buffers
                       or not bitwise_equal(buf, initial_buffers[fqn])]
    for fqn in mutated_buffers:
        expected[f"buffer.{fqn}"] = post_buffers[fqn].detach().contiguous().clone()
    out_meta["mutated_inputs"] = mutated_inputs
    out_meta["mutated_buffers"] = mutated_buffers
    return expected, out_meta


def decode_steps(module, decode: models.Decode, args, kwargs, ep) -> tuple[dict, dict]:
    """Eager's results for `decode.steps` steps in a row on one module: step s's outputs
    (`step<s>.output_<i>`) and the buffers changed so far (`step<s>.buffer.<fqn>`).
    Before each step after the first, input `feed[o]` (a leaf index) becomes output `o`
    and input `a` grows by `advance[a]`; the rest (caches in buffers or in written
    inputs) carries over."""
    leaves, spec = pytree.tree_flatten(clone_tree((args, kwargs)))
    mutated = set(ep.graph_signature.buffers_to_mutate.values())
    initial = {fqn: b.clone() for fqn, b in module.named_buffers()}
    recorded, previous = {}, None
    for step in range(decode.steps):
        if previous is not None:
            for o, i in decode.feed.items():
                leaves[i] = previous[o].clone()
            for i, k in decode.advance.items():
                leaves[i] = leaves[i] + k
        call_args, call_kwargs = pytree.tree_unflatten(leaves, spec)
        before = [v.clone() if isinstance(v, torch.Tensor) else None for v in leaves]
        with torch.no_grad():
            previous = pytree.tree_leaves(module(*call_args, **call_kwargs))
        for o, v in enumerate(previous):
            if isinstance(v, torch.Tensor):
                recorded[f"step{step}.output_{o}"] = v.detach().contiguous().clone()
        for k, v in enumerate(leaves):  # a cache the program writes in the inputs
            if before[k] is not None and not bitwise_equal(before[k], v):
                recorded[f"step{step}.mutated_input_{k}"] = v.detach().contiguous().clone()
        for fqn, buf in module.named_buffers():
            if fqn in mutated or not bitwise_equal(buf, initial[fqn]):
                recorded[f"step{step}.buffer.{fqn}"] = buf.detach().contiguous().clone()
    meta = {"decode": {"steps": decode.steps, "feed": {str(o): i for o, i in decode.feed.items()},
                       "advance": {str(i): k for i, k in decode.advance.items()}}}
    return recorded, meta


def export_case(model: models.Model, mode: str, out: Path) -> dict:
    """Export, save and run one case; returns what the manifest records about its files.
    Raises CaseError(stage, exc) when any stage fails."""
    name = f"{model.name}.{mode}"
    stage = "build"
    try:
        torch.manual_seed(model.seed)
        module = model.cls().eval()
        args, kwargs = model.make_inputs()
        reference = copy.deepcopy(module)
        initial_buffers = {fqn: b.clone() for fqn, b in module.named_buffers()}
        dynamic_shapes = model.dynamic_shapes() if model.dynamic_shapes else None

        stage = "export"
        ep = torch.export.export(module, clone_tree(args), clone_tree(kwargs),
                                 dynamic_shapes=dynamic_shapes, strict=(mode == "strict"))
        if mode == "decomposed":
            stage = "run_decompositions"
            ep = ep.run_decompositions()
        stage = "save"
        torch.export.save(ep, out / f"{name}.pt2")

        # The inputs to run with (another length than traced, for some dynamic cases).
        run_args, run_kwargs = model.run_inputs() if model.run_inputs else (args, kwargs)
        stage = "eager"
        in_leaves, in_spec = pytree.tree_flatten((run_args, run_kwargs))
        pristine = copy.deepcopy(reference)  # for the decode steps, before any call
        expected, out_meta = run_and_record(reference, initial_buffers, run_args, run_kwargs,
                                            ep)
        stage = "exported"
        # The exported program's own results (its module()): the oracle where they differ
        # from eager's beyond the dtype's tolerance (a decomposition that computes
        # otherwise, bfloat16), recorded apart either way.
        exported_module = ep.module()
        exported, exported_meta = run_and_record(
            exported_module, {fqn: b.clone() for fqn, b in exported_module.named_buffers()},
            run_args, run_kwargs, ep)
        difference = first_difference(expected, exported)
        # What eager updates and the exported module() does not: non-strict exports of
        # an attribute that aliases a buffer lift it as a constant, which module()
        # writes without touching the buffer (fxir ties them: docs/passes.md).
        lost = sorted(set(expected) - set(exported))

        stage = "write"
        inputs, in_meta = tensor_file(in_leaves, in_spec, "input")
        write_tensor_file(out / f"{name}.inputs.safetensors", inputs, in_meta)
        write_tensor_file(out / f"{name}.expected.safetensors", expected, out_meta)
        write_tensor_file(out / f"{name}.exported.safetensors", exported, exported_meta)
        files = {"pt2": f"{name}.pt2", "inputs": f"{name}.inputs.safetensors",
                 "expected": f"{name}.expected.safetensors",
                 "exported": f"{name}.exported.safetensors"}
        if model.decode:
            stage = "decode"
            steps, steps_meta = decode_steps(pristine, model.decode, run_args, run_kwargs, ep)
            write_tensor_file(out / f"{name}.steps.safetensors", steps, steps_meta)
            files["steps"] = f"{name}.steps.safetensors"
        return {"files": files,
                "verifiers": [v.dialect for v in ep.verifiers],
                "mutated_inputs": out_meta["mutated_inputs"],
                "mutated_buffers": out_meta["mutated_buffers"],
                "exported_lost": lost,
                "oracle": "exported" if difference else "eager",
                "oracle_reason": (f"the exported program computes otherwise than eager "
                                  f"beyond the dtype's tolerance: {difference}"
                                  if difference else "")}
    except Exception as exc:  # noqa: BLE001 - every failure is recorded, none is fatal
        raise CaseError(stage, exc) from exc


def run_case(model: models.Model, mode: str, out: Path) -> dict:
    xfail = model.xfail.get(mode)
    record = {"name": f"{model.name}.{mode}", "model": model.name, "family": model.family,
              "mode": mode, "source": source_location(model.cls), "seed": model.seed,
              "note": model.note, "cpu_options": model.cpu_options,
              "must_export": f"{model.name}.{mode}" in MUST_EXPORT,
              "expected_failure": ({"pattern": xfail.pattern, "reason": xfail.reason}
                                   if xfail else None)}
    fxir_xfail = model.fxir_xfail.get(mode)
    if fxir_xfail:
        # Read by fxir-interp-corpus: pipelines that run functionalize fail this way.
        record["fxir_expected_failure"] = {"pattern": fxir_xfail.pattern,
                                           "reason": fxir_xfail.reason,
                                           "pipelines": "functionalize"}
    start = time.perf_counter()
    try:
        record.update(export_case(model, mode, out))
        record["outcome"] = "exported"
        if xfail:
            record["problem"] = "listed as expected failure but exported"
    except CaseError as err:
        for partial in out.glob(f"{glob.escape(record['name'])}.*"):
            partial.unlink()  # e.g. a .pt2 that torch.export.save left half-written
        record["stage"] = err.stage
        record["error"] = str(err)
        if xfail:
            record["outcome"] = "expected_failure"
            if not re.search(xfail.pattern, str(err)):
                record["problem"] = f"error no longer matches /{xfail.pattern}/"
        else:
            record["outcome"] = "unexpected_failure"
            record["problem"] = "failed"
            record["traceback"] = "".join(traceback.format_exception(err.exc))[-MAX_ERROR_CHARS:]
    record["seconds"] = round(time.perf_counter() - start, 3)
    return record


# ---- table ------------------------------------------------------------------------------
def print_table(cases: list[dict], file=sys.stdout) -> None:
    """Per family and mode: exported / expected failures (and problems, if any)."""
    cells = defaultdict(lambda: [0, 0, 0])
    for c in cases:
        cell = cells[(c["family"], c["mode"])]
        cell[0 if c["outcome"] == "exported" else 1 if c["outcome"] == "expected_failure"
             else 2] += 1
    families = sorted({c["family"] for c in cases})
    print(f"{'family':<14}" + "".join(f"{m:>16}" for m in models.MODES)
          + "    (exported/expected-failure[/unexpected])", file=file)
    for fam in families + ["total"]:
        row = f"{fam:<14}"
        for mode in models.MODES:
            keys = [(f, mode) for f in families] if fam == "total" else [(fam, mode)]
            e, x, u = (sum(cells[k][i] for k in keys) for i in range(3))
            row += f"{f'{e}/{x}' + (f'/{u}' if u else ''):>16}"
        print(row, file=file)


def summarize(cases: list[dict]) -> int:
    print_table(cases)
    problems = [c for c in cases if c.get("problem")]
    for c in problems:
        print(f"PROBLEM {c['name']}: {c['problem']}"
              + (f"\n    {c['error'][:600]}" if c.get("error") else ""))
    counts = {k: sum(c["outcome"] == k for c in cases)
              for k in ("exported", "expected_failure", "unexpected_failure")}
    print(f"corpus generated: {len(cases)} cases, {counts['exported']} exported, "
          f"{counts['expected_failure']} expected failures, "
          f"{counts['unexpected_failure']} unexpected failures, {len(problems)} problems")
    return 1 if problems else 0


# ---- main -------------------------------------------------------------------------------
def prepare_out_dir(out: Path) -> None:
    if out.exists():
        entries = list(out.iterdir())
        if entries and not ((out / STAMP).exists() or (out / MANIFEST).exists()):
            sys.exit(f"generate.py: refusing to wipe {out}: it is not empty and holds no "
                     f"corpus {STAMP} or {MANIFEST}")
        shutil.rmtree(out)
    out.mkdir(parents=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, type=Path, help="output directory")
    parser.add_argument("--only", nargs="*", help="generate only these models (no stamp)")
    parser.add_argument("--force", action="store_true", help="regenerate even if up to date")
    opts = parser.parse_args()
    out = opts.out.resolve()

    unknown = set(opts.only or ()) - {m.name for m in models.MODELS}
    if unknown:
        parser.error(f"unknown model(s): {', '.join(sorted(unknown))}")
    stamp = corpus_hash()
    if not opts.only and not opts.force and (out / STAMP).exists() \
            and (out / STAMP).read_text().strip() == stamp and (out / MANIFEST).exists():
        print(f"corpus up to date ({out})")
        return summarize(json.loads((out / MANIFEST).read_text())["cases"])

    prepare_out_dir(out)
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=UserWarning)  # torch.export's notes
    # torch.export.save logs a warning for every empty HOP argument list (scan's
    # additional_inputs=()) that it writes as a tensor list; docs/pt2-format.md covers it.
    logging.getLogger("torch._export.serde.serialize").setLevel(logging.ERROR)
    selected = [m for m in models.MODELS if not opts.only or m.name in opts.only]
    start = time.perf_counter()
    cases = []
    for model in selected:
        for mode in models.MODES:
            record = run_case(model, mode, out)
            cases.append(record)
            print(f"{record['seconds']:7.2f}s  {record['name']:<40} {record['outcome']}"
                  + (f"  [{record['problem']}]" if record.get("problem") else ""), flush=True)
    seconds = round(time.perf_counter() - start, 1)
    manifest = {"torch_version": torch.__version__,
                "transformers_version": transformers.__version__, "corpus_hash": stamp,
                "generation_seconds": seconds, "modes": list(models.MODES),
                "cases": cases}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    # The fxir known failures, one "<case>\t<pass>\t<pattern>" line each, for the shell
    # checks (tests/scripts/check_import_corpus.sh).
    (out / KNOWN_FAILURES).write_text("".join(
        f"{c['name']}\t{c['fxir_expected_failure']['pipelines']}\t"
        f"{c['fxir_expected_failure']['pattern']}\n"
        for c in cases if c.get("fxir_expected_failure") and c["outcome"] == "exported"))
    if not opts.only:
        (out / STAMP).write_text(stamp + "\n")
    print(f"generation took {seconds}s")
    return summarize(cases)


if __name__ == "__main__":
    sys.exit(main())
