"""``gradspec verify`` as a user runs it: exit codes, one-line errors, reports that parse."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET


def gradspec(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gradspec.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _one_line_error(p: subprocess.CompletedProcess) -> None:
    assert p.returncode == 2, p
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gradspec: error:"), p.stderr
    assert "Traceback" not in p.stderr


def test_unknown_backend_profile_group_and_bad_report_path():
    _one_line_error(gradspec("verify", "--backend", "tensorflow"))
    _one_line_error(gradspec("verify", "--profile", "slow"))
    _one_line_error(gradspec("verify", "--only", "everything"))
    _one_line_error(gradspec("verify", "--json", "/nonexistent/dir/r.json"))
    _one_line_error(gradspec("verify", "--junitxml", "/proc/r.xml"))


def test_gpu_without_gpu_names_the_devices():
    p = gradspec("verify", "--backend", "jax:gpu")
    _one_line_error(p)
    assert "cpu" in p.stderr


def test_quick_verify_passes_and_writes_reports(tmp_path):
    js, xml = tmp_path / "r.json", tmp_path / "r.xml"
    p = gradspec(
        "verify",
        "--backend",
        "numpy",
        "--profile",
        "quick",
        "--only",
        "costs",
        "--json",
        str(js),
        "--junitxml",
        str(xml),
    )
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    assert "numpy: PASS" in p.stdout
    data = json.loads(js.read_text())
    (impl,) = data["implementations"]
    assert data["verdict"] == "pass" and impl["counts"]["fail"] == 0
    assert len(impl["results"]) > 50
    assert all(r["status"] == "pass" for r in impl["results"])
    root = ET.parse(xml).getroot()
    cases = root.findall(".//testcase")
    assert len(cases) == len(impl["results"])
    assert root.find(".//failure") is None


def test_backends_in_parallel_processes_give_the_same_report(tmp_path):
    runs = {}
    for jobs in ("1", "2"):
        js = tmp_path / f"j{jobs}.json"
        p = gradspec(
            "verify", "--backend", "numpy,jax", "--profile", "quick", "--only", "costs",
            "-j", jobs, "--json", str(js),
        )  # fmt: skip
        assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
        assert ("in 2 processes" in p.stderr) == (jobs == "2")
        data = json.loads(js.read_text())
        runs[jobs] = {
            (impl["implementation"], r["id"]): (r["status"], r["examples"])
            for impl in data["implementations"]
            for r in impl["results"]
        }
    assert runs["1"] == runs["2"]
    assert {impl for impl, _ in runs["2"]} == {"numpy", "jax"}
    _one_line_error(gradspec("verify", "--backend", "numpy,jax:gpu", "-j", "2"))
    _one_line_error(gradspec("verify", "-j", "0"))
