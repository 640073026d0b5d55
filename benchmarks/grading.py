"""Grading throughput: candidates per minute of ``gradspec check DIR`` at ``-j 1``, ``-j 2`` and
on a 2-worker Dask LocalCluster (``--scheduler local:2``), on the same mixed submissions.

The submissions are copies of the candidate catalog (correct and buggy files, NumPy and
torch alike, in catalog order, cycled to the count asked for) plus one hostile file
(hangs, exits, segfaults), so the mix costs what a course's folder costs: some candidates
pass quickly, buggy ones are shrunk to a minimal counterexample, a hostile one waits out its
timeouts.  Each mode runs as a subprocess, as a user runs it; the three combined reports
must agree verdict for verdict, or the row says where they differ.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ._timing import single

CATALOG = Path(__file__).resolve().parents[1] / "examples" / "candidates"

HOSTILE = """\
import ctypes, os

def sigmoid(z):
    while True:
        pass

def tanh(z):
    os._exit(3)

def relu(z):
    return ctypes.string_at(0)
"""

MODES = (("-j 1", ["-j", "1"]), ("-j 2", ["-j", "2"]), ("local:2", ["--scheduler", "local:2"]))


def submissions(folder: Path, n: int) -> list[Path]:
    """``n`` candidate files in ``folder``: one hostile, the rest catalog files cycled."""
    files = sorted(CATALOG.glob("*.py"))
    out = [folder / "sub000_hostile.py"]
    out[0].write_text(HOSTILE)
    for i in range(1, n):
        src = files[(i - 1) % len(files)]
        dst = folder / f"sub{i:03d}_{src.name}"
        shutil.copyfile(src, dst)
        out.append(dst)
    return out


def _verdicts(path: Path) -> dict[str, str]:
    data = json.loads(path.read_text())
    return {r["implementation"]: r["verdict"] for r in data["implementations"]}


def grading(n: int = 100, profile: str = "quick", timeout: float = 3600.0) -> list[dict]:
    """One row per mode: wall seconds, candidates per minute, and agreement with ``-j 1``."""
    rows: list[dict] = []
    tmp = Path(tempfile.mkdtemp(prefix="gradspec-grading-"))
    try:
        folder = tmp / "submissions"
        folder.mkdir()
        submissions(folder, n)
        first: dict[str, str] | None = None
        for label, flags in MODES:
            out = tmp / f"{label.replace(' ', '').replace(':', '')}.json"
            cmd = [sys.executable, "-m", "gradspec.cli", "check", str(folder), "--profile",
                   profile, "--timeout", "2", "--json", str(out), *flags]  # fmt: skip
            load = os.getloadavg()[0]
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
            wall = time.perf_counter() - t0
            verdicts = _verdicts(out) if out.exists() else {}
            first = verdicts if first is None else first
            differ = sorted(k for k in first if verdicts.get(k) != first[k])
            rows.append(
                {
                    "section": "grading",
                    "name": f"gradspec check DIR {label}",
                    "size": f"{n} candidates, --profile {profile}",
                    "candidates": len(verdicts),
                    "exit_code": proc.returncode,
                    "loadavg_before": round(load, 2),
                    "per_minute": round(60.0 * len(verdicts) / wall, 1) if wall else None,
                    "verdicts_differ_from_j1": differ,
                    "note": f"{60.0 * len(verdicts) / wall:.1f} candidates/min, load {load:.1f}"
                    + (f"; {len(differ)} verdicts differ from -j 1" if differ else ""),
                    "stat": single(wall).as_dict(),
                }
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return rows
