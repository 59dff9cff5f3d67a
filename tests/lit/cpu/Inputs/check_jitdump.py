"""check_jitdump.py DIR: prints the kernel symbols (fxir_<key>) of the perf jitdump
files (jit-<pid>.dump) under DIR, one a line, sorted, then how many files there were."""
import re
import sys
from pathlib import Path

files = sorted(Path(sys.argv[1]).rglob("jit-*.dump"))
names = set()
for f in files:
    names.update(m.decode() for m in re.findall(rb"fxir_[0-9a-f]{32}", f.read_bytes()))
for n in sorted(names):
    print("symbol", n)
print("jitdump files:", len(files))
