"""Check results and the machinery that runs one property under hypothesis."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings, target
from hypothesis import errors as hyp_errors
from hypothesis import strategies as st
from hypothesis.reporting import with_reporter

from gradspec.strategies import PROFILES

STATUSES = ("pass", "warn", "fail", "error", "skip")


@dataclass
class Worst:
    """The worst element seen: where, the values around it and the error in dtype units."""

    index: tuple[int, ...] | None
    units: float
    budget: float
    inputs: dict[str, Any] = field(default_factory=dict)  # element values of each input
    values: dict[str, float] = field(default_factory=dict)  # truth, numeric, actual, ...

    def describe(self) -> str:
        where = "" if self.index is None else f" at index {list(self.index)}"
        ins = ", ".join(f"{k}={_num(v)}" for k, v in self.inputs.items())
        vals = ", ".join(f"{k}={_num(v)}" for k, v in self.values.items())
        return f"{_num(self.units)} eps-units (budget {self.budget:g}){where}: {ins}; {vals}"


def _num(v: Any) -> str:
    if isinstance(v, float | np.floating):
        return f"{float(v):.17g}" if np.isfinite(v) else str(float(v))
    return repr(v)


@dataclass
class CheckResult:
    """The outcome of one named check on one subject (function or pair) and dtype."""

    check: str  # e.g. "derivative"
    subject: str  # e.g. "sigmoid" or "sigmoid+log_loss" or "network"
    dtype: str  # "float32", "float64" or "-"
    status: str
    message: str = ""
    worst: Worst | None = None
    examples: int = 0
    reproducer: str = ""
    diagnosis: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def id(self) -> str:
        return f"{self.check}[{self.subject}:{self.dtype}]"

    def as_dict(self) -> dict[str, Any]:
        d = {
            "id": self.id,
            "check": self.check,
            "subject": self.subject,
            "dtype": self.dtype,
            "status": self.status,
            "message": self.message,
            "examples": self.examples,
            "seconds": round(self.seconds, 4),
            "reproducer": self.reproducer,
            "diagnosis": self.diagnosis,
        }
        if self.worst is not None:
            w = self.worst
            d["worst"] = {
                "index": list(w.index) if w.index is not None else None,
                "units": w.units if np.isfinite(w.units) else str(w.units),
                "budget": w.budget,
                "inputs": {k: _jsonable(v) for k, v in w.inputs.items()},
                "values": {k: _jsonable(v) for k, v in w.values.items()},
            }
        return d


def _jsonable(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return [_jsonable(x) for x in v.tolist()] if v.ndim else _jsonable(v.item())
    if isinstance(v, float | np.floating):
        return float(v) if np.isfinite(v) else str(float(v))
    if isinstance(v, np.integer):
        return int(v)
    return v


class Violation(Exception):
    """Raised inside a property when an example fails; carries what the report needs."""

    def __init__(self, message: str, worst: Worst | None = None, inputs: Any = None):
        super().__init__(message)
        self.message = message
        self.worst = worst
        self.inputs = inputs


@dataclass
class Measurement:
    """What one example measured: its worst element and any warnings the call raised."""

    worst: Worst | None
    warnings: list[str] = field(default_factory=list)

    @property
    def units(self) -> float:
        return 0.0 if self.worst is None else self.worst.units

    @property
    def ok(self) -> bool:
        return self.worst is None or self.worst.units <= self.worst.budget


@dataclass
class Outcome:
    failure: Violation | None
    worst: Worst | None
    examples: int
    warnings: list[str]


def run_property(
    strategy: st.SearchStrategy[Any],
    measure: Callable[[Any], Measurement],
    profile: str = "ci",
    *,
    max_examples: int | None = None,
) -> Outcome:
    """Run ``measure`` on examples drawn from ``strategy``; steer toward large errors with
    ``hypothesis.target`` and stop at the first failure, shrunk to a minimal example."""
    state: dict[str, Any] = {"worst": None, "n": 0, "warnings": [], "failed_at": None}
    conf = dict(PROFILES[profile])
    shrink_budget = conf.pop("shrink_seconds")
    if max_examples is not None:
        conf["max_examples"] = max_examples
    failing: dict[bytes, Violation] = {}

    @settings(
        **conf,
        deadline=None,
        database=None,
        report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(strategy)
    def prop(example: Any) -> None:
        key = _key(example)
        if state["failed_at"] is not None and (
            time.perf_counter() - state["failed_at"] > shrink_budget
        ):
            # Shrinking has had its time: keep the smallest failure found so far (replayed
            # as is) and let every other candidate "pass" without running it.
            if key in failing:
                raise failing[key]
            return
        m = measure_or_violation(example)
        if isinstance(m, Violation):
            failing[key] = m
            state["failed_at"] = state["failed_at"] or time.perf_counter()
            raise m
        state["n"] += 1
        units = m.units
        target(float(min(units, 1e300)) if np.isfinite(units) else 1e300, label="eps-units")
        if m.worst is not None and (state["worst"] is None or units > state["worst"].units):
            state["worst"] = m.worst
        for w in m.warnings:
            if w not in state["warnings"]:
                state["warnings"].append(w)
        if not m.ok:
            v = Violation(f"error {m.worst.describe()}", m.worst, example)
            failing[key] = v
            state["failed_at"] = state["failed_at"] or time.perf_counter()
            raise v

    def measure_or_violation(example: Any) -> Measurement | Violation:
        try:
            return measure(example)
        except Violation as v:
            if v.inputs is None:
                v.inputs = example
            return v

    failure = None
    with with_reporter(lambda *_: None), warnings.catch_warnings():
        warnings.simplefilter("ignore", hyp_errors.NonInteractiveExampleWarning)
        try:
            prop()
        except Violation as v:
            failure = v
        except hyp_errors.FlakyFailure as exc:
            failure = Violation(f"nondeterministic: the failure did not reproduce ({exc})")
        except hyp_errors.Unsatisfiable as exc:  # pragma: no cover - strategy bug
            failure = Violation(f"no valid input could be generated: {exc}")
    return Outcome(failure, state["worst"], state["n"], state["warnings"])


def _key(example: Any) -> bytes:
    """A stable identity for a drawn example (arrays compared by bytes, dtype and shape)."""
    parts: list[bytes] = []

    def walk(x: Any) -> None:
        if isinstance(x, np.ndarray):
            parts.append(f"{x.dtype}{x.shape}".encode() + x.tobytes())
        elif isinstance(x, tuple | list):
            for item in x:
                walk(item)
        else:
            parts.append(repr(x).encode())

    walk(example)
    return b"|".join(parts)


class Timer:
    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start
