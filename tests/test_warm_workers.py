"""Workers forked from the warm server: the server's children, set up as a cold worker is,
used only where a fork cannot change what the candidate sees, and never needed: a dead or
idle server costs the next worker a cold start, nothing else.  (tests/test_isolation.py runs
every hostile candidate both ways.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from procs import gone

from gradspec.conformance.targets import warm
from gradspec.conformance.targets.isolation import CandidateProcess, worker_env

PROBE = textwrap.dedent(
    """
    import os, sys
    import numpy as np

    def parent(z):
        return os.getppid()

    def seen(z):
        own_group = os.getpgrp() == os.getpid()
        return [os.getcwd(), sys.path[:2], os.getenv("GRADSPEC_PROBE"), sys.stdin.read(), own_group]

    def draw(z):
        return float(np.random.rand())

    def kill_parent(z):
        os.kill(os.getppid(), 9)
        return 0
    """
)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    monkeypatch.setenv(warm.ENV, "120")
    monkeypatch.setenv("GRADSPEC_PROBE", "probe value")
    warm.enable()
    env = worker_env()
    try:
        pid = warm.ready(env, timeout=60)
        assert pid is not None
        yield pid
    finally:
        warm.stop(env)
        warm.enable(False)


@pytest.fixture
def probe(tmp_path: Path) -> Path:
    (tmp_path / "probe.py").write_text(PROBE)
    return tmp_path / "probe.py"


def test_a_forked_worker_is_the_servers_child_and_sees_what_a_cold_one_sees(
    server: int, probe: Path
) -> None:
    with CandidateProcess(str(probe), timeout=10) as cand:
        assert cand.call("parent", 0) == server
        warm_seen = cand.call("seen", 0)
        first = cand.call("draw", 0)
    with CandidateProcess(str(probe), timeout=10) as cand:
        assert cand.call("draw", 0) != first  # a fresh seed per worker, as per process
    warm.enable(False)
    with CandidateProcess(str(probe), timeout=10) as cand:
        assert cand.call("parent", 0) == os.getpid()
        cold_seen = cand.call("seen", 0)
    # the same folder, path, environment, stdin and own process group (the server's torch
    # and jax imports are the one difference: only a file that never sets its environment
    # runs there)
    assert warm_seen == cold_seen
    assert warm_seen[2] == "probe value" and warm_seen[3] == "" and warm_seen[4] is True


def test_a_file_that_sets_its_environment_runs_cold(server: int, tmp_path: Path) -> None:
    path = tmp_path / "sets_env.py"
    path.write_text(PROBE + '\nos.environ.setdefault("JAX_ENABLE_X64", "1")\n')
    with CandidateProcess(str(path), timeout=10) as cand:
        assert cand.call("parent", 0) == os.getpid()


def test_a_killed_server_costs_the_next_worker_a_cold_start(server: int, probe: Path) -> None:
    with CandidateProcess(str(probe), timeout=10) as cand:
        assert cand.call("kill_parent", 0) == 0
        deadline = time.monotonic() + 10
        while not gone(server) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert gone(server)
        assert cand.call("draw", 0) >= 0  # the worker lives on
        worker = cand.pid
    assert worker is not None and gone(worker)  # and is still killed at close
    with CandidateProcess(str(probe), timeout=10) as cand:
        assert cand.call("parent", 0) == os.getpid()
    assert warm.ready(worker_env(), timeout=60) not in (None, server)  # started again


def test_an_idle_server_exits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(warm.ENV, "1")
    warm.enable()
    try:
        pid = warm.ready(worker_env(), timeout=60)
        assert pid is not None
        deadline = time.monotonic() + 20
        while not gone(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert gone(pid)
    finally:
        warm.enable(False)


def test_switched_off_no_server_is_started(monkeypatch: pytest.MonkeyPatch, probe: Path) -> None:
    monkeypatch.setenv(warm.ENV, "off")
    warm.enable()
    try:
        assert warm.ready(worker_env(), timeout=1) is None
        with CandidateProcess(str(probe), timeout=10) as cand:
            assert cand.call("parent", 0) == os.getpid()
    finally:
        warm.enable(False)


def _check(path: Path, env: dict[str, str], out: Path) -> dict:
    cmd = [sys.executable, "-m", "gradspec.cli", "check", str(path), "--json", str(out)]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 1, p.stdout + p.stderr
    report = json.loads(out.read_text())
    for impl in report["implementations"]:
        impl.pop("seconds", None)
        for r in impl["results"]:
            r.pop("seconds", None)
    return report


def test_check_gives_the_same_report_cold_and_warm(tmp_path: Path) -> None:
    """A buggy torch file checked three times: cold (the run starts the server), maybe cold
    again (the server may still be importing), then forked; the reports agree check for
    check.  Then two copies with ``-j 2``: forked too."""
    name = "bug_fw_torch_sigmoid_backward_factor.py"
    source = Path(__file__).parents[1] / "examples" / "candidates" / name
    path = tmp_path / source.name
    parents = tmp_path / "parents.txt"  # each worker's parent, written at import
    path.write_text(
        source.read_text()
        + f"\nimport os as _os\nwith open({str(parents)!r}, 'a') as _f:\n"
        + "    _f.write(f'{_os.getppid()}\\n')\n"
    )
    env = {**os.environ, warm.ENV: "120", "XDG_CACHE_HOME": str(tmp_path / "cache")}
    reports = [_check(path, env, tmp_path / f"{i}.json") for i in range(2)]
    old = dict(os.environ)
    os.environ.update(env)
    warm.enable()
    try:
        server = warm.ready(worker_env(), timeout=60)
        assert server is not None
        cold = parents.read_text().split()
        reports.append(_check(path, env, tmp_path / "2.json"))
        forked = parents.read_text().split()[len(cold) :]
        # -j: the pool's processes fork their workers from the same server
        folder = tmp_path / "submissions"
        folder.mkdir()
        for i in range(2):
            (folder / f"s{i}.py").write_text(path.read_text())
        before = len(parents.read_text().split())
        cmd = [sys.executable, "-m", "gradspec.cli", "check", str(folder), "-j", "2"]
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
        assert p.returncode == 1, p.stdout + p.stderr
        pooled = parents.read_text().split()[before:]
    finally:
        warm.stop(worker_env())
        warm.enable(False)
        os.environ.clear()
        os.environ.update(old)
    assert str(server) not in cold[:1] and forked and set(forked) == {str(server)}
    assert len(pooled) >= 2 and set(pooled) == {str(server)}
    assert reports[0] == reports[1] == reports[2]
