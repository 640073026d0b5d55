"""Check results and the machinery that runs one property under hypothesis."""

from __future__ import annotations

import contextlib
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import HealthCheck, Phase, given, settings, target
from hypothesis import errors as hyp_errors
from hypothesis import example as hyp_example
from hypothesis import seed as hyp_seed
from hypothesis import strategies as st
from hypothesis.internal.conjecture import providers
from hypothesis.internal.constants_ast import Constants
from hypothesis.internal.reflection import function_digest
from hypothesis.reporting import with_reporter

from gradspec.conformance.engine import sampled
from gradspec.conformance.options import PROFILES
from gradspec.derivations import truth_store
from gradspec.strategies import sampler_of


@dataclass
class Worst:
    """The worst element seen: where, the values around it and the error in dtype units."""

    index: tuple[int, ...] | None
    units: float
    budget: float
    inputs: dict[str, Any] = field(default_factory=dict)  # element values of each input
    values: dict[str, float] = field(default_factory=dict)  # truth, numeric, actual, ...
    ratio: float = 0.0  # error / wrong-math threshold: > 1 fails
    threshold: float = float("inf")  # the wrong-math threshold at this element, eps-units
    dtype: str = ""  # the dtype whose eps the units count (the working precision)

    @property
    def fails(self) -> bool:
        return not self.ratio <= 1  # NaN fails too

    @property
    def warns(self) -> bool:
        return not self.fails and self.units > self.budget

    def describe(self) -> str:
        where = "" if self.index is None else f" at index {list(self.index)}"
        ins = ", ".join(f"{k}={_num(v)}" for k, v in self.inputs.items())
        vals = ", ".join(f"{k}={_num(v)}" for k, v in self.values.items())
        limits = f"budget {self.budget:g}"
        if np.isfinite(self.threshold):
            limits += f", wrong-math threshold {self.threshold:.3g}"
        unit = f"{self.dtype} eps-units" if self.dtype else "eps-units"
        return f"{_num(self.units)} {unit} ({limits}){where}: {ins}; {vals}"

    def precision_note(self) -> str:
        """The warning for an error beyond the budget that is still right math."""
        digits = np.log10(max(self.units, 1.0) / max(self.budget, 1.0))
        ins = ", ".join(f"{k}={_num(v)}" for k, v in self.inputs.items())
        rel = ""
        t = self.values.get("truth", self.values.get("numeric"))
        a = self.values.get("actual")
        if isinstance(t, float | np.floating) and isinstance(a, float | np.floating) and t:
            rel = f", relative error {abs(a - t) / abs(t):.2g}, absolute {abs(a - t):.2g}"
        return (
            f"precision: {self.units:.3g} eps-units where {self.budget:g} is the budget "
            f"(about {digits:.1f} more digits lost than rounding explains) at {ins or '?'}"
            f"{rel}; below the wrong-math threshold ({self.threshold:.3g})"
        )


#: Elements a check keeps for its plots: at most this many of all it compared, and up to
#: :data:`MAX_FAILING_SAMPLES` more beyond the wrong-math threshold (a failure is always
#: shown, however late it was drawn).
MAX_SAMPLES = 200
MAX_FAILING_SAMPLES = 60

#: The columns of :class:`Samples`, in order.
SAMPLE_COLUMNS = ("x", "reference", "actual", "units", "threshold")


@dataclass
class Samples:
    """Elements an elementwise check compared, for the report's plots: the input ``x`` (the
    first argument, named ``input``), the reference (``reference_label``: the spec's truth
    or the numeric difference), the candidate's value, its error in eps-units and the
    wrong-math threshold at that element (eps-units, :func:`errormodel.compare`).  Bounded
    (:data:`MAX_SAMPLES`): a report stays small however many examples ran."""

    input: str
    reference_label: str
    rows: list[tuple[float, float, float, float, float]] = field(default_factory=list)
    failing: int = 0
    others: tuple[str, ...] = ()  # the other inputs, which vary too (a cost's target y)

    @classmethod
    def of(
        cls,
        input: str,
        reference_label: str,
        x: np.ndarray,
        reference: np.ndarray,
        actual: np.ndarray,
        units: np.ndarray,
        threshold: np.ndarray,
        checked: np.ndarray,
        others: tuple[str, ...] = (),
    ) -> Samples:
        """The compared (``checked``) elements of one example, flattened, at most
        :data:`MAX_SAMPLES` of them."""
        cols = np.broadcast_arrays(
            *(np.asarray(c, dtype=np.float64) for c in (x, reference, actual, units, threshold))
        )
        keep = np.broadcast_to(np.asarray(checked, dtype=bool), cols[0].shape).ravel()
        flat = [c.ravel()[keep][: MAX_SAMPLES + MAX_FAILING_SAMPLES] for c in cols]
        rows = [tuple(map(float, r)) for r in zip(*flat, strict=True)]
        return cls(input, reference_label, rows, others=others)

    def add(self, other: Samples) -> None:
        for row in other.rows:
            if len(self.rows) < MAX_SAMPLES:
                self.rows.append(row)
            elif not row[3] <= row[4] and self.failing < MAX_FAILING_SAMPLES:  # NaN fails
                self.rows.append(row)
                self.failing += 1

    def as_dict(self) -> dict[str, Any]:
        cols = list(zip(*self.rows, strict=True)) if self.rows else [()] * len(SAMPLE_COLUMNS)
        return {
            "input": self.input,
            "reference_label": self.reference_label,
            "other_inputs": list(self.others),
            **{c: [_short(v) for v in col] for c, col in zip(SAMPLE_COLUMNS, cols, strict=True)},
        }


def _short(v: float) -> float | str:
    """A plotted value: 6 significant digits are plenty for a figure (the worst element
    keeps all 17 in ``worst``); non-finite values as JSON strings."""
    return float(f"{v:.6g}") if np.isfinite(v) else str(v)


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
    warnings: list[str] = field(default_factory=list)  # each warning in full (status warn)
    #: The minimal failing example as drawn (not reported; a check may narrow it down after
    #: the run, e.g. localising a wrong gradient to a tensor and element).
    failing_example: Any = field(default=None, repr=False, compare=False)
    #: Compared elements kept for plots (a failing or warned elementwise check only).
    samples: Samples | None = field(default=None, repr=False, compare=False)
    #: The numeric derivative at the worst element over a range of steps
    #: (:func:`numeric.step_sweep`; a failing or warned ``derivative_numeric`` only).
    steps: dict[str, Any] | None = field(default=None, repr=False, compare=False)
    #: Per parameter tensor, the error of a network gradient in eps-units (a failing or
    #: beyond-budget network check only; see :mod:`conformance.checks.nettensors`).
    tensors: list[dict[str, Any]] | None = field(default=None, repr=False, compare=False)

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
            "warnings": self.warnings,
        }
        if self.worst is not None:
            w = self.worst
            d["worst"] = {
                "index": list(w.index) if w.index is not None else None,
                "units": w.units if np.isfinite(w.units) else str(w.units),
                "budget": w.budget,
                "fail_threshold": _jsonable(w.threshold),
                "ratio_to_fail_threshold": _jsonable(w.ratio),
                "working_dtype": w.dtype,
                "inputs": {k: _jsonable(v) for k, v in w.inputs.items()},
                "values": {k: _jsonable(v) for k, v in w.values.items()},
            }
        if self.samples is not None and self.samples.rows:
            d["samples"] = self.samples.as_dict()
        if self.steps is not None:
            d["steps"] = {k: _jsonable(v) for k, v in self.steps.items()}
        if self.tensors:
            d["tensors"] = self.tensors
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
        self.steps: Callable[[], dict[str, Any]] | None = None


@dataclass
class Measurement:
    """What one example measured: its worst element and any warnings the call raised."""

    worst: Worst | None
    warnings: list[str] = field(default_factory=list)
    samples: Samples | None = None  # the elements compared, for plots
    #: Computes the numeric derivative's step sweep at the worst element, on demand (only
    #: the example a failing or warned check reports needs it).
    steps: Callable[[], dict[str, Any]] | None = None

    @property
    def units(self) -> float:
        return 0.0 if self.worst is None else self.worst.units

    @property
    def ratio(self) -> float:
        return 0.0 if self.worst is None else self.worst.ratio

    @property
    def ok(self) -> bool:
        """Not wrong math (a precision warning is still ok)."""
        return self.worst is None or not self.worst.fails


@dataclass
class Outcome:
    failure: Violation | None
    worst: Worst | None
    examples: int
    warnings: list[str]
    samples: Samples | None = None
    steps: Callable[[], dict[str, Any]] | None = None


class _Tally:
    """What the examples of one check measured: their count, worst element, warnings and
    samples, and whether one is wrong math."""

    def __init__(self) -> None:
        self.worst: Worst | None = None
        self.n = 0
        self.warnings: list[str] = []
        self.samples: Samples | None = None
        self.steps: Callable[[], dict[str, Any]] | None = None

    def judge(self, example: Any, m: Measurement | Violation) -> Violation | None:
        """Record a measurement; the violation, if ``m`` is one or is wrong math."""
        if isinstance(m, Violation):
            return m
        self.n += 1
        if m.samples is not None:
            if self.samples is None:
                self.samples = Samples(
                    m.samples.input, m.samples.reference_label, others=m.samples.others
                )
            self.samples.add(m.samples)
        if m.worst is not None and (self.worst is None or m.units > self.worst.units):
            self.worst = m.worst
            self.steps = m.steps
        for w in m.warnings:
            if w not in self.warnings:
                self.warnings.append(w)
        if m.ok:
            return None
        v = Violation(f"error {m.worst.describe()}", m.worst, example)
        v.steps = m.steps
        return v

    def outcome(self, failure: Violation | None) -> Outcome:
        steps = getattr(failure, "steps", None) if failure is not None else self.steps
        return Outcome(failure, self.worst, self.n, self.warnings, self.samples, steps)


def run_property(
    strategy: st.SearchStrategy[Any],
    measure: Callable[[Any], Measurement],
    profile: str = "ci",
    *,
    max_examples: int | None = None,
    explicit: list[Any] | None = None,
) -> Outcome:
    """Run ``measure`` on examples drawn from ``strategy`` and stop at the first failure,
    shrunk to a minimal example.

    Derandomized profiles draw the examples of gradspec's array strategies straight from
    their byte layout (:mod:`.sampled`); otherwise hypothesis runs the property, steered
    toward large errors with ``hypothesis.target``.
    ``explicit`` examples run first, whatever the profile: unit inputs, where every function
    is of its natural size, so that a small relative error (a coarse difference quotient, a
    rounded constant) is seen even by a 5-example profile."""
    conf = dict(PROFILES[profile])
    shrink_budget = conf.pop("shrink_seconds")
    if max_examples is not None:
        conf["max_examples"] = max_examples
    tally = _Tally()

    def measure_or_violation(example: Any) -> Measurement | Violation:
        try:
            return measure(example)
        except Violation as v:
            if v.inputs is None:
                v.inputs = example
            return v

    def fails(example: Any) -> Violation | None:
        return tally.judge(example, measure_or_violation(example))

    sampler = sampler_of(strategy)
    # A randomized profile's truth values are never asked for again: not worth storing.
    with truth_store.persisting(bool(conf.get("derandomize"))):
        if conf.get("derandomize") and sampler is not None:
            for ex in explicit or []:
                v = fails(ex)
                if v is not None:  # as under hypothesis: an explicit example is not shrunk
                    return tally.outcome(v)
            for blob in sampled.blobs(sampler, conf["max_examples"]):
                v = fails(sampler.build(blob))
                if v is not None:
                    return tally.outcome(sampled.shrink(sampler, blob, v, fails, shrink_budget))
            return tally.outcome(None)
        return _run_hypothesis(strategy, measure_or_violation, tally, conf, shrink_budget, explicit)


def _run_hypothesis(
    strategy: st.SearchStrategy[Any],
    measure_or_violation: Callable[[Any], Measurement | Violation],
    tally: _Tally,
    conf: dict[str, Any],
    shrink_budget: float,
    explicit: list[Any] | None,
) -> Outcome:
    failed_at: list[float] = []
    # No explain phase: after shrinking, hypothesis re-runs the minimal example with each part
    # varied to say which parts do not matter, for a report that is silenced here.  It never
    # changes the minimal example, and it was most of a failing check's time (19 of the 22 s
    # a network gradient failure spent shrinking).  Set here, not in the decorator below:
    # derandomized runs draw their examples from a digest of ``prop``'s source, decorator
    # included, and the examples must not change.
    conf["phases"] = [p for p in Phase if p is not Phase.explain]
    failing: dict[bytes, Violation] = {}

    @settings(
        **conf,
        deadline=None,
        database=None,
        report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    def prop(example: Any) -> None:
        key = _key(example)
        if failed_at and time.perf_counter() - failed_at[0] > shrink_budget:
            # Shrinking has had its time: keep the smallest failure found so far (replayed
            # as is) and let every other candidate "pass" without running it.
            if key in failing:
                raise failing[key]
            return
        m = measure_or_violation(example)
        v = tally.judge(example, m)
        if v is None:
            # Steer toward wrong math first (the ratio to the fail threshold), then toward
            # the largest precision loss (eps-units).
            target(_bounded(m.ratio), label="ratio to the fail threshold")
            target(_bounded(m.units), label="eps-units")
            return
        failing[key] = v
        failed_at[:] = failed_at or [time.perf_counter()]
        raise v

    inner = prop
    for ex in reversed(explicit or []):
        prop = hyp_example(ex)(prop)
    prop = given(strategy)(prop)
    if conf.get("derandomize"):
        prop = hyp_seed(_derandomized_seed(inner))(prop)
    # No database (database=None): the key hypothesis would otherwise digest is never used.
    prop._hypothesis_internal_database_key = None
    failure = None
    with with_reporter(lambda *_: None), warnings.catch_warnings(), _no_local_constants():
        warnings.simplefilter("ignore", hyp_errors.NonInteractiveExampleWarning)
        try:
            prop()
        except Violation as v:
            failure = v
        except hyp_errors.FlakyFailure as exc:
            failure = Violation(f"nondeterministic: the failure did not reproduce ({exc})")
        except hyp_errors.Unsatisfiable as exc:  # pragma: no cover - strategy bug
            failure = Violation(f"no valid input could be generated: {exc}")
    return tally.outcome(failure)


@contextlib.contextmanager
def _no_local_constants() -> Iterator[None]:
    """Draw without the literals of the loaded modules.

    Hypothesis mixes into its draws the numeric literals of every module loaded from outside
    site-packages: gradspec's own when installed editable, a checked candidate's, whatever
    the process happened to import.  Draws (and so results, and the persistent truth memo's
    hits) then depend on the installation, on the process running the check (``-j``) and on
    unrelated code edits.  A derandomized profile must draw the same examples everywhere."""
    saved = providers._get_local_constants
    providers._get_local_constants = _no_constants
    providers.CONSTANTS_CACHE.cache.clear()
    try:
        yield
    finally:
        providers._get_local_constants = saved
        providers.CONSTANTS_CACHE.cache.clear()


def _no_constants() -> Constants:
    return Constants()


_SEED: list[int] = []


def _derandomized_seed(prop: Callable[..., None]) -> int:
    """The seed hypothesis derives for a derandomized run of ``prop``: an integer of the digest
    of its source.  Hypothesis recomputes that digest, re-reading and tokenising this file, on
    every run (a sixth of a whole ``verify``), yet ``prop``'s source is the same for every
    check: computed once, the seed (and so every draw) is the one hypothesis would use."""
    if not _SEED:
        _SEED.append(int.from_bytes(function_digest(prop), "big"))
    return _SEED[0]


def _bounded(x: float) -> float:
    return float(min(x, 1e300)) if np.isfinite(x) else 1e300


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
