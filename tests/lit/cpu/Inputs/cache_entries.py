"""cache_entries.py DIR: what a compile cache directory holds, one line:
`entries: N, temp: T, bytes: B` (entries are *.fxo files; temp files end .fxo.tmp-*).

cache_entries.py DIR --corrupt: damages every entry, three ways in turn (truncated,
one byte of the object flipped, a wrong magic), and prints how many it damaged.
"""
import sys
from pathlib import Path

d = Path(sys.argv[1])
entries = sorted(d.glob("*.fxo"))
if "--corrupt" in sys.argv:
    for i, p in enumerate(entries):
        data = bytearray(p.read_bytes())
        if i % 3 == 0:
            data = data[: len(data) // 2]
        elif i % 3 == 1:
            data[-10] ^= 0xFF
        else:
            data[0:4] = b"XXXX"
        p.write_bytes(bytes(data))
    print(f"corrupted: {len(entries)}")
else:
    temp = list(d.glob("*.fxo.tmp-*"))
    print(f"entries: {len(entries)}, temp: {len(temp)}, "
          f"bytes: {sum(p.stat().st_size for p in entries)}")
