"""Random programs of in-place updates through views, exported in training IR (so
fxir's functionalize runs, then the cpu backend's reinplace), against eager.

Each program is a seeded sequence of steps on a module buffer `buf` and a user input
`x` (both written in place: index_put at a position tensor, index_copy_, select and
slice assignments, writes through transpose and chained views, masked_fill_, add_ on a
clone) interleaved with reads of the current values, and functional updates in the
user's code (index_copy, select_scatter, slice_scatter, index_put) whose base or a view
of it is read afterwards, or not. It is exported strict or
non-strict, compiled with fxir.compile (cpu backend) and called three times in a row
next to an eager copy of the module: outputs, the buffer and the written input must
match after every call (fp32, rtol 1.3e-6 / atol 1e-5).

    FXIR_INPLACE_PROGRAMS=200 pytest tests/python/test_inplace_random.py   # longer sweep
"""
import copy
import os
import random

import pytest
import torch

import fxir

COUNT = int(os.environ.get("FXIR_INPLACE_PROGRAMS", "24"))


def _steps(rng):
    """A list of (description, fn(mod, x, v, pos, outs)) steps."""
    steps = []
    for _ in range(rng.randint(2, 6)):
        kind = rng.randrange(16)
        i, j = rng.randrange(4), rng.randrange(4)
        a = rng.randrange(0, 5)
        b = rng.randrange(a + 1, 7)
        c = round(rng.uniform(-2, 2), 2)
        if kind == 0:
            steps.append(("buf[:, :, pos] = v", lambda m, x, v, p, o: m.buf.__setitem__(
                (slice(None), slice(None), p), v)))
        elif kind == 1:
            steps.append((f"buf[{i}] = x[{j}] * {c}", lambda m, x, v, p, o, i=i, j=j, c=c:
                          m.buf.__setitem__(i, x[j] * c)))
        elif kind == 2:
            steps.append((f"buf[:, {a}:{b}] += {c}", lambda m, x, v, p, o, a=a, b=b, c=c:
                          m.buf[:, a:b].add_(c)))
        elif kind == 3:
            steps.append((f"x.mul_({c})", lambda m, x, v, p, o, c=c: x.mul_(c)))
        elif kind == 4:
            def clone_write(m, x, v, p, o, i=i, c=c):
                t = m.buf.clone()
                t[..., i] = c
                o.append(t.sum(dim=0))
            steps.append((f"t = buf.clone(); t[..., {i}] = {c}; out t.sum(0)", clone_write))
        elif kind == 5:
            steps.append(("buf.index_copy_(2, pos, v)", lambda m, x, v, p, o:
                          m.buf.index_copy_(2, p, v)))
        elif kind == 6:
            steps.append((f"buf.masked_fill_(buf > {c}, 0)", lambda m, x, v, p, o, c=c:
                          m.buf.masked_fill_(m.buf > c, 0.0)))
        elif kind == 7:
            steps.append(("out (buf * x).sum(-1)", lambda m, x, v, p, o:
                          o.append((m.buf * x).sum(dim=-1))))
        elif kind == 8:
            steps.append((f"buf.transpose(0, 1)[{j}].add_(x[{i}, {j}])",
                          lambda m, x, v, p, o, i=i, j=j:
                          m.buf.transpose(0, 1)[j].add_(x[i, j])))
        elif kind == 9:
            steps.append((f"buf[1:3].select(1, {j}).fill_({c})",
                          lambda m, x, v, p, o, j=j, c=c: m.buf[1:3].select(1, j).fill_(c)))
        elif kind == 11:
            # Functional updates in the user's code whose base is read afterwards:
            # they must not be written in place.
            def base_read_later(m, x, v, p, o, c=c):
                t = x * c
                u = t.index_copy(2, p, v)
                o.append(u)
                o.append(t.sum(dim=-1))
            steps.append((f"t = x * {c}; u = t.index_copy(2, pos, v); out u, t.sum(-1)",
                          base_read_later))
        elif kind == 12:
            def view_read_later(m, x, v, p, o, i=i, j=j):
                t = m.buf + 0
                row = t[j]
                u = torch.select_scatter(t, x[i], 0, j)
                o.append(u * 2)
                o.append(row + 1)
            steps.append((f"t = buf + 0; row = t[{j}]; u = select_scatter(t, x[{i}], 0, {j}); "
                          f"out u * 2, row + 1", view_read_later))
        elif kind == 13:
            def last_use(m, x, v, p, o, a=a, b=b):
                t = x * 3
                u = torch.slice_scatter(t, x[:, a:b] * 2, 1, a, b)
                o.append(u)
            steps.append((f"t = x * 3; out slice_scatter(t, x[:, {a}:{b}] * 2, 1, {a}, {b})",
                          last_use))
        elif kind == 14:
            def put_then_read(m, x, v, p, o, c=c):
                t = m.buf * c
                u = torch.index_put(t, (p % 4,), x[:1] + 1)
                o.append(t - u)
            steps.append((f"t = buf * {c}; u = index_put(t, (pos % 4,), x[:1] + 1); out t - u",
                          put_then_read))
        elif kind == 15:
            def narrow_write(m, x, v, p, o):
                i = p.item()  # the KV write at a Python position (narrow + copy_)
                torch._check(i >= 0)
                torch._check(i < 8)
                m.buf.narrow(2, i, 1).copy_(v)
            steps.append(("buf.narrow(2, pos.item(), 1).copy_(v)", narrow_write))
        else:
            steps.append((f"x[:, {i}, pos] = buf[:, {i}, pos] + 1",
                          lambda m, x, v, p, o, i=i: x.__setitem__(
                              (slice(None), i, p), m.buf[:, i, p] + 1)))
    return steps


class Program(torch.nn.Module):
    def __init__(self, steps):
        super().__init__()
        self.register_buffer("buf", torch.randn(4, 6, 8))
        self.steps = steps

    def forward(self, x, v, pos):
        outs = []
        for _, fn in self.steps:
            fn(self, x, v, pos, outs)
        outs.append(self.buf * 1)  # the buffer's value at the end, as an output too
        return tuple(outs)


@pytest.mark.parametrize("seed", range(COUNT))
def test_random_inplace_program(seed):
    rng = random.Random(seed)
    torch.manual_seed(seed)
    steps = _steps(rng)
    strict = seed % 2 == 0
    text = "; ".join(d for d, _ in steps) + f" ({'strict' if strict else 'non-strict'})"
    eager = Program(steps)
    traced = copy.deepcopy(eager)
    x0 = torch.randn(4, 6, 8)
    v = torch.randn(4, 6, 1)
    ep = torch.export.export(traced, (x0.clone(), v, torch.tensor([3])), strict=strict)
    prog = fxir.compile(ep, backend="cpu")
    xe, xf = x0.clone(), x0.clone()
    with torch.no_grad():
        for call in range(3):
            pos = torch.tensor([(seed + call) % 8])
            want = eager(xe, v, pos)
            got = prog(xf, v, pos)
            assert len(got) == len(want), text
            for g, w in zip(got, want):
                torch.testing.assert_close(g, w, rtol=1.3e-6, atol=1e-5,
                                           msg=lambda m: f"{text}, call {call}: {m}")
            torch.testing.assert_close(ep.state_dict["buf"], eager.buf, rtol=1.3e-6,
                                       atol=1e-5, msg=lambda m: f"{text}: buf: {m}")
            torch.testing.assert_close(xf, xe, rtol=1.3e-6, atol=1e-5,
                                       msg=lambda m: f"{text}: x: {m}")


# ---- the cases an independent review found (each was a wrong result or a crash) --------

def test_eval_dropout_is_an_alias_of_its_input():
    # dropout in eval mode returns its input (a Conditional view, unannotated in the
    # schema): a read of it after the update is a read of the base.
    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.drop = torch.nn.Dropout(0.1)

        def forward(self, x, pos, v):
            c = x * 3
            d = self.drop(c)
            k = torch.index_put(c, (pos,), v)
            return k, d.sum(0)

    m = M().eval()
    x, pos, v = torch.arange(12.).view(4, 3), torch.tensor([1]), torch.full((1, 3), -9.)
    for strict in (True, False):
        prog = fxir.compile(torch.export.export(m, (x, pos, v), strict=strict), backend="cpu")
        xc = x.clone()
        with torch.no_grad():
            for g, w in zip(prog(xc, pos, v), m(x, pos, v)):
                torch.testing.assert_close(g, w)
        torch.testing.assert_close(xc, x)  # an input without a mutation output: unwritten


def test_a_result_returned_to_the_caller_is_not_the_input():
    class U(torch.nn.Module):
        def forward(self, x, pos, v):
            y = torch.index_put(x, (pos,), v)  # new memory in eager
            x.index_put_((pos,), v)            # cse makes this the same value as y
            return y

    pos, v = torch.tensor([1]), torch.ones(1, 3)
    for strict in (True, False):
        prog = fxir.compile(torch.export.export(U(), (torch.zeros(4, 3), pos, v), strict=strict),
                            backend="cpu")
        x = torch.zeros(4, 3)
        with torch.no_grad():
            y = prog(x, pos, v)
        y.add_(100)
        torch.testing.assert_close(x[1], torch.ones(3))


def test_scatter_back_through_an_unbind_piece_keeps_its_index():
    class M(torch.nn.Module):
        def forward(self, x, i, v):
            c = x * 1
            rows = c.unbind(0)
            u = torch.index_put(rows[0], (i,), v)
            return torch.select_scatter(c, u, 0, 2)

    args = (torch.arange(12.).view(4, 3), torch.tensor([1]), torch.tensor([-1.]))
    for strict in (True, False):
        prog = fxir.compile(torch.export.export(M(), args, strict=strict), backend="cpu")
        with torch.no_grad():
            torch.testing.assert_close(prog(*args), M()(*args))


def test_a_written_input_that_is_a_weight_is_refused():
    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.ones(3))

        def forward(self, x, pos):
            x.index_put_((pos,), torch.tensor(5.))
            return x + self.w

    ep = torch.export.export(M(), (torch.zeros(3), torch.tensor([1])))
    for backend in ("cpu", "interp"):
        prog = fxir.compile(ep, backend=backend)
        with torch.no_grad(), pytest.raises(fxir.InputError, match="shares memory with one of "
                                                                   "its weights"):
            prog(ep.state_dict["w"], torch.tensor([1]))
    torch.testing.assert_close(ep.state_dict["w"], torch.ones(3))
