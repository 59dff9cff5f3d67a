"""The Python package: in-memory compile, no copies, mutation, errors, threads, dynamic
shapes, inspection, torch.compile. Every result is checked against eager PyTorch."""
import os
import shutil
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import pytest
import torch

import fxir
import models  # tests/corpus/models.py

BACKENDS = ["cpu", "interp"]


def close(got, want):
    torch.testing.assert_close(got, want, rtol=1.3e-6, atol=1e-5, equal_nan=True)


class Chain(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(16, 16)

    def forward(self, x):
        return torch.sigmoid(self.lin(x)) * 2 + x  # the line explain() must point at


class Mutating(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("count", torch.zeros(4))

    def forward(self, x, acc):
        self.count.add_(1)
        acc.mul_(2).add_(x)
        return x * self.count


class ReturnsWeight(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.randn(3, 5))

    def forward(self, x):
        return self.w, x[1:], x + 1


class Gather(torch.nn.Module):
    def forward(self, x, idx):
        return x[idx] * 2


# ---- the corpus's models, exported here and compiled in memory -------------------------

IN_MEMORY = ["linear_mlp", "mut_buffers", "mut_user_inputs", "kwargs_io", "dict_tuple_io",
             "scan_multi", "cond_tensor_pred", "tied_weights", "tensor_constants",
             "hf_llama_gqa", "hf_gpt2"]


@pytest.mark.parametrize("strict", [True, False], ids=["strict", "nonstrict"])
@pytest.mark.parametrize("name", IN_MEMORY)
def test_exported_program_in_memory_matches_eager(name, strict):
    model = models.by_name()[name]
    torch.manual_seed(model.seed)
    module = model.cls().eval()
    args, kwargs = model.make_inputs()
    import copy
    reference = copy.deepcopy(module)
    ep = torch.export.export(module, copy.deepcopy(args), copy.deepcopy(kwargs), strict=strict,
                             dynamic_shapes=model.dynamic_shapes() if model.dynamic_shapes else None)
    prog = fxir.compile(ep, backend="cpu", config=dict(model.cpu_options) or None)
    a1, k1 = copy.deepcopy(args), copy.deepcopy(kwargs)
    a2, k2 = copy.deepcopy(args), copy.deepcopy(kwargs)
    with torch.no_grad():
        want = reference(*a1, **k1)
    got = prog(*a2, **k2)
    tol = {"rtol": 1.6e-2, "atol": 1e-5} if name.endswith("bf16") else {"rtol": 1e-5, "atol": 1e-5}
    torch.testing.assert_close(got, want, **tol, equal_nan=True)
    # Written inputs as eager left them; mutated buffers in the ExportedProgram's own
    # state dict, as ep.module() writes them.
    torch.testing.assert_close((a2, k2), (a1, k1), **tol)
    for fqn, b in reference.named_buffers():
        if fqn in ep.state_dict:
            torch.testing.assert_close(ep.state_dict[fqn], b, **tol)


# ---- no copies ------------------------------------------------------------------------

@pytest.mark.parametrize("backend", BACKENDS)
def test_no_copies_in_or_out(backend):
    torch.manual_seed(0)
    m = ReturnsWeight()
    x = torch.randn(4, 5)
    ep = torch.export.export(m, (x,))
    prog = fxir.compile(ep, backend=backend)
    w, tail, y = prog(x)
    # The weight is the ExportedProgram's own tensor, bound without a copy.
    assert w.untyped_storage().data_ptr() == ep.state_dict["w"].untyped_storage().data_ptr()
    # An output that is a view of an input is that input's memory.
    assert tail.data_ptr() == x[1:].data_ptr()
    close(y, x + 1)
    # prog.weight is the bound tensor, not a copy of it.
    assert prog.weight("w").data_ptr() == ep.state_dict["w"].data_ptr()


@pytest.mark.parametrize("backend", BACKENDS)
def test_written_input_is_written_in_place(backend):
    # `x.add_(1); return x`: x is written in its own storage, as ep.module() writes it;
    # the output is the functional result (ep.module() too returns that, not x).
    class AddInPlace(torch.nn.Module):
        def forward(self, x):
            x.add_(1)
            return x

    ep = torch.export.export(AddInPlace(), (torch.zeros(8),))
    x, xe = torch.zeros(8), torch.zeros(8)
    ptr, version = x.data_ptr(), x._version
    prog = fxir.compile(ep, backend=backend)
    out = prog(x)
    want = ep.module()(xe)
    assert x.data_ptr() == ptr
    close(x, xe)
    close(out, want)
    assert x._version > version  # autograd sees the in-place write, as after eager's add_


def test_pt2_weights_are_the_mapped_archive(tmp_path):
    # A .pt2's weights are views of the mapped file: two programs from one archive
    # share nothing writable, and a returned weight is a copy the caller may write.
    torch.manual_seed(0)
    m = ReturnsWeight()
    path = tmp_path / "m.pt2"
    torch.export.save(torch.export.export(m, (torch.randn(4, 5),)), path)
    prog = fxir.compile(path, backend="cpu")
    w, _, _ = prog(torch.randn(4, 5))
    w.add_(1)  # must not fault (read-only mapping) nor change the program
    close(prog.weight("w"), m.w.detach())


# ---- mutation -------------------------------------------------------------------------

@pytest.mark.parametrize("backend", BACKENDS)
def test_mutation_semantics_match_eager(backend):
    eager = Mutating()
    ep = torch.export.export(Mutating(), (torch.randn(4), torch.randn(4)))
    prog = fxir.compile(ep, backend=backend)
    for step in range(3):
        x = torch.randn(4)
        acc_e, acc_f = torch.randn(4), None
        acc_f = acc_e.clone()
        ptr = acc_f.data_ptr()
        want = eager(x, acc_e)
        got = prog(x, acc_f)
        close(got, want)
        close(acc_f, acc_e)
        assert acc_f.data_ptr() == ptr  # written in the caller's storage
        close(ep.state_dict["count"], eager.count)  # the EP's buffer, in place
        close(prog.weight("count"), eager.count)


def test_pt2_buffer_mutation_stays_in_the_program(tmp_path):
    path = tmp_path / "m.pt2"
    torch.export.save(torch.export.export(Mutating(), (torch.randn(4), torch.randn(4))), path)
    prog = fxir.compile(path, backend="cpu")
    for step in range(1, 4):
        prog(torch.randn(4), torch.randn(4))
        close(prog.weight("count"), torch.full((4,), float(step)))


# ---- errors ---------------------------------------------------------------------------

def test_corrupt_archive_is_a_read_error(tmp_path):
    bad = tmp_path / "bad.pt2"
    bad.write_bytes(b"PK\x03\x04 this is no zip archive")
    with pytest.raises(fxir.ReadError, match="bad.pt2"):
        fxir.compile(bad)
    with pytest.raises(fxir.ReadError, match="missing.pt2"):
        fxir.compile(tmp_path / "missing.pt2")


def test_bad_options_are_compile_errors():
    ep = torch.export.export(Chain(), (torch.randn(2, 16),))
    with pytest.raises(fxir.CompileError, match="nosuch"):
        fxir.compile(ep, backend="nosuch")
    with pytest.raises(fxir.CompileError, match="pipeline"):
        fxir.compile(ep, pipeline="cse,,not-a-pass")
    with pytest.raises(fxir.CompileError, match="threads"):
        fxir.compile(ep, config={"threads": "many"})
    with pytest.raises(TypeError, match="ExportedProgram"):
        fxir.compile(42)


@pytest.mark.parametrize("backend", BACKENDS)
def test_input_errors(backend):
    prog = fxir.compile(torch.export.export(Chain(), (torch.randn(2, 16),)), backend=backend)
    with pytest.raises(fxir.InputError, match="'x'.*dim 1 is 15"):
        prog(torch.randn(2, 15))
    with pytest.raises(fxir.InputError, match="'x'"):
        prog(torch.randn(2, 16, dtype=torch.float64))
    with pytest.raises(fxir.InputError, match="expected 1 inputs"):
        prog(torch.randn(2, 16), torch.randn(2, 16))
    with pytest.raises(fxir.InputError, match="requires grad"):
        prog(torch.randn(2, 16, requires_grad=True))
    with pytest.raises(fxir.InputError, match="str"):
        prog("x")
    assert isinstance(fxir.InputError("x"), ValueError)
    # Under no_grad an input that requires grad is fine (inference).
    x = torch.randn(2, 16, requires_grad=True)
    with torch.no_grad():
        y = prog(x)
    assert not y.requires_grad


@pytest.mark.parametrize("backend", BACKENDS)
def test_run_error_for_out_of_range_index(backend):
    x = torch.randn(5, 3)
    prog = fxir.compile(torch.export.export(Gather(), (x, torch.tensor([0, 4]))), backend=backend)
    close(prog(x, torch.tensor([1, 2])), x[torch.tensor([1, 2])] * 2)
    with pytest.raises(fxir.RunError, match="out of bounds|out of range"):
        prog(x, torch.tensor([0, 7]))


def test_import_beside_another_torch_fails_clearly(tmp_path):
    fake = tmp_path / "torch"
    fake.mkdir()
    (fake / "__init__.py").write_text("__version__ = '9.9.9'\n")
    pkg = Path(fxir.__file__).parent.parent  # (not resolved: the build tree links its files)
    env = dict(os.environ, PYTHONPATH=f"{tmp_path}{os.pathsep}{pkg}")
    r = subprocess.run([sys.executable, "-c", "import fxir"], env=env, capture_output=True,
                       text=True)
    assert r.returncode != 0
    assert "ImportError" in r.stderr and "9.9.9" in r.stderr and "2.13.0" in r.stderr, r.stderr


def test_fake_and_meta_tensors_are_refused():
    from torch._subclasses.fake_tensor import FakeTensorMode

    prog = fxir.compile(torch.export.export(Chain(), (torch.randn(2, 16),)))
    with pytest.raises(fxir.InputError, match="no data"):
        prog(FakeTensorMode().from_tensor(torch.randn(2, 16)))
    with pytest.raises(fxir.InputError, match="meta"):
        prog(torch.randn(2, 16, device="meta"))
    with FakeTensorMode():
        ep = torch.export.export(Chain(), (torch.randn(2, 16),))
    with pytest.raises(fxir.ReadError, match="no data"):
        fxir.compile(ep)


def test_input_aliasing_a_written_buffer_is_refused():
    ep = torch.export.export(Mutating(), (torch.randn(4), torch.randn(4)))
    prog = fxir.compile(ep)
    with pytest.raises(fxir.InputError, match="shares memory with count"):
        prog(ep.state_dict["count"], torch.zeros(4))
    close(ep.state_dict["count"], torch.zeros(4))  # nothing was written


def test_a_weight_freed_after_compile_is_refused():
    class AddBuffer(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("b", torch.ones(1 << 16))

        def forward(self, x):
            return x + self.b

    ep = torch.export.export(AddBuffer(), (torch.zeros(1 << 16),))
    prog = fxir.compile(ep)
    close(prog(torch.zeros(1 << 16)), torch.ones(1 << 16))
    ep.state_dict["b"].untyped_storage().resize_(0)  # what FSDP does to a flat parameter
    with pytest.raises(fxir.RunError, match="resized or freed"):
        prog(torch.zeros(1 << 16))


def test_written_buffers_and_inference_tensors_follow_eager():
    ep = torch.export.export(Mutating(), (torch.randn(4), torch.randn(4)))
    prog = fxir.compile(ep)
    count = ep.state_dict["count"]
    v = count._version
    prog(torch.randn(4), torch.randn(4))
    assert count._version > v  # the buffer's in-place update, seen by autograd
    with torch.inference_mode():
        acc = torch.zeros(4)
    # Eager refuses an in-place write to an inference tensor outside inference mode,
    # before writing anything; so does fxir.
    with pytest.raises(fxir.InputError, match="inference tensor"):
        prog(torch.ones(4), acc)
    close(acc, torch.zeros(4))
    with torch.inference_mode():
        prog(torch.ones(4), acc)
    close(acc, torch.ones(4))


def test_dict_inputs_are_matched_by_key():
    class D(torch.nn.Module):
        def forward(self, inp, *, scale):
            return {"s": inp["a"] * scale + inp["b"], "t": (inp["a"],)}

    a, b, s = torch.randn(3), torch.randn(3), torch.randn(3)
    ep = torch.export.export(D(), ({"a": a, "b": b},), {"scale": s})
    prog = fxir.compile(ep)
    want = ep.module()({"b": b, "a": a}, scale=s)
    got = prog({"b": b, "a": a}, scale=s)
    close(got["s"], want["s"])
    close(got["t"][0], a)
    with pytest.raises(fxir.InputError, match="structure"):
        prog({"a": a}, scale=s)


def test_dot_of_non_ascii_source():
    class U(torch.nn.Module):
        def forward(self, x):
            return torch.sigmoid(x) * 2 + x  # ééééééééééééééééééééééé "quoted" \ backslash

    dot = fxir.compile(torch.export.export(U(), (torch.randn(3),))).to_dot()
    assert "é" in dot
    if shutil.which("dot"):
        r = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr


# ---- threads --------------------------------------------------------------------------

@pytest.mark.parametrize("backend", BACKENDS)
def test_two_threads_call_one_program(backend):
    torch.manual_seed(0)
    m = Chain().eval()
    prog = fxir.compile(torch.export.export(m, (torch.randn(64, 16),)), backend=backend)
    errors = []
    started = threading.Barrier(2)

    def work(seed):
        try:
            g = torch.Generator().manual_seed(seed)
            started.wait()
            for _ in range(200):
                x = torch.randn(64, 16, generator=g)
                with torch.no_grad():
                    want = m(x)
                close(prog(x), want)
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work, args=(s,)) for s in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def test_the_gil_is_released_during_a_run():
    # Another Python thread runs in the middle of a long run: had the run kept the GIL,
    # that thread could only run in the call's Python parts, at its ends.
    import time

    class Long(torch.nn.Module):
        def forward(self, x):
            for _ in range(20):
                x = torch.sin(x) + 1
            return x

    x = torch.randn(1 << 22)
    prog = fxir.compile(torch.export.export(Long(), (x,)), backend="interp")
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(time.perf_counter())

    t = threading.Thread(target=ticker)
    t.start()
    try:
        time.sleep(0.01)
        t0 = time.perf_counter()
        prog._impl.run((x,))
        t1 = time.perf_counter()
    finally:
        stop.set()
        t.join()
    third = (t1 - t0) / 3
    middle = [u for u in ticks if t0 + third < u < t1 - third]
    assert t1 - t0 > 0.05, "the run is too short to tell"
    assert middle, f"no other thread ran during the middle of a {t1 - t0:.3f} s run"


# ---- dynamic shapes -------------------------------------------------------------------

@pytest.mark.parametrize("strict", [True, False], ids=["strict", "nonstrict"])
def test_export_and_compile_dynamic_shapes(strict):
    torch.manual_seed(0)
    m = Chain().eval()
    batch = torch.export.Dim("batch", min=2, max=64)
    prog = fxir.export_and_compile(m, (torch.randn(8, 16),), strict=strict,
                                   dynamic_shapes={"x": {0: batch}})
    for n in (2, 3, 17, 64):
        x = torch.randn(n, 16)
        with torch.no_grad():
            close(prog(x), m(x))
    with pytest.raises(fxir.InputError, match="'x'"):
        prog(torch.randn(65, 16))


def test_export_and_compile_kwargs():
    class KW(torch.nn.Module):
        def forward(self, x, *, scale, bias=None):
            return x * scale + bias

    x, s, b = torch.randn(3), torch.randn(3), torch.randn(3)
    prog = fxir.export_and_compile(KW(), (x,), {"scale": s, "bias": b})
    close(prog(x, bias=b, scale=s), x * s + b)
    with pytest.raises(fxir.InputError, match="keyword"):
        prog(x, scale=s)


# ---- inspection -----------------------------------------------------------------------

def test_ir_report_explain_dot():
    prog = fxir.compile(torch.export.export(Chain(), (torch.randn(2, 16),)), backend="cpu")
    text = prog.ir()
    assert "graph @forward" in text and "cpu.kernel" in text
    assert "loc" in prog.ir(debuginfo=True)
    rep = prog.report()
    assert rep["backend"] == "cpu" and rep["kernels"] >= 1 and rep["fused_ops"] >= 3
    assert rep["library_ops"] == {"aten.linear.default": 1} and rep["extern_ops"] == {}
    assert rep["compile_ms"] > 0 and rep["info"]["cache"] in ("hit", "miss", "off")
    why = prog.explain()
    assert "fxir_k0 fuses:" in why and "test_api.py" in why and "the line explain()" in why
    dot = prog.to_dot()
    assert dot.startswith("digraph") and "cluster_" in dot and "kernel fxir_k0" in dot
    assert "library (ATen)" in dot
    if shutil.which("dot"):
        r = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True)
        assert r.returncode == 0 and "<svg" in r.stdout, r.stderr
    names = [i["name"] for i in prog.inputs()]
    assert names == ["x"]
    interp = fxir.compile(torch.export.export(Chain(), (torch.randn(2, 16),)), backend="interp")
    assert interp.report()["kernels"] == 0 and "no generated kernels" in interp.explain()


# ---- torch.compile --------------------------------------------------------------------

def test_torch_compile_backend():
    torch._dynamo.reset()
    torch.manual_seed(0)
    m = Chain().eval()
    x = torch.randn(4, 16)
    before = len(fxir.dynamo_compiled())
    with torch.no_grad():
        c = torch.compile(m, backend="fxir", dynamic=False)
        close(c(x), m(x))
        close(c(x + 1), m(x + 1))
    assert len(fxir.dynamo_compiled()) == before + 1


def test_torch_compile_falls_back_and_says_so():
    torch._dynamo.reset()
    m = Chain()  # training: parameters require grad, grad mode on
    x = torch.randn(4, 16)
    before = len(fxir.dynamo_fallbacks())
    c = torch.compile(m, backend="fxir", dynamic=False)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        y = c(x)
    close(y, m(x))
    falls = fxir.dynamo_fallbacks()[before:]
    assert falls and "require grad" in falls[0]["reason"]
    assert any("runs in eager" in str(i.message) for i in w)


# ---- what torch's tensors can be that a plain tensor is not ----------------------------

def test_pt2_weight_is_a_writable_copy(tmp_path):
    path = tmp_path / "w.pt2"
    torch.export.save(torch.export.export(ReturnsWeight(), (torch.randn(4, 5),)), str(path))
    prog = fxir.compile(str(path))
    w = prog.weight("w")
    w.add_(1)  # the archive's mapping is read-only: weight() of it is a copy
    close(prog.weight("w") + 1, w)


@pytest.mark.parametrize("backend", BACKENDS)
def test_neg_and_conj_views(backend):
    prog = fxir.compile(torch.export.export(Chain(), (torch.randn(2, 16),)), backend=backend)
    b = torch.randn(2, 16)
    x = torch._neg_view(b)
    assert x.is_neg()
    with torch.no_grad():
        close(prog(x), prog(x.resolve_neg()))
        close(prog(x), prog(-b))

    class NegBuffer(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("b", torch._neg_view(torch.ones(3)))

        def forward(self, x):
            return x + self.b

    with pytest.raises(fxir.ReadError, match="negated or conjugated"):
        fxir.compile(torch.export.export(NegBuffer(), (torch.zeros(3),)), backend=backend)
    ep = torch.export.export(Mutating(), (torch.randn(4), torch.randn(4)))
    with pytest.raises(fxir.InputError, match="negated or conjugated view, which the program"):
        fxir.compile(ep, backend=backend)(torch.ones(4), torch._neg_view(torch.ones(4)))


def test_objects_that_only_claim_to_be_tensors_are_refused():
    class Liar:
        __class__ = torch.Tensor

    assert isinstance(Liar(), torch.Tensor)
    prog = fxir.compile(torch.export.export(Chain(), (torch.randn(2, 16),)))
    with pytest.raises(fxir.InputError, match="not Liar"):
        prog(Liar())


def test_python_dispatch_subclasses_are_refused():
    class Logged(torch.Tensor):
        @staticmethod
        def __new__(cls, t):
            return torch.Tensor._make_subclass(cls, t)  # real memory: only dispatch is odd

        @classmethod
        def __torch_dispatch__(cls, func, types, args=(), kwargs=None):
            raise AssertionError("fxir must not dispatch to Python")

    prog = fxir.compile(torch.export.export(Chain(), (torch.randn(2, 16),)))
    with pytest.raises(fxir.InputError, match="__torch_dispatch__"):
        prog(Logged(torch.randn(2, 16)))


@pytest.mark.parametrize("backend", BACKENDS)
def test_outputs_viewing_inputs_are_autograd_views(backend):
    ep = torch.export.export(ReturnsWeight(), (torch.randn(4, 5),))
    prog = fxir.compile(ep, backend=backend)
    x = torch.randn(4, 5)
    with torch.no_grad():
        w, tail, _ = prog(x)
    assert tail._base is x
    v = x._version
    tail.add_(1)  # as eager: the write through the view is seen on x
    assert x._version > v
    # x saved for backward, then written through fxir's view of it: autograd notices.
    p = torch.randn(5, requires_grad=True)
    x = torch.randn(4, 5)
    y = (x * p).sum()
    with torch.no_grad():
        _, tail, _ = prog(x)
    tail.mul_(0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()
    # The weight's output stays valid when the caller frees the parameter's storage
    # (it is the same storage, as in eager: its size is seen, no dangling pointer).
    ep.state_dict["w"].untyped_storage().resize_(0)
    with pytest.raises(RuntimeError, match="out of bounds for storage of size 0"):
        w[:1].clone()


def test_misaligned_written_buffer_is_refused():
    class Count(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("c", torch.zeros(4))

        def forward(self, x):
            self.c.add_(1)
            return x + self.c

    m = Count()
    raw = bytearray(17)
    m.c = torch.frombuffer(raw, dtype=torch.float32, offset=1, count=4)
    assert m.c.data_ptr() % 4
    with pytest.raises(fxir.CompileError, match="not aligned for float32"):
        fxir.compile(torch.export.export(m, (torch.zeros(4),)))


def test_parameters_requiring_grad_warn_once_with_grad_mode_on():
    prog = fxir.compile(torch.export.export(Chain(), (torch.randn(2, 16),)))
    with pytest.warns(UserWarning, match="requires grad, but fxir programs are for inference"):
        prog(torch.randn(2, 16))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        prog(torch.randn(2, 16))  # once per program
        fresh = fxir.compile(torch.export.export(Chain(), (torch.randn(2, 16),)))
        with torch.no_grad():
            fresh(torch.randn(2, 16))


def test_time_run_checks_its_arguments():
    prog = fxir.compile(torch.export.export(Gather(), (torch.randn(5), torch.tensor([1]))))
    with pytest.raises(fxir.InputError, match="at least 1"):
        prog._impl.time_run((torch.randn(5), torch.tensor([1])), 0)
    with pytest.raises(fxir.RunError, match="out of bounds|out of range"):
        prog._impl.time_run((torch.randn(5), torch.tensor([7])), 3)


@pytest.mark.parametrize("backend", BACKENDS)
def test_written_input_interleaved_with_another_is_refused(backend):
    ep = torch.export.export(Mutating(), (torch.randn(4), torch.randn(4)))
    prog = fxir.compile(ep, backend=backend)
    base = torch.zeros(4, 2)
    # Columns of one storage: ATen cannot tell whether they overlap (not dense).
    with pytest.raises(fxir.InputError, match="may share memory with input 'x'"):
        prog(base[:, 1], base[:, 0])
    close(base, torch.zeros(4, 2))
    other = torch.zeros(8, 2)
    acc = other[:4, 0]
    prog(torch.ones(4), acc)  # a strided written input apart from the others: fine
    close(acc, torch.ones(4))


class _KVBufferCache(torch.nn.Module):
    def __init__(self, length):
        super().__init__()
        self.register_buffer("cache", torch.zeros(1, 32, length, 128))

    def forward(self, k, pos):
        self.cache[:, :, pos] = k
        return k.shape[0]


class _KVInputCache(torch.nn.Module):
    def forward(self, cache, k, pos):
        cache[:, :, pos] = k
        return k.shape[0]


# Runs in a fresh process: loads the archive, resets the peak RSS (a transient peak of
# the load, such as the archive's pages, would hide a copy), measures the peak over
# three writes, in units of the cache's size.
_KV_RSS_SCRIPT = r"""
import sys, torch, fxir

def status(key):  # bytes, from /proc/self/status
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024

path, backend, form, length = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
k, pos = torch.randn(1, 32, 1, 128), torch.tensor([length // 3])
prog = fxir.compile(path, backend=backend)
with torch.no_grad():
    if form == "buffer":
        args = (k, pos)
    else:
        cache = torch.zeros(1, 32, length, 128)
        args = (cache, k, pos)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # resets the peak (VmHWM) to the current RSS (Linux >= 4.0)
    before = status("VmRSS")
    for _ in range(3):
        prog(*args)
    grew = status("VmHWM") - before
    if form == "buffer":
        cache = prog.weight("cache")
    assert torch.equal(cache[:, :, pos], k)
print(grew / cache.nbytes)
"""


@pytest.mark.parametrize("form", ["buffer", "user input"])
def test_kv_cache_write_costs_the_update_not_the_cache(form, tmp_path):
    # Peak memory of a fresh process over three KV writes into a 128 MiB cache: the
    # cpu backend writes the update in place (reinplace); the interp oracle copies the
    # cache (index_put), which shows the measurement sees a copy.
    length = 8192
    if form == "buffer":
        ep = torch.export.export(_KVBufferCache(length),
                                 (torch.randn(1, 32, 1, 128), torch.tensor([1])))
    else:
        ep = torch.export.export(_KVInputCache(), (torch.zeros(1, 32, length, 128),
                                                   torch.randn(1, 32, 1, 128),
                                                   torch.tensor([1])))
    path = tmp_path / "kv.pt2"
    torch.export.save(ep, str(path))
    del ep

    def growth(backend):
        out = subprocess.run([sys.executable, "-c", _KV_RSS_SCRIPT, str(path), backend,
                              form.split()[0], str(length)],
                             check=True, capture_output=True, text=True, env=os.environ)
        return float(out.stdout.strip().splitlines()[-1])

    assert growth("interp") > 0.8  # at least one whole copy of the cache
    assert growth("cpu") < 0.1

    # fxir-run --report's peak memory of the same run says the same.
    run = Path(fxir._fxir.__file__).resolve().parent.parent.parent / "bin" / "fxir-run"
    if not run.exists():
        return  # an installed package has no build tree
    from safetensors.torch import save_file
    inputs = tmp_path / "kv.inputs.safetensors"
    k, pos = torch.randn(1, 32, 1, 128), torch.tensor([length // 3])
    save_file({"input_0": k, "input_1": pos} if form == "buffer" else
              {"input_0": torch.zeros(1, 32, length, 128), "input_1": k, "input_2": pos},
              str(inputs))
    out = subprocess.run([str(run), "--backend=cpu", "--report", str(path), "--inputs",
                          str(inputs)], check=True, capture_output=True, text=True)
    line = [l for l in out.stdout.splitlines() if l.startswith("peak memory:")][0]
    cpu_mib, interp_mib = [float(t) for t in line.replace("(", " ").split() if
                           t.replace(".", "").isdigit()]
    cache_mib = 32 * length * 128 * 4 / (1 << 20)
    assert interp_mib >= cache_mib and cpu_mib < 0.1 * cache_mib, line


class _Chain(torch.nn.Module):
    """Six ops in a row, each result read only by the next: at most two alive at once."""
    def forward(self, x):
        for _ in range(6):
            x = torch.cumsum(x, 0) * 0.5
        return x


@pytest.mark.parametrize("backend", BACKENDS)
def test_intermediates_are_freed_after_their_last_use(backend, tmp_path):
    run = Path(fxir._fxir.__file__).resolve().parent.parent.parent / "bin" / "fxir-run"
    if not run.exists():
        pytest.skip("an installed package has no build tree")
    from safetensors.torch import save_file
    x = torch.randn(1 << 22)  # 16 MiB
    torch.export.save(torch.export.export(_Chain(), (x,)), str(tmp_path / "c.pt2"))
    save_file({"input_0": x}, str(tmp_path / "c.inputs.safetensors"))
    out = subprocess.run([str(run), f"--backend={backend}", "--pass-pipeline=default",
                          "--report", str(tmp_path / "c.pt2"), "--inputs",
                          str(tmp_path / "c.inputs.safetensors")],
                         check=True, capture_output=True, text=True)
    line = [l for l in out.stdout.splitlines() if l.startswith("peak memory:")][0]
    peak = float(line.split()[2])
    # 12 tensors of 16 MiB are made (a cumsum and a mul each step); freed after their
    # last use, at most three are alive at once (the output, the one being read, the
    # one being written).
    assert peak <= 3 * 16 + 1, line
