"""pytest setup for the Python package's tests (run by ctest as `python-package`).

FXIR_CORPUS_DIR: the export corpus (build/tests/corpus/out); the corpus tests skip
without it. The corpus helpers (tests/corpus) are importable as `models`,
`check_corpus`.
"""
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "corpus"))


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    d = os.environ.get("FXIR_CORPUS_DIR")
    if not d or not (Path(d) / "manifest.json").exists():
        pytest.skip("FXIR_CORPUS_DIR is not set to a generated corpus")
    return Path(d)
