"""Every exported corpus case through the Python API on the cpu backend, against eager.

Each archive is compiled with fxir.compile(path, backend="cpu") under the case's
cpu_options, called with the case's inputs in their pytree form (positional and keyword
arguments, nested containers), and its outputs, written inputs and mutated buffers are
compared with eager's (or the exported program's own results where the manifest names
that oracle), at the corpus's per-dtype tolerances (tests/corpus/generate.py).
"""
import json
import os
from pathlib import Path

import pytest
import torch
import torch.utils._pytree as pytree

import check_corpus
import fxir

_DIR = os.environ.get("FXIR_CORPUS_DIR", "")
_MANIFEST = Path(_DIR) / "manifest.json" if _DIR else None


def _cases():
    if not _MANIFEST or not _MANIFEST.exists():
        return []
    cases = json.loads(_MANIFEST.read_text())["cases"]
    return [c for c in cases if c["outcome"] == "exported"]


CASES = _cases()


def test_corpus_is_there(corpus_dir):
    assert len(CASES) >= 200, f"{len(CASES)} exported cases in {corpus_dir}"


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_corpus_case_on_cpu(case, corpus_dir):
    name = case["name"]
    prog = fxir.compile(corpus_dir / f"{name}.pt2", backend="cpu",
                        config=case.get("cpu_options") or None)
    in_tensors, in_meta = check_corpus.read_tensor_file(corpus_dir / f"{name}.inputs.safetensors")
    inputs, in_spec = check_corpus.leaves_of(in_tensors, in_meta, "input")
    oracle = "exported" if case.get("oracle") == "exported" else "expected"
    exp_tensors, exp_meta = check_corpus.read_tensor_file(
        corpus_dir / f"{name}.{oracle}.safetensors")
    expected, out_spec = check_corpus.leaves_of(exp_tensors, exp_meta, "output")

    call_leaves = [t.clone() if isinstance(t, torch.Tensor) else t for t in inputs]
    args, kwargs = pytree.tree_unflatten(call_leaves, in_spec)
    result = prog(*args, **kwargs)
    got, got_spec = pytree.tree_flatten(result)
    assert got_spec == out_spec, f"output structure {got_spec} != {out_spec}"
    for i, (g, w) in enumerate(zip(got, expected)):
        check_corpus.compare(f"output {i}", g, w)
    for k, (post, pre) in enumerate(zip(call_leaves, inputs)):
        if isinstance(pre, torch.Tensor):
            check_corpus.compare(f"input {k} after the call", post,
                                 exp_tensors.get(f"mutated_input_{k}", pre))
    for fqn in exp_meta["mutated_buffers"]:
        check_corpus.compare(f"buffer {fqn}", prog.weight(fqn), exp_tensors[f"buffer.{fqn}"])
