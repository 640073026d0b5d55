"""The one runner and its options: the same run behind every front door, xfail files with
'*' in verify, check and the API, xfail reported as xfail in JSON and JUnit, in-process code."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import gradspec
import gradspec.reference as R
from gradspec.conformance import runner, xfail
from gradspec.conformance.options import GROUPS, Options
from gradspec.conformance.report import write_json, write_junit
from gradspec.conformance.targets.builtins import builtin
from gradspec.conformance.targets.target import in_process
from gradspec.errors import UsageError

ROOT = Path(__file__).resolve().parents[1]
CAT = ROOT / "examples" / "candidates"


def gradspec_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gradspec.cli", *args],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("pattern", "label", "check_id", "hit"),
    [
        ("derivative[sigmoid:*]", "x.py", "derivative[sigmoid:float32]", True),
        ("derivative[sigmoid:*]", "x.py", "derivative_numeric[sigmoid:float32]", False),
        ("derivative*[sigmoid:*]", "x.py", "derivative_numeric[sigmoid:float32]", True),
        ("*[gelu:float32]", "x.py", "value[gelu:float32]", True),
        ("*[gelu:float32]", "x.py", "value[gelu:float64]", False),
        ("bug_*.py::value[*]", "bug_a.py", "value[tanh:float64]", True),
        ("bug_*.py::value[*]", "good_a.py", "value[tanh:float64]", False),
        ("value[t]", "x.py", "value[tanh:float64]", False),  # brackets are literal
    ],
)
def test_xfail_patterns(pattern: str, label: str, check_id: str, hit: bool, tmp_path: Path):
    f = tmp_path / "xf.txt"
    f.write_text(f"# comment\n{pattern}  # why\n")
    (entry,) = xfail.read_xfail_file(str(f))
    assert entry.matches(label, check_id) is hit


def test_options_are_validated_once() -> None:
    assert Options.make().only == GROUPS and Options.make().profile == "ci"
    for kw, word in (
        ({"profile": "fast"}, "profile"),
        ({"only": "pair"}, "group"),
        ({"dtypes": ["float8"]}, "dtype"),
        ({"timeout": 0}, "timeout"),
    ):
        with pytest.raises(UsageError, match=word):
            Options.make(**kw)


def _tanh_wrong_der(z):
    return 1 - np.tanh(z)  # tanh' written as 1 - a


def test_in_process_code_and_xfail_status_in_json_and_junit(tmp_path: Path) -> None:
    code = {"tanh": R.tanh, "tanh_der": _tanh_wrong_der}
    xf = _write(tmp_path, "derivative*[tanh:*]\nextremes[tanh:*]\n")
    entries = tuple(xfail.read_xfail_file(xf))
    opts = Options.make(profile="quick", dtypes=["float64"], xfails=entries)
    rep = runner.run(in_process(code, "mine"), opts)
    status = {r.id: r.status for r in rep.results}
    assert status["derivative[tanh:float64]"] == "xfail"
    assert status["derivative_numeric[tanh:float64]"] == "xfail"
    assert status["value[tanh:float64]"] == "pass"
    assert rep.ok and rep.xfailed and rep.counts()["xfail"] == 3
    # the diagnosis still names the mistake of an expected failure
    d = next(r for r in rep.results if r.id == "derivative[tanh:float64]").diagnosis
    assert any(x.startswith("tanh_der_one_minus_a") for x in d), d
    write_json([rep], str(tmp_path / "r.json"))
    write_junit([rep], str(tmp_path / "r.xml"))
    data = json.loads((tmp_path / "r.json").read_text())
    js = {r["id"]: r["status"] for r in data["implementations"][0]["results"]}
    assert js["derivative[tanh:float64]"] == "xfail"
    cases = ET.parse(tmp_path / "r.xml").getroot().iter("testcase")
    by = {c.get("name"): c for c in cases}
    skipped = by["derivative[tanh:float64]"].find("skipped")
    assert skipped is not None and skipped.get("type") == "xfail"
    # the Python API takes the same code, and without the xfail file it fails
    rep2 = gradspec.check(code, profile="quick", dtypes="float64")
    assert not rep2.ok and "derivative[tanh:float64]" in {r.id for r in rep2.failed}


def _write(tmp_path: Path, text: str) -> str:
    f = tmp_path / "xfail.txt"
    f.write_text(text)
    return str(f)


def test_results_carry_the_planned_ids() -> None:
    """Every result's id is the id of the check planned for it, in the planned order."""
    target = builtin("numpy")
    opts = Options.make(profile="quick", dtypes=["float32"], only=["costs", "network"])
    planned = [pc.id for pc in runner.plan(target, opts)]
    rep = runner.run(target, opts)
    assert [r.id for r in rep.results] == planned
    assert len(set(planned)) == len(planned)


def test_verify_takes_an_xfail_file(tmp_path: Path) -> None:
    xf = _write(tmp_path, "numpy::value[*:float64]\nnever[matches:float64]\n")
    out = tmp_path / "v.json"
    p = gradspec_cli(
        "verify", "--backend", "numpy", "--only", "costs", "--dtype", "float64",
        "--profile", "quick", "--xfail-file", xf, "--json", str(out),
    )  # fmt: skip
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    assert "value[half_squared:float64] passed unexpectedly (XPASS)" in p.stderr
    assert "'never[matches:float64]' matches no check" in p.stderr
    p = gradspec_cli("verify", "--backend", "numpy", "--xfail-file", str(tmp_path / "none"))
    assert p.returncode == 2 and "no such xfail file" in p.stderr


def test_check_checks_a_candidates_delta(tmp_path: Path) -> None:
    """A candidate's delta is checked (group pairs), as the built-ins' is."""
    cand = tmp_path / "deltas.py"
    cand.write_text(
        "from gradspec.reference import delta as _delta\n\n"
        "def delta(activation, cost, z, y):\n"
        "    d = _delta(activation, cost, z, y)\n"
        "    return 2 * d if (activation, cost) == ('tanh', 'half_squared') else d\n"
    )
    out = tmp_path / "c.json"
    p = gradspec_cli(
        "check", str(cand), "--only", "pairs", "--dtype", "float64", "--profile", "quick",
        "--json", str(out),
    )  # fmt: skip
    assert p.returncode == 1, p.stdout[-2000:] + p.stderr[-2000:]
    res = {
        r["id"]: r["status"] for r in json.loads(out.read_text())["implementations"][0]["results"]
    }
    assert res["composed[tanh+half_squared:float64]"] == "fail"
    assert res["composed[sigmoid+log_loss:float64]"] == "pass"
