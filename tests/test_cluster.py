"""Grading on Dask: ``gradspec check --scheduler``.  A 2-worker LocalCluster on correct, buggy
and hostile candidates gives the same combined report as ``-j 2``; a worker killed in the
middle of a check is retried and the report says so; a task that loses every worker it runs
on is an error row, not a missing one; a copy of a file checked on a worker that cannot see
it reports the user's path; bad scheduler options are one-line usage errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")  # the dask extra, installed by the test command

from gradspec.conformance.cluster import Shipped, check_on_cluster, grade  # noqa: E402
from gradspec.conformance.options import Options  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CAT = ROOT / "examples" / "candidates"

HOSTILE = textwrap.dedent(
    """
    import ctypes, os
    import numpy as np

    def sigmoid(z):
        while True:
            pass

    def tanh(z):
        os._exit(3)

    def relu(z):
        return ctypes.string_at(0)
    """
)

# Slow enough that a worker can be killed while checking it, correct all the same.
SLOW = textwrap.dedent(
    """
    import time
    import numpy as np

    def tanh(z):
        time.sleep(0.05)
        return np.tanh(z)

    def tanh_der(z):
        return 1 - np.tanh(z) ** 2
    """
)

OPTIONS = Options.make(profile="quick", dtypes=["float64"], timeout=2)


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "subs"
    folder.mkdir()
    for name in ("good_costs_none.py", "bug_cost_sign.py", "good_sigmoid_textbook.py"):
        (folder / name).write_text((CAT / name).read_text())
    (folder / "hostile.py").write_text(HOSTILE)
    (folder / "broken.py").write_text("def broken(:\n")
    return folder


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gradspec.cli", "check", *args],
        capture_output=True,
        text=True,
        timeout=600,
    )


def _comparable(path: Path) -> dict:
    """Everything in a combined JSON report but the timings and the machine's pids."""
    data = json.loads(path.read_text())
    out = {"verdict": data["verdict"]}
    for rep in data["implementations"]:
        rep.pop("seconds")
        for r in rep["results"]:
            r.pop("seconds", None)
        out[rep["implementation"]] = rep
    return out


def test_local_cluster_report_equals_the_jobs_report(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    common = ["--profile", "quick", "--dtype", "float64", "--timeout", "2"]
    jobs, cluster = tmp_path / "jobs.json", tmp_path / "cluster.json"
    junit = tmp_path / "cluster.xml"
    p_jobs = _cli(str(folder), "-j", "2", *common, "--json", str(jobs))
    p_cluster = _cli(
        str(folder), "--scheduler", "local:2", *common, "--json", str(cluster),
        "--junitxml", str(junit),
    )  # fmt: skip
    assert p_jobs.returncode == p_cluster.returncode == 1, p_cluster.stderr
    a, b = _comparable(jobs), _comparable(cluster)
    assert a == b
    assert len(a) - 1 == 5
    assert b["hostile.py"]["verdict"] == "fail"
    assert b["bug_cost_sign.py"]["verdict"] == "fail"
    assert b["good_costs_none.py"]["verdict"] in ("pass", "warn")
    assert any("SyntaxError" in r["error"] for k, r in b.items() if k != "verdict")
    reasons = " ".join(r["message"] for r in b["hostile.py"]["results"])
    for reason in ("did not return", "exited with code 3", "SIGSEGV"):
        assert reason in reasons
    assert "2 of 5 candidates pass" in p_cluster.stdout
    assert junit.read_text().count("<testsuite ") == 5


def test_a_file_the_worker_cannot_see_is_sent_and_reported_under_its_own_path(
    tmp_path: Path,
) -> None:
    src = (CAT / "bug_cost_sign.py").read_bytes()
    gone = tmp_path / "not-on-this-worker" / "bug_cost_sign.py"
    shipped = Shipped(str(gone), src, Shipped.of(str(CAT / "bug_cost_sign.py")).digest)
    out = grade(shipped, OPTIONS)
    rep = out["report"]
    assert not rep.error and rep.verdict == "fail"
    assert rep.implementation == "bug_cost_sign.py"
    assert any(f"run next to {gone}" in r.reproducer for r in rep.failed)
    assert not gone.parent.exists()


def _kill_the_worker_running(client, key: str, deadline: float) -> int | None:
    """Wait until ``key`` runs on some worker, then SIGKILL that worker's process."""
    while time.monotonic() < deadline:
        processing = client.processing()
        for addr, keys in processing.items():
            if key in keys:
                pid = client.run(os.getpid, workers=[addr])[addr]
                time.sleep(0.5)  # well inside the check: it takes seconds
                os.kill(pid, signal.SIGKILL)
                return pid
        time.sleep(0.05)
    return None


def _run_killing_once(tmp_path: Path, allowed_failures: int):
    import dask

    path = tmp_path / "slow.py"
    path.write_text(SLOW)
    failures = {"distributed.scheduler.allowed-failures": allowed_failures}
    with (
        dask.config.set(failures),
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, dashboard_address=None, processes=True
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        client.wait_for_workers(2)
        key = f"gradspec-0-{path}"
        killed: list[int | None] = []
        killer = threading.Thread(
            target=lambda: killed.append(
                _kill_the_worker_running(client, key, time.monotonic() + 120)
            )
        )
        killer.start()
        reports, interrupted = check_on_cluster(
            [str(path)], cluster.scheduler_address, options=OPTIONS
        )
        killer.join()
    return reports, interrupted, killed


def test_a_worker_lost_mid_check_is_retried_and_said(tmp_path: Path) -> None:
    reports, interrupted, killed = _run_killing_once(tmp_path, allowed_failures=3)
    assert killed and killed[0] is not None
    assert not interrupted and len(reports) == 1
    rep = reports[0]
    assert not rep.error and rep.verdict in ("pass", "warn")
    assert any("1 worker(s) lost while checking it" in n for n in rep.notes), rep.notes
    assert {r.check for r in rep.results} >= {"value", "derivative", "derivative_numeric"}


def test_a_task_losing_every_worker_is_an_error_row(tmp_path: Path) -> None:
    reports, _, killed = _run_killing_once(tmp_path, allowed_failures=0)
    assert killed and killed[0] is not None
    assert len(reports) == 1 and "lost with every worker" in reports[0].error
    assert reports[0].verdict == "fail"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scheduler", "local:2", "-j", "2"], "exclude each other"),
        (["--scheduler", "nowhere"], "expected tcp://HOST:PORT"),
        (["--scheduler", "local:0"], "at least 1 worker"),
        (["--scheduler", "tcp://127.0.0.1:9"], "cannot reach the Dask scheduler"),
    ],
)
def test_bad_scheduler_options_are_one_line_usage_errors(args: list[str], message: str) -> None:
    p = _cli(str(CAT / "bug_cost_sign.py"), "--profile", "quick", *args)
    assert p.returncode == 2, p.stdout + p.stderr
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and message in lines[0], p.stderr
    assert "Traceback" not in p.stderr
