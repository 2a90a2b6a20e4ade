"""Helpers shared by the benchmark scripts."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REFERENCE = SHARED / "bench" / "ref_char_lstm.py"
sys.path.insert(0, str(REPO))


def isolate_user_dirs() -> Path:
    """Point platformdirs at a fresh temp folder so benchmarks never touch user data."""
    root = Path(tempfile.mkdtemp(prefix="lstmwriter-bench-"))
    for var in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"):
        os.environ[var] = str(root / var.lower())
    return root


def run_reference(*args: str) -> list[dict]:
    """Run the plain-PyTorch reference trainer; its JSON lines."""
    out = subprocess.run([sys.executable, str(REFERENCE), "--json", *args],
                         capture_output=True, text=True, check=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def median(values):
    return statistics.median(values)
