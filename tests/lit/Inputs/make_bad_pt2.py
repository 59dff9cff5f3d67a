"""Writes broken variants of a real .pt2 archive, one per kind of bad input the reader
must reject with a clear error (tests/lit/pt2/bad-input.test).

usage: make_bad_pt2.py SOURCE.pt2 OUTDIR [--node NAME]

--node names the ATen node the node-against-schema variants edit (default: the first
ATen node). `--node masked_fill__1` on masked_fill.strict.pt2 rebuilds mutant 1170 of
`fxir-pt2-fuzz --seed 5150 --count 50000`: one bit flipped in that node's "outputs"
key, so the node has no results although its schema returns one.

Each variant is the source archive with one thing changed; the archives are rewritten
with Python's zipfile (entries stored). Nothing here is hand-written JSON from scratch.
"""
import json
import os
import sys
import zipfile


def read(src):
    with zipfile.ZipFile(src) as z:
        return [(i.filename, z.read(i.filename)) for i in z.infolist()]


def write(path, entries):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        for name, data in entries:
            z.writestr(name, data)


def edit_json(entries, suffix, fn):
    out = []
    for name, data in entries:
        if name.endswith(suffix):
            obj = json.loads(data)
            fn(obj)
            data = json.dumps(obj).encode()
        out.append((name, data))
    return out


def first_node(obj, pred):
    for node in obj["graph_module"]["graph"]["nodes"]:
        if pred(node):
            return node
    raise SystemExit("no matching node in the source archive")


def node_variants(entries, p, node_name):
    """A node that disagrees with its schema: results and arguments of the wrong count or
    kind are rejected by the reader at that node."""
    def schema_node(o):
        return first_node(o, lambda n: n["target"].startswith("torch.ops.aten.")
                          and (node_name is None or n["name"] == node_name))

    def outputs_flipped(o):  # "outputs" -> "outpuus": bit 1 of 't' (0x74 ^ 0x01 = 'u')
        node = schema_node(o)
        node["outpuus"] = node.pop("outputs")
    write(p("node_outputs_missing"), edit_json(entries, "models/model.json", outputs_flipped))

    def result_kind(o):
        schema_node(o)["outputs"] = [{"as_int": 3}]
    write(p("node_result_kind"), edit_json(entries, "models/model.json", result_kind))

    def arg_kind(o):
        node = schema_node(o)
        for i in node["inputs"]:
            if "as_tensor" in (i["arg"] or {}):
                i["arg"] = {"as_string": "not a tensor"}
                break
    write(p("node_arg_kind"), edit_json(entries, "models/model.json", arg_kind))

    def extra_output(o):
        node = schema_node(o)
        node["outputs"] = node["outputs"] + node["outputs"]
    write(p("node_extra_output"), edit_json(entries, "models/model.json", extra_output))


def main():
    src, out = sys.argv[1], sys.argv[2]
    node_name = sys.argv[sys.argv.index("--node") + 1] if "--node" in sys.argv else None
    os.makedirs(out, exist_ok=True)
    entries = read(src)
    raw = open(src, "rb").read()
    p = lambda name: os.path.join(out, name + ".pt2")
    node_variants(entries, p, node_name)
    if node_name:
        return  # only the variants of that node

    open(p("not_zip"), "w").write('{"graph_module": {}}\n')
    open(p("truncated"), "wb").write(raw[: len(raw) // 2])
    write(p("missing_model_json"), [(n, d) for n, d in entries if not n.endswith("models/model.json")])
    write(p("malformed_json"), [(n, d[: len(d) // 3] if n.endswith("models/model.json") else d)
                                for n, d in entries])

    def schema(o):
        o["schema_version"]["major"] = 99
    write(p("schema_major"), edit_json(entries, "models/model.json", schema))

    def unknown_op(o):
        first_node(o, lambda n: n["target"].startswith("torch.ops.aten."))["target"] = \
            "torch.ops.aten.no_such_op.default"
    write(p("unknown_op"), edit_json(entries, "models/model.json", unknown_op))

    def unsupported_hop(o):
        first_node(o, lambda n: n["target"].startswith("torch.ops.aten."))["target"] = \
            "torch.ops.higher_order.auto_functionalized"
    write(p("unsupported_hop"), edit_json(entries, "models/model.json", unsupported_hop))

    def undefined(o):
        node = first_node(o, lambda n: any("as_tensor" in (i["arg"] or {}) for i in n["inputs"]))
        for i in node["inputs"]:
            if "as_tensor" in (i["arg"] or {}):
                i["arg"]["as_tensor"]["name"] = "no_such_value"
                break
    write(p("undefined_value"), edit_json(entries, "models/model.json", undefined))

    def pickled(o):
        next(iter(o["config"].values()))["use_pickle"] = True
    write(p("pickled"), edit_json(entries, "model_weights_config.json", pickled))

    def too_big(o):
        meta = next(iter(o["config"].values()))["tensor_meta"]
        meta["sizes"][0] = {"as_int": 1000}
    write(p("weight_mismatch"), edit_json(entries, "model_weights_config.json", too_big))

    def absurd(o):
        meta = next(iter(o["config"].values()))["tensor_meta"]
        meta["sizes"] = [{"as_int": 2**62}, {"as_int": 2**62}]
        meta["strides"] = [{"as_int": 2**62}, {"as_int": 1}]
    write(p("absurd_sizes"), edit_json(entries, "model_weights_config.json", absurd))

    def first_meta(o):
        return next(iter(o["config"].values()))["tensor_meta"]

    write(p("zero_byte_weight"), [(n, b"" if n.endswith("data/weights/weight_0") else d)
                                  for n, d in entries])
    write(p("empty_config"), edit_json(entries, "model_weights_config.json",
                                       lambda o: o.__setitem__("config", [])))
    write(p("dtype_mismatch"), edit_json(entries, "model_weights_config.json",
                                         lambda o: first_meta(o).__setitem__("dtype", 6)))
    write(p("sparse_layout"), edit_json(entries, "model_weights_config.json",
                                        lambda o: first_meta(o).__setitem__("layout", 1)))
    write(p("huge_dtype_code"), edit_json(entries, "model_weights_config.json",
                                          lambda o: first_meta(o).__setitem__("dtype", 2**32 + 7)))
    write(p("big_endian"), [(n, b"big\n" if n.endswith("/byteorder") else d) for n, d in entries])

    def spec_name(o):
        o["graph_module"]["signature"]["input_specs"][0]["parameter"]["arg"]["name"] = "p_wrong"
    write(p("spec_name_mismatch"), edit_json(entries, "models/model.json", spec_name))

    def duplicate_arg(o):
        node = first_node(o, lambda n: n["target"].startswith("torch.ops.aten.") and n["inputs"])
        node["inputs"].append(dict(node["inputs"][0]))
    write(p("duplicate_arg"), edit_json(entries, "models/model.json", duplicate_arg))

    # Not bad: the same archive with compressed (deflated) entries must import.
    with zipfile.ZipFile(p("deflated"), "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            z.writestr(name, data)

    def bad_meta(o):
        o["graph_module"]["graph"]["tensor_values"].clear()
    write(p("missing_tensor_meta"), edit_json(entries, "models/model.json", bad_meta))


if __name__ == "__main__":
    main()
