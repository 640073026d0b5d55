"""Hostile candidates: each misbehaving function fails its own checks with a reason, the run
goes on; a correct candidate with noisy side effects is judged on its math only."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from gradspec.conformance.api import check

HOSTILE = textwrap.dedent(
    """
    import ctypes, os, sys
    import numpy as np

    def sigmoid(z):
        raise ValueError("nope")

    def tanh(z):
        while True:
            pass

    def relu(z):
        return np.asarray(float(sys.stdin.readline() or "nan")) + z

    def softplus(z):
        sys.exit(0)

    def elu(z):
        os._exit(0)

    def gelu(z):
        return ctypes.string_at(0)

    def swish(z):
        return swish(z)

    def leaky_relu(z):
        return None

    def identity(z):
        return np.zeros(3) if np.ndim(z) else z

    def step(z):
        return z.astype(complex)
    """
)

NOISY = textwrap.dedent(
    """
    import threading, time
    import numpy as np

    np.seterr(all="raise")
    np.random.seed(123)
    np.allclose = lambda *a, **k: True
    threading.Thread(target=time.sleep, args=(3600,), daemon=False).start()

    def tanh(z):
        print("x" * 2_000_000)
        np.random.seed(0)
        np.seterr(all="raise")
        return np.tanh(z)

    def tanh_der(z):
        return 1 - np.tanh(z) ** 2
    """
)

REASONS = {
    "sigmoid": "ValueError",
    "tanh": "did not return",
    "relu": "nan",
    "softplus": "sys.exit",
    "elu": "exited with code 0",
    "gelu": "SIGSEGV",
    "swish": "RecursionError",
    "leaky_relu": "None",
    "identity": "shape",
    "step": "complex",
}


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory):
    path = tmp_path_factory.mktemp("hostile") / "hostile.py"
    path.write_text(HOSTILE)
    t0 = time.perf_counter()
    rep = check(str(path), only="activations", profile="quick", timeout=2, dtypes=["float64"])
    return rep, time.perf_counter() - t0


@pytest.mark.parametrize("name", sorted(REASONS))
def test_each_hostile_function_fails_with_a_reason(hostile_report, name: str) -> None:
    rep, _ = hostile_report
    mine = [r for r in rep.results if r.subject == name]
    assert mine, f"{name} not checked"
    value = next(r for r in mine if r.check in ("value", "shape_dtype") and r.status == "fail")
    assert REASONS[name] in value.message or any(REASONS[name] in r.message for r in mine), [
        (r.id, r.status, r.message) for r in mine
    ]


def test_run_goes_on_and_hang_costs_one_timeout(hostile_report) -> None:
    rep, seconds = hostile_report
    assert not rep.interrupted and not rep.ok
    assert {r.subject for r in rep.results} >= set(REASONS)
    assert seconds < 60  # a hanging function is not re-called for every example


def test_noisy_but_correct_candidate_passes(tmp_path: Path) -> None:
    path = tmp_path / "noisy.py"
    path.write_text(NOISY)
    before = np.geterr()
    state = np.random.get_state()[1][:5].copy()
    rep = check(str(path), only="activations", profile="quick", timeout=10, dtypes=["float64"])
    assert rep.ok, [(r.id, r.message) for r in rep.failed]
    assert np.geterr() == before
    assert np.array_equal(np.random.get_state()[1][:5], state)
    assert not np.allclose(1.0, 2.0)
