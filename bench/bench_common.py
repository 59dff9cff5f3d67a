"""What the Python benchmark drivers share (imported from bench/, the scripts' own
directory on sys.path)."""
import platform
from pathlib import Path


def cpu_model() -> str:
    """The CPU's model name, as the tables print it."""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()
