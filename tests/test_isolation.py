"""The isolation layer: hostile candidates fail cleanly and never disturb the parent."""

from __future__ import annotations

import os
import pickle
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from procs import gone

from gradspec.conformance.targets import isolation, warm
from gradspec.conformance.targets.isolation import (
    CallResult,
    CandidateBadResult,
    CandidateCrashed,
    CandidateError,
    CandidateFailure,
    CandidateProcess,
    CandidateTimeout,
    LoadError,
    worker_env,
)

HOSTILE = Path(__file__).parent / "candidates" / "hostile"
Z = np.linspace(-3.0, 3.0, 64)


@pytest.fixture(scope="module", params=["cold", "warm"], autouse=True)
def start(request: pytest.FixtureRequest) -> object:
    """Every test with workers started cold, then forked from a warm server."""
    if request.param == "cold":
        yield None
        return
    patch = pytest.MonkeyPatch()
    patch.setenv(warm.ENV, "300")
    warm.enable()
    env = worker_env()
    try:
        pid = warm.ready(env, timeout=60)
        assert pid is not None, "the warm server did not start"
        yield pid
    finally:
        warm.stop(env)
        warm.enable(False)
        patch.undo()


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


@pytest.fixture
def good(tmp_path: Path) -> Path:
    (tmp_path / "helper.py").write_text("SCALE = 1.0\n")
    path = tmp_path / "my_nn.py"
    path.write_text(
        textwrap.dedent(
            """
            import os
            import numpy as np
            from helper import SCALE

            COST = "half_squared"
            ARCH = {"sizes": [2, 3, 1], "bias": True}
            _private = 1

            def sigmoid(z):
                return SCALE / (1.0 + np.exp(-z))

            def cwd(z):
                return os.getcwd()

            def params(z):
                return {"W0": np.ones((2, 3)), "b0": [np.zeros(3), 1.5], "n": np.int64(3)}

            def fails(z):
                return helper_fail(z)

            def helper_fail(z):
                raise ValueError("bad shape " + str(z.shape))
            """
        )
    )
    return path


def hostile(name: str, timeout: float = 2.0) -> CandidateProcess:
    return CandidateProcess(str(HOSTILE / f"{name}.py"), timeout=timeout)


def assert_usable(cand: CandidateProcess) -> None:
    """After a failure the process keeps working (the module has ``sigmoid`` or not)."""
    assert cand.load()


def test_normal_candidate(good: Path) -> None:
    with CandidateProcess(str(good), timeout=5) as cand:
        names = cand.load()
        assert names["sigmoid"] == "function"
        assert names["COST"] == "half_squared"
        assert names["ARCH"] == {"sizes": [2, 3, 1], "bias": True}
        assert "_private" not in names and "np" not in names
        out = cand.call("sigmoid", Z)
        np.testing.assert_allclose(out, sigmoid(Z), rtol=1e-15)
        assert isinstance(out, np.ndarray) and out.dtype == np.float64
        assert cand.call("cwd", 0) == str(good.parent)
        p = cand.call("params", 0)
        np.testing.assert_array_equal(p["W0"], np.ones((2, 3)))
        assert p["b0"][1] == 1.5 and p["n"] == 3
        pid = cand.pid
        assert pid is not None and not gone(pid)
    assert gone(pid)


def test_candidate_exception_names_frame(good: Path) -> None:
    with CandidateProcess(str(good), timeout=5) as cand:
        with pytest.raises(CandidateError) as info:
            cand.call("fails", Z)
        err = info.value
        assert err.exc_type == "ValueError" and err.message == "bad shape (64,)"
        assert err.where.startswith("my_nn.py:") and "in helper_fail" in err.where
        assert "\n" not in err.reason and "ValueError: bad shape (64,)" in err.reason
        np.testing.assert_allclose(cand.call("sigmoid", Z), sigmoid(Z))
        with pytest.raises(CandidateError, match="no callable 'missing'"):
            cand.call("missing", Z)
        pid = cand.pid
        with pytest.raises((TypeError, AttributeError, pickle.PicklingError)):
            cand.call("sigmoid", lambda: 0)  # the caller's mistake: the worker is kept
        assert cand.pid == pid


def test_call_many_is_the_calls_one_by_one(good: Path) -> None:
    zs = [Z, Z[:5], -Z]
    with CandidateProcess(str(good), timeout=5) as cand:
        many = cand.call_many("sigmoid", [(z,) for z in zs], return_args=True)
        assert [type(r) for r in many] == [CallResult] * 3
        for z, r in zip(zs, many, strict=True):
            np.testing.assert_array_equal(r.value, cand.call("sigmoid", z))
            np.testing.assert_array_equal(r.args[0], z)
        assert cand.call_many("sigmoid", []) == []


def test_call_many_stops_at_the_first_failure(good: Path) -> None:
    with CandidateProcess(str(good), timeout=5) as cand:
        cand.load()
        pid = cand.pid
        # a raising call is the batch's failure, and the worker is kept
        with pytest.raises(CandidateError, match="bad shape"):
            cand.call_many("fails", [(Z,), (Z,), (Z,)])
        with pytest.raises(CandidateError, match="raised TypeError: bad operand"):
            cand.call_many("sigmoid", [(Z,), ("text",), (Z,)])
        assert cand.pid == pid
        np.testing.assert_allclose(cand.call_many("sigmoid", [(Z,)])[0], sigmoid(Z))


@pytest.mark.parametrize("name", ["infinite_loop", "segfault"])
def test_call_many_times_each_call_and_survives_a_dead_worker(name: str) -> None:
    with hostile(name, timeout=5) as cand:
        cand.load()
        first = cand.pid
        t0 = time.monotonic()
        with pytest.raises((CandidateTimeout, CandidateCrashed)):
            cand.call_many("sigmoid", [(Z,)] * 20, timeout=0.5)
        assert time.monotonic() - t0 < 3  # one call's limit, not 20
        assert cand.pid is None and gone(first)
        assert_usable(cand)


def test_raises_value_error() -> None:
    with hostile("raises_value_error") as cand:
        for _ in range(2):
            with pytest.raises(CandidateError) as info:
                cand.call("sigmoid", Z)
            assert info.value.exc_type == "ValueError"
            assert "raises_value_error.py:5 in sigmoid" in info.value.reason


@pytest.mark.parametrize("name", ["infinite_loop", "ignores_sigterm"])
def test_timeout_kills_and_restarts(name: str) -> None:
    with hostile(name, timeout=5) as cand:
        cand.load()
        first = cand.pid
        t0 = time.monotonic()
        with pytest.raises(CandidateTimeout) as info:
            cand.call("sigmoid", Z, timeout=0.5)
        assert time.monotonic() - t0 < 3
        assert info.value.timeout == 0.5 and "within 0.5 s" in info.value.reason
        assert cand.pid is None and gone(first)
        assert_usable(cand)  # a fresh worker re-imports the candidate
        assert cand.pid not in (None, first)


def test_reads_stdin_gets_eof() -> None:
    with hostile("reads_stdin") as cand:
        assert cand.call("sigmoid", Z) == 0
        with pytest.raises(CandidateError) as info:
            cand.call("ask", Z)
        assert info.value.exc_type == "EOFError"


@pytest.mark.parametrize(
    ("name", "expect"),
    [("sys_exit", "sys.exit(0)"), ("os_exit", "exited with code 0"), ("segfault", "SIGSEGV")],
)
def test_worker_death_is_crash(name: str, expect: str) -> None:
    with hostile(name) as cand:
        cand.load()
        pid = cand.pid
        with pytest.raises(CandidateCrashed) as info:
            cand.call("sigmoid", Z)
        err = info.value
        assert expect in err.reason and "\n" not in err.reason
        assert err.exit_code == (-11 if name == "segfault" else 0)
        if name == "segfault":
            assert err.signal == "SIGSEGV"
            assert "segfault.py:7 in sigmoid" in err.reason  # from the faulthandler dump
        assert gone(pid)
        with pytest.raises(CandidateCrashed):  # restarted, and fails the same way again
            cand.call("sigmoid", Z)


def test_infinite_recursion() -> None:
    with hostile("recursion") as cand:
        with pytest.raises(CandidateFailure) as info:
            cand.call("sigmoid", Z)
        if isinstance(info.value, CandidateError):
            assert info.value.exc_type == "RecursionError"
        else:
            assert isinstance(info.value, CandidateCrashed)
        assert_usable(cand)


def test_bad_returns() -> None:
    with hostile("bad_returns") as cand:
        assert cand.call("returns_none", Z) is None
        assert cand.call("returns_complex", Z) == 1 + 2j
        for name, what in [
            ("returns_lock", "lock"),
            ("returns_lambda", "function"),
            ("returns_object", "Opaque"),
        ]:
            with pytest.raises(CandidateBadResult, match=what):
                cand.call(name, Z)
        assert cand.call("returns_none", Z) is None


def test_prints_20mb() -> None:
    with hostile("prints_20mb", timeout=10) as cand:
        cand.load()
        t0 = time.monotonic()
        out = cand.call("sigmoid", Z)
        assert time.monotonic() - t0 < 5
        np.testing.assert_allclose(out, sigmoid(Z))
        stats = cand.last_output
        assert stats.stdout_bytes == 20_000_001
        assert stats.stderr_bytes == len("debug: done\n")
        assert stats.stdout_tail == "y" * 2048 and stats.stderr_tail == "debug: done\n"
        assert stats.summary() == "printed 20.0 MB to stdout, 12 B to stderr"
        np.testing.assert_allclose(cand.call("sigmoid", Z), sigmoid(Z))
        assert cand.last_output.stdout_bytes == 20_000_001


def test_global_state_stays_in_worker() -> None:
    exp = np.exp
    err = np.geterr()
    with hostile("global_state") as cand:
        assert cand.call("sigmoid", Z) == 1.0  # the worker's np.exp is patched...
        default = {"divide": "warn", "over": "warn", "under": "ignore", "invalid": "warn"}
        assert cand.call("errstate", Z) == default  # ...but its error state is reset per call
        assert np.all(np.isinf(cand.call("divide", Z[Z != 0])))
    assert np.exp is exp and np.exp(1.0) == pytest.approx(np.e)
    assert np.geterr() == err
    np.random.seed(12345)
    a = np.random.random()
    np.random.seed(12345)
    assert np.random.random() == a


def test_non_daemon_thread_does_not_block_close() -> None:
    cand = hostile("non_daemon_thread")
    assert cand.call("sigmoid", Z) == 0.5
    pid = cand.pid
    t0 = time.monotonic()
    cand.close()
    assert time.monotonic() - t0 < 3
    assert gone(pid)
    with pytest.raises(RuntimeError, match="closed"):
        cand.call("sigmoid", Z)


def test_input_mutation_detection() -> None:
    z = Z.copy()
    with hostile("mutates_input") as cand:
        res = cand.call("sigmoid", z, return_args=True)
    assert isinstance(res, CallResult)
    np.testing.assert_array_equal(res.value, 2 * Z)
    np.testing.assert_array_equal(res.args[0], 2 * Z)
    np.testing.assert_array_equal(z, Z)  # the caller's array is never touched


@pytest.mark.parametrize(
    ("source", "expect"),
    [
        (None, "my_nn.py: file not found"),
        ("def f(:\n    pass\n", "my_nn.py: SyntaxError: "),
        ("x = 1\nraise RuntimeError('no gpu')\n", "my_nn.py: RuntimeError: no gpu (my_nn.py:2"),
        ("import sys\nsys.exit(3)\n", "my_nn.py: called sys.exit(3) during import"),
        ("import os\nos._exit(7)\n", "my_nn.py: worker exited with code 7 during import"),
    ],
)
def test_load_errors(tmp_path: Path, source: str | None, expect: str) -> None:
    path = tmp_path / "my_nn.py"
    if source is not None:
        path.write_text(source)
    with CandidateProcess(str(path), timeout=2) as cand, pytest.raises(LoadError) as info:
        cand.load()
    assert info.value.reason.startswith(expect), info.value.reason
    assert "\n" not in info.value.reason
    if "SyntaxError" in expect:
        assert info.value.reason.endswith("(line 1)")


@pytest.mark.parametrize("name", ["import_raises", "import_sys_exit"])
def test_hostile_import(name: str) -> None:
    with hostile(name) as cand, pytest.raises(LoadError, match=f"^{name}.py: "):
        cand.call("sigmoid", Z)


def test_module_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = tmp_path / "mypkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "losses.py").write_text(
        "from mypkg.util import half\n"
        "def half_squared(a, y):\n    return half((a - y) ** 2)\n"
        "def broken(a, y):\n    return half(None)\n"
    )
    (pkg / "util.py").write_text("def half(x):\n    return 0.5 * x\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    with CandidateProcess("mypkg.losses", timeout=5) as cand:
        assert cand.load() == {"half": "function", "half_squared": "function", "broken": "function"}
        assert cand.call("half_squared", np.array([3.0]), y=np.array([1.0])) == 2.0
        with pytest.raises(CandidateError) as info:
            cand.call("broken", 1.0, 2.0)
        # the last frame in the candidate module itself, not in its helper module
        assert (
            info.value.where
            == os.path.join("mypkg", "losses.py") + ":5 in broken: return half(None)"
        )
    monkeypatch.delenv("PYTHONPATH")
    with CandidateProcess("mypkg.losses", paths=[str(tmp_path)]) as cand:
        assert cand.call("half_squared", 2.0, 0.0) == 2.0
    with CandidateProcess("nosuchpkg.losses") as cand, pytest.raises(LoadError) as info:
        cand.load()
    assert info.value.reason == "nosuchpkg.losses: ModuleNotFoundError: No module named 'nosuchpkg'"


def test_keyboard_interrupt_kills_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    import gradspec.conformance.targets.isolation as iso

    with hostile("infinite_loop") as cand:
        cand.load()
        pid = cand.pid

        def interrupted(*args: object) -> None:
            raise KeyboardInterrupt

        monkeypatch.setattr(iso._Worker, "_wait", interrupted)
        with pytest.raises(KeyboardInterrupt):
            cand.call("sigmoid", Z)
        assert cand.pid is None and gone(pid)
        monkeypatch.undo()
        assert_usable(cand)


def test_grandchildren_are_killed_at_close() -> None:
    with hostile("spawns_child") as cand:
        child = cand.call("sigmoid", Z)
        assert not gone(child)
    deadline = time.monotonic() + 3
    while not gone(child) and time.monotonic() < deadline:
        time.sleep(0.01)  # the orphaned grandchild is reaped by init, not by us
    assert gone(child)


def test_no_orphans_from_finalizer() -> None:
    cand = hostile("infinite_loop")
    cand.load()
    pid = cand.pid
    del cand  # the weakref finalizer kills the worker
    import gc

    gc.collect()
    assert gone(pid)


def test_round_trip_overhead(capsys: pytest.CaptureFixture[str]) -> None:
    with CandidateProcess(str(HOSTILE / "mutates_input.py"), timeout=5) as cand:
        cand.load()
        z = np.zeros(64)
        for _ in range(20):
            cand.call("sigmoid", z)
        n = 200
        t0 = time.perf_counter()
        for _ in range(n):
            cand.call("sigmoid", z)
        per_call = (time.perf_counter() - t0) / n
    with capsys.disabled():
        print(f"\nisolation round trip, (64,) array: {per_call * 1e6:.0f} us", file=sys.stderr)
    assert per_call < 0.02


def test_the_worker_runs_its_math_libraries_on_one_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "env_probe.py"
    path.write_text("import os\n\ndef env(name):\n    return os.environ.get(name)\n")
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.setenv("MKL_NUM_THREADS", "3")  # the user's choice is kept
    with CandidateProcess(str(path), timeout=5) as cand:
        assert cand.call("env", "OMP_NUM_THREADS") == "1"
        assert cand.call("env", "OPENBLAS_NUM_THREADS") == "1"
        assert cand.call("env", "MKL_NUM_THREADS") == "3"


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.fixture
def spinning(monkeypatch: pytest.MonkeyPatch):
    """Workers whose pipes spin, as on a machine with CPUs to spare."""
    monkeypatch.delenv(isolation.SPIN_ENV, raising=False)
    monkeypatch.setattr(isolation, "_cpus", lambda: 4)
    isolation.set_lanes(1)
    assert isolation._spin_s == isolation.SPIN_S > 0
    yield
    monkeypatch.undo()
    isolation.set_lanes(1)


def test_the_spin_follows_the_lanes_and_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Spin while every lane (candidate checked at once) has two CPUs; not on a cluster's
    worker (lanes unknown), not with more lanes, and as ``$GRADSPEC_SPIN_US`` says if set."""
    monkeypatch.delenv(isolation.SPIN_ENV, raising=False)
    monkeypatch.setattr(isolation, "_cpus", lambda: 2)
    assert isolation._spin_for(1) == isolation.SPIN_S
    assert isolation._spin_for(2) == 0.0
    assert isolation._spin_for(None) == 0.0
    monkeypatch.setattr(isolation, "_cpus", lambda: 1)
    assert isolation._spin_for(1) == 0.0
    monkeypatch.setenv(isolation.SPIN_ENV, "500")
    assert isolation._spin_for(None) == pytest.approx(5e-4)
    monkeypatch.setenv(isolation.SPIN_ENV, "0")
    monkeypatch.setattr(isolation, "_cpus", lambda: 8)
    assert isolation._spin_for(1) == 0.0
    monkeypatch.setenv(isolation.SPIN_ENV, "fast")  # not a number: the default policy
    assert isolation._spin_for(1) == isolation.SPIN_S
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "6")  # the plugin under pytest -n 6
    assert isolation._default_lanes() == 6
    monkeypatch.delenv("PYTEST_XDIST_WORKER_COUNT")
    assert isolation._default_lanes() == 1


def test_a_spinning_worker_answers_and_its_setting_is_not_the_candidates(
    tmp_path: Path, spinning: None
) -> None:
    path = tmp_path / "env_probe.py"
    path.write_text("import os\n\ndef env(name):\n    return os.environ.get(name, 'unset')\n")
    with CandidateProcess(str(path), timeout=5) as cand:
        assert [cand.call("env", "GRADSPEC_WORKER_SPIN_US") for _ in range(50)] == ["unset"] * 50


def test_an_idle_worker_sleeps_after_its_spin(good: Path, spinning: None) -> None:
    """After a call the worker polls for the next one for SPIN_S, then sleeps: a second of
    idling costs it a small fraction of a second of CPU, not the whole second."""
    with CandidateProcess(str(good), timeout=5) as cand:
        cand.call("sigmoid", Z)
        time.sleep(4 * isolation.SPIN_S)
        before = _cpu_seconds(cand.pid)
        time.sleep(1.0)
        assert _cpu_seconds(cand.pid) - before < 0.2
        assert np.allclose(cand.call("sigmoid", Z), sigmoid(Z))  # and wakes for the next
