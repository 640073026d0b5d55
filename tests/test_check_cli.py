"""``gradspec check`` end to end: forum example, exit codes, -j, xfail files, reports."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EX = ROOT / "examples"
CAT = EX / "candidates"


def gradspec(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gradspec.cli", "check", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )


def test_forum_buggy_rejected_with_diagnosis(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    junit = tmp_path / "r.xml"
    p = gradspec(
        str(EX / "forum_xor_buggy.py"), "--profile", "quick", "--only", "network",
        "--json", str(out), "--junitxml", str(junit),
    )  # fmt: skip
    assert p.returncode == 1, p.stderr
    assert "error_as_derivative" in p.stdout
    data = json.loads(out.read_text())
    assert data["verdict"] == "fail"
    diags = [d for r in data["implementations"][0]["results"] for d in r["diagnosis"]]
    assert any(d.startswith("error_as_derivative") for d in diags)
    suites = ET.parse(junit).getroot()
    assert suites.find("testsuite").find("testcase/failure") is not None


def test_forum_fixed_accepted() -> None:
    p = gradspec(str(EX / "forum_xor_fixed.py"), "--profile", "quick")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "PASS" in p.stdout


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (None, "no such file"),
        ("def sigmoid(z):\n    return 1 +\n", "SyntaxError"),
        ("import numpy as np\n\ndef helper(x):\n    return x\n", "nothing checkable"),
    ],
)
def test_bad_targets_exit_2_one_line(tmp_path: Path, content: str | None, needle: str) -> None:
    path = tmp_path / "cand.py"
    if content is not None:
        path.write_text(content)
    p = gradspec(str(path), "--profile", "quick")
    assert p.returncode == 2
    lines = [x for x in p.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and needle in lines[0], p.stderr


def test_bad_option_exit_2() -> None:
    p = gradspec(str(EX / "forum_xor_fixed.py"), "--only", "everything")
    assert p.returncode == 2 and "unknown group" in p.stderr


def test_many_with_a_broken_one(tmp_path: Path) -> None:
    folder = tmp_path / "subs"
    folder.mkdir()
    (folder / "broken.py").write_text("def broken(:\n")
    for name in ("good_costs_none.py", "bug_cost_sign.py"):
        (folder / name).write_text((CAT / name).read_text())
    out = tmp_path / "all.json"
    p = gradspec(str(folder), "-j", "2", "--profile", "quick", "--json", str(out))
    assert p.returncode == 1, p.stdout + p.stderr
    data = json.loads(out.read_text())
    by = {r["implementation"]: r for r in data["implementations"]}
    assert len(by) == 3
    assert by["good_costs_none.py"]["verdict"] == "pass"
    assert by["bug_cost_sign.py"]["verdict"] == "fail"
    assert any("SyntaxError" in r["error"] for r in by.values())
    assert "sign_flipped" in p.stdout and "1 of 3 candidates pass" in p.stdout


def test_xfail_file(tmp_path: Path) -> None:
    failing = [
        f"{check}[half_squared:{dt}]"
        for check in ("derivative", "derivative_numeric", "extremes")
        for dt in ("float64", "float32")
    ]
    xf = tmp_path / "xfail.txt"
    xf.write_text(
        "# known failures\n"
        + "\n".join(failing[:-1])
        + f"\nbug_cost_factor2_extra.py::{failing[-1]}\n"
        + "value[half_squared:float64]   # passes: reported as XPASS\n"
        + "nonexistent[foo:float64]\n"
    )
    cand = str(CAT / "bug_cost_factor2_extra.py")
    p = gradspec(cand, "--profile", "quick", "--xfail-file", str(xf))
    assert p.returncode == 0, p.stdout[-3000:]
    assert "value[half_squared:float64] passed unexpectedly (XPASS)" in p.stderr
    assert "'nonexistent[foo:float64]' matches no check" in p.stderr
    xf.write_text("\n".join(failing[:2]) + "\n")  # not all listed: still a failure
    p = gradspec(cand, "--profile", "quick", "--only", "costs", "--xfail-file", str(xf))
    assert p.returncode == 1
