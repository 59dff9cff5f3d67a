"""Checks that fxir's operator schema table covers every operator in the export corpus.

Walks every graph (nested HOP subgraphs included) of every .pt2 archive under CORPUS_DIR
and looks each `torch.ops.<ns>.<op>.<overload>` target up in TABLE. Higher-order ops
(torch.ops.higher_order.*) are not dispatcher operators and are counted apart; Python
operator targets (_operator.*, math.*, torch.sym_*) are listed too.

usage: check_schema_covers_corpus.py TABLE CORPUS_DIR
Prints `schema coverage: N passed, M failed` (N operators found, M missing) and exits 1
when an operator is missing or no archive was found.
"""
import collections
import json
import pathlib
import sys
import zipfile


def graphs(graph):
    yield graph
    for node in graph["nodes"]:
        for inp in node["inputs"]:
            arg = inp["arg"]
            if "as_graph" in arg:
                yield from graphs(arg["as_graph"]["graph"])


def main():
    table_path, corpus = sys.argv[1], pathlib.Path(sys.argv[2])
    table = set()
    for line in open(table_path, encoding="utf-8"):
        if line.startswith("#") or not line.strip():
            continue
        table.add(line.split("(", 1)[0])
    archives = sorted(corpus.rglob("*.pt2"))
    if not archives:
        print(f"no .pt2 archives under {corpus}")
        print("schema coverage: 0 passed, 1 failed")
        return 1
    found, missing = collections.Counter(), collections.defaultdict(set)
    other = collections.Counter()
    for path in archives:
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if "/models/" not in name or not name.endswith(".json"):
                    continue
                program = json.loads(z.read(name))
                for g in graphs(program["graph_module"]["graph"]):
                    for node in g["nodes"]:
                        target = node["target"]
                        if not target.startswith("torch.ops.") or ".higher_order." in target:
                            other[target] += 1
                            continue
                        ns, op, overload = target[len("torch.ops."):].split(".")
                        key = f"{ns}::{op}" + ("" if overload == "default" else f".{overload}")
                        if key in table:
                            found[key] += 1
                        else:
                            missing[key].add(path.name)
    print(f"{len(archives)} archives; {len(found)} distinct operators in the table; "
          f"{len(other)} other targets: {', '.join(sorted(other))}")
    for key, where in sorted(missing.items()):
        print(f"MISSING from the schema table: {key} (in {', '.join(sorted(where)[:3])})")
    print(f"schema coverage: {len(found)} passed, {len(missing)} failed")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
