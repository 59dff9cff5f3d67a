"""Prints, for every operator in ir/schemas/op_schemas.txt, what the installed torch's own
schema objects say field by field, in the format of `fxir-opt --dump-op-schema-table`:

  <op> | <arg> kw=<0|1> def=<default or -> w=<0|1> [sets=<before>/<after>] | ... -> <ret> ...

This covers the operators registered from Python too, which a LibTorch-only process
(tests/torch/OpSchemaTableTest.cpp) cannot see. Python's schema objects expose only the
top-level alias annotation, so alias sets are compared for non-list types only.

usage: schema_fields.py TABLE
"""
import sys

import torch
import torch.export  # noqa: F401  (registers the same operators as the generator)


def norm(v):
    if v is None:
        return "None"
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "%.17g" % v
    if isinstance(v, str):
        return "s:" + v.encode().hex()
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(norm(x) for x in v) + "]"
    raise TypeError(f"unexpected default {v!r}")


def field(a, with_default):
    out = f"{a.name} kw={int(a.kwarg_only)} " if with_default else f"{a.name} "
    if with_default:
        out += "def=" + ("-" if not a.has_default_value() else norm(a.default_value)) + " "
    ai = a.alias_info
    out += f"w={int(bool(ai and ai.is_write))}"
    if not str(a.type).startswith("List["):
        before = sorted(ai.before_set) if ai else []
        after = sorted(ai.after_set) if ai else []
        out += f" sets={','.join(before)}/{','.join(after)}"
    return out


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            full = line.split("(", 1)[0]
            name, _, overload = full.partition(".")
            s = torch._C._get_schema(name, overload)
            parts = [full] + [field(a, True) for a in s.arguments]
            rets = [field(r, False) for r in s.returns]
            print(" | ".join(parts) + " ->" + "".join((" | " if i else " ") + r
                                                      for i, r in enumerate(rets)))


if __name__ == "__main__":
    main()
