"""The pytest plugin from a separate throwaway project: ``python -m pytest --gradspec``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_pytest(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=project, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_plugin_items_and_fixture(tmp_path: Path) -> None:
    (tmp_path / "my_costs.py").write_text(
        (ROOT / "examples" / "candidates" / "bug_cost_sign.py").read_text()
    )
    (tmp_path / "good.py").write_text(
        (ROOT / "examples" / "candidates" / "good_costs_none.py").read_text()
    )
    (tmp_path / "test_mine.py").write_text(
        "def test_good(gradspec_check):\n"
        "    rep = gradspec_check('good.py', only='costs', dtypes=['float64'])\n"
        "    assert rep.ok, rep.summary_line()\n"
    )
    p = run_pytest(tmp_path, "--gradspec", "my_costs.py", "--gradspec-only", "costs")
    out = p.stdout
    assert p.returncode == 1, out
    assert "gradspec::my_costs.py::derivative[half_squared:float64]" in out
    assert "diagnosis: sign_flipped" in out
    assert "test_mine.py::test_good PASSED" in out or "passed" in out.splitlines()[-1]
    p = run_pytest(tmp_path, "--gradspec", "missing.py")
    assert p.returncode == 1 and "no such file" in p.stdout


def test_plugin_warning_passes_carrying_its_message(tmp_path: Path) -> None:
    """A warned check is a passing item with a GradspecWarning (and JUnit properties);
    --gradspec-strict fails it."""
    (tmp_path / "textbook.py").write_text(
        (ROOT / "examples" / "candidates" / "good_sigmoid_textbook.py").read_text()
    )
    junit = tmp_path / "out.xml"
    args = ["--gradspec", "textbook.py", "--gradspec-only", "activations"]
    p = run_pytest(tmp_path, *args, f"--junitxml={junit}", "-rA")
    assert p.returncode == 0, p.stdout
    assert "GradspecWarning" in p.stdout and "overflow" in p.stdout
    assert 'name="gradspec_status" value="warn"' in junit.read_text()
    p = run_pytest(tmp_path, *args, "--gradspec-strict")
    assert p.returncode == 1, p.stdout
    assert "warn (--gradspec-strict)" in p.stdout


COUNTING = """
import os
import numpy as np

COST = "half_squared"
LOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "calls.log")


def _note(name):
    with open(LOG, "a") as fh:
        fh.write(name + "\\n")


def cost(a, y):
    _note("cost")
    return 0.5 * (a - y) ** 2


def dcost(a, y):
    _note("dcost")
    return -(a - y)  # sign flipped: every derivative check fails
"""


def test_plugin_items_are_lazy_and_xfail_patterns_apply(tmp_path: Path) -> None:
    """Collecting plans without checking: -k runs only the selected checks (the candidate's
    derivative is never called), and an xfail file with '*' turns failures into xfails."""
    (tmp_path / "counting.py").write_text(COUNTING)
    log = tmp_path / "calls.log"
    base = ["--gradspec", "counting.py", "--gradspec-dtype", "float64", "--gradspec-profile",
            "quick"]  # fmt: skip
    p = run_pytest(tmp_path, *base, "--collect-only")
    assert p.returncode == 0, p.stdout
    assert "derivative[half_squared:float64]" in p.stdout
    assert not log.exists() or "dcost" not in log.read_text()
    p = run_pytest(tmp_path, *base, "-k", "value and not numeric")
    assert p.returncode == 0, p.stdout
    assert "1 passed" in p.stdout, p.stdout
    assert "dcost" not in log.read_text()
    xf = tmp_path / "xfail.txt"
    xf.write_text("counting.py::derivative*[half_squared:*]\nextremes[*]\n")
    p = run_pytest(tmp_path, *base, "--gradspec-xfail-file", str(xf), "-rx")
    assert p.returncode == 0, p.stdout
    assert "3 xfailed" in p.stdout, p.stdout
    assert "XFAIL" in p.stdout and "expected failure (xfail file line 1)" in p.stdout
