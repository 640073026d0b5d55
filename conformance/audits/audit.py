"""``gradspec audit LIBRARY``: the spec run against a library's own public functions.

An adapter module (:mod:`.torch`, :mod:`.jax`) names the library call of each registry
entry.  :func:`run_audit` evaluates those calls into callables, wraps them as an in-process
``FRAMEWORK`` candidate (tensors on the chosen device; every derivative by the library's own
autodiff, so its real backward rules are judged) and runs it through the one runner
(:func:`gradspec.conformance.runner.run`) in each dtype both gradspec and the library know.
The :class:`Audit` it returns holds that report and turns it into the conformance matrix
(function x check x dtype) and the findings (every warn and fail with its worst element,
diagnosis and a reproducer calling the library function itself).
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.metadata
import re
import time
import types
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

import numpy as np

from gradspec import spec
from gradspec.conformance import runner
from gradspec.conformance.audits import jax as jax_adapter
from gradspec.conformance.audits import torch as torch_adapter
from gradspec.conformance.checks.table import TABLE
from gradspec.conformance.engine.results import CheckResult
from gradspec.conformance.options import DTYPES, Options
from gradspec.conformance.report import Report
from gradspec.conformance.runner import Progress
from gradspec.conformance.targets import autodiff
from gradspec.conformance.targets.framework_ns import FrameworkNamespace
from gradspec.conformance.targets.target import Target, third_party
from gradspec.errors import UsageError

#: Library name -> its adapter module.
ADAPTERS: dict[str, types.ModuleType] = {m.LIBRARY: m for m in (torch_adapter, jax_adapter)}

#: Matrix cells besides the result statuses (pass, warn, fail, error, skip, xfail).
NOT_IN_LIBRARY = "not-in-library"
NOT_INSTALLED = "not-installed"
NO_DERIVATIVE = "no-derivative"
NOT_APPLICABLE = "n/a"

#: The statuses a finding is made of.
FINDING_STATUSES = ("fail", "error", "warn", "xfail")

#: The input names the checks give a kind of entry (cost subjects: ``a, y`` on logits too).
_ENGINE_NAMES = {"activation": ("z",), "cost": ("a", "y")}

#: Which derivative a check's reproducer prints up to (kinks: the entry's kink order).
_ORDER = {"value": 0, "second_derivative": 2}


@dataclass(frozen=True)
class Library:
    """One adapter module, read: see :mod:`.torch` for what each field means."""

    name: str
    framework: str
    distributions: tuple[str, ...]
    imports: dict[str, str]
    optional: tuple[str, ...]
    preamble: tuple[str, ...]
    dtypes: tuple[str, ...]
    calls: dict[str, str]
    not_in_library: dict[str, str]

    @classmethod
    def of(cls, module: types.ModuleType) -> Library:
        return cls(
            name=module.LIBRARY,
            framework=module.FRAMEWORK,
            distributions=tuple(module.DISTRIBUTIONS),
            imports=dict(module.IMPORTS),
            optional=tuple(getattr(module, "OPTIONAL", ())),
            preamble=tuple(module.PREAMBLE),
            dtypes=tuple(module.DTYPES),
            calls=dict(module.CALLS),
            not_in_library=dict(module.NOT_IN_LIBRARY),
        )

    def supported_dtypes(self) -> tuple[str, ...]:
        """The dtypes gradspec checks (``options.DTYPES``, in its order) that the library
        computes in; a dtype added to gradspec is audited as soon as it is in both."""
        return tuple(d for d in DTYPES if d in self.dtypes)

    def import_lines(self) -> list[str]:
        return [
            f"import {mod}" if alias == mod else f"import {mod} as {alias}"
            for alias, mod in self.imports.items()
        ]


def library(name: str) -> Library:
    """The adapter of library ``name``; UsageError (one line) for one gradspec has none of."""
    try:
        return Library.of(ADAPTERS[name])
    except KeyError:
        raise UsageError(f"unknown library {name!r}; choose from {', '.join(ADAPTERS)}") from None


def entry(name: str) -> spec.Activation | spec.Cost:
    """The registry entry of an activation or cost name."""
    try:
        return spec.activation(name)
    except spec.UnknownName:
        return spec.cost(name)


def params(e: spec.Activation | spec.Cost) -> tuple[str, ...]:
    """The spec's input names of ``e``, which the adapters' expressions are written in."""
    if e.kind == "activation":
        return ("z",)
    return ("z", "y") if e.inputs == "logits" else ("a", "y")


def _group(e: spec.Activation | spec.Cost) -> str:
    return "activations" if e.kind == "activation" else "costs"


def _scope(lib: Library) -> tuple[dict[str, Any], dict[str, str]]:
    """The modules the expressions use, and the optional ones that are absent (why)."""
    scope: dict[str, Any] = {}
    absent: dict[str, str] = {}
    for alias, mod in lib.imports.items():
        try:
            scope[alias] = importlib.import_module(mod)
        except ImportError as exc:
            if mod.split(".")[0] not in lib.optional:
                raise UsageError(f"{lib.name} is not installed ({exc})") from None
            absent[alias] = f"{mod.split('.')[0]} is not installed"
    return scope, absent


def _versions(lib: Library) -> dict[str, str]:
    out = {}
    for dist in lib.distributions:
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out


def _sample(e: spec.Activation | spec.Cost) -> tuple[np.ndarray, ...]:
    """Small float64 inputs inside ``e``'s domain, to probe that a derivative exists."""
    if e.kind == "activation":
        z = np.linspace(-2.0, 2.0, 5)
        return (z.reshape(1, 5) if e.vector else z,)
    if e.vector:
        return np.array([[0.1, 0.5, -0.3]]), np.array([[0.2, 0.3, 0.5]])
    a = np.array([-1.0, 0.5, 2.0]) if e.inputs == "logits" else np.array([0.2, 0.5, 0.7])
    return a, np.array([0.0, 0.5, 1.0])


def _first_line(exc: BaseException) -> str:
    text = (str(exc).strip().splitlines() or [""])[0][:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@dataclass
class Audit:
    """One library's audit: the runner's report and what the adapter said."""

    library: Library
    versions: dict[str, str]
    device: str
    options: Options
    report: Report
    #: Registry entry -> the library call audited for it, in registry order.
    calls: dict[str, str]
    #: Registry entry -> why it is not audited (cell :data:`NOT_IN_LIBRARY` or
    #: :data:`NOT_INSTALLED`).
    absent: dict[str, tuple[str, str]]
    #: Registry entry -> why the library gives no derivative of it (autodiff raises).
    no_derivative: dict[str, str]
    seconds: float = 0.0

    @property
    def version(self) -> str:
        """The version of the library itself (its first distribution)."""
        return self.versions.get(self.library.distributions[0], "unknown")

    @property
    def title(self) -> str:
        return f"{self.library.name} {self.version}"

    @property
    def dtypes(self) -> tuple[str, ...]:
        return self.options.dtypes or ()

    def functions(self) -> list[str]:
        """Every registry entry of the audit, audited or not, in registry order."""
        names = {*self.calls, *self.absent}
        return [e.name for e in (*spec.ACTIVATIONS, *spec.COSTS) if e.name in names]

    def checks(self) -> list[str]:
        """The checks that ran, in the table's (the report's) order."""
        ran = {r.check for r in self.report.results}
        return [rule.check for rule in TABLE if rule.check in ran]

    def matrix(self) -> dict[str, dict[str, dict[str, str]]]:
        """function -> check -> dtype -> verdict: a status of the report, or
        :data:`NOT_IN_LIBRARY`, :data:`NOT_INSTALLED`, :data:`NO_DERIVATIVE` (the check
        needs a derivative the library does not give) or :data:`NOT_APPLICABLE`."""
        got = {(r.subject, r.check, r.dtype): r.status for r in self.report.results}
        derivative_checks = {rule.check for rule in TABLE if rule.uses_der} | {"second_derivative"}
        out: dict[str, dict[str, dict[str, str]]] = {}
        for fn in self.functions():
            row: dict[str, dict[str, str]] = {}
            for check in self.checks():
                cells = {}
                for dt in self.dtypes:
                    if fn in self.absent:
                        cell = self.absent[fn][0]
                    elif (fn, check, dt) in got:
                        cell = got[fn, check, dt]
                    elif fn in self.no_derivative and check in derivative_checks:
                        cell = NO_DERIVATIVE
                    else:
                        cell = NOT_APPLICABLE
                    cells[dt] = cell
                row[check] = cells
            out[fn] = row
        return out

    def findings(self) -> list[CheckResult]:
        """Every result that is not a plain pass or skip, in report order."""
        return [r for r in self.report.results if r.status in FINDING_STATUSES]

    def counts(self) -> dict[str, int]:
        c = self.report.counts()
        return {k: v for k, v in c.items() if v or k in ("pass", "warn", "fail")}

    def reproducer(self, r: CheckResult) -> str:
        """A few lines of Python calling the library function itself and printing what the
        check compared: at the worst element when it is what warns or fails, at the NaN
        probe's input for a NaN warning, else at the check's own example."""
        e = entry(r.subject)
        names = params(e)
        order = _ORDER.get(r.check, 1)
        if r.check == "kinks":
            order = max((k.derivative_order for k in e.kinks), default=1)
        if e.kind == "activation" and e.vector:
            order = min(order, 1)  # the protocol has no second derivative of softmax
        if r.subject in self.no_derivative:
            order = 0  # the library refuses it; the finding is about the forward
        values, note = _inputs(r, _ENGINE_NAMES[e.kind])
        if values is not None:
            # The checks call a cost's first input ``a`` even on logits; the calls say ``z``.
            values = dict(zip(names, values.values(), strict=True))
        if note == "nan":
            order = 0
        if values is None:
            return ""
        fw = _TORCH if self.library.framework == "torch" else _JAX
        # A blank line after the imports, as a formatter writes it (ruff checks the docs).
        lines = [*self.library.import_lines(), "", *self.library.preamble]
        x = names[0]
        if note == "worst" and not e.vector:
            # One element repeated: a one-element tensor can take another kernel than the
            # checked arrays did (torch's float32 gelu backward does), so never reproduce
            # with one.
            values = {n: _Repeated(v) for n, v in values.items()}
        for i, n in enumerate(names):
            lines.append(fw.array(n, values[n], r.dtype, grad=i == 0 and order > 0))
        lines.append(f"f = lambda {x}: {self.calls[r.subject]}")
        lines += fw.derivatives(x, order, jacobian=e.kind == "activation" and e.vector)
        lines.append(_expected_comment(r, note))
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form: everything the markdown shows, and every verdict."""
        findings = []
        for r in self.findings():
            d = r.as_dict()
            d.pop("seconds", None)
            d["library_reproducer"] = self.reproducer(r)
            findings.append(d)
        return {
            "gradspec_audit": 1,
            "library": self.library.name,
            "version": self.version,
            "versions": self.versions,
            "device": self.device,
            "profile": self.options.profile,
            "dtypes": list(self.dtypes),
            "seconds": round(self.seconds, 1),
            "counts": self.counts(),
            "verdict": self.report.verdict,
            "calls": self.calls,
            "not_audited": {k: {"why": v[0], "reason": v[1]} for k, v in self.absent.items()},
            "no_derivative": self.no_derivative,
            "routes": sorted(set(self.report.routes.values())),
            "checks": self.checks(),
            "matrix": self.matrix(),
            "findings": findings,
        }


def _inputs(r: CheckResult, names: tuple[str, ...]) -> tuple[dict[str, Any] | None, str]:
    """The input values to reproduce ``r`` at, and which they are: ``"worst"`` (the worst
    element, when it is what warns or fails), ``"nan"`` (the NaN probe of the extremes
    check, for a NaN warning), ``"example"`` (the arrays of the check's own NumPy
    reproducer, ``name = np.array([...], dtype=np.<dtype>)``)."""
    w = r.worst
    if w is not None and (w.fails or w.warns) and all(n in w.inputs for n in names):
        return {n: w.inputs[n] for n in names}, "worst"
    if r.status == "warn" and any("NaN" in m for m in r.warnings):
        if len(names) == 1:
            return {names[0]: [np.nan, 1.0]}, "nan"
        return {names[0]: [np.nan, 0.5], names[1]: [0.5, 0.5]}, "nan"
    found = {}
    for m in re.finditer(r"^(\w+) = np\.array\((.*), dtype=np\.\w+\)$", r.reproducer, re.M):
        found[m.group(1)] = m.group(2)
    if all(n in found for n in names):
        return {n: _Literal(found[n]) for n in names}, "example"
    if w is not None and all(n in w.inputs for n in names):
        return {n: w.inputs[n] for n in names}, "worst"
    return None, ""


@dataclass(frozen=True)
class _Literal:
    """A nested-list literal taken as it is from a reproducer."""

    text: str


@dataclass(frozen=True)
class _Repeated:
    """One element value written as a list of :data:`REPEAT` copies of it."""

    value: float


#: How many copies of the worst element a reproducer's tensors hold.
REPEAT = 8


def _num(v: Any) -> str:
    v = float(v)
    if np.isfinite(v):
        return repr(v)
    return f'float("{v}")'


def _list(v: Any) -> str:
    """A Python list literal of the values ``v`` (a scalar becomes a one-element list)."""
    if isinstance(v, _Literal):
        return v.text
    if isinstance(v, _Repeated):
        return f"[{_num(v.value)}] * {REPEAT}"
    arr = np.asarray(v, dtype=np.float64)
    if arr.ndim == 0:
        arr = arr.reshape(1)

    def lit(a: np.ndarray) -> str:
        if a.ndim == 1:
            return "[" + ", ".join(_num(x) for x in a) + "]"
        return "[" + ", ".join(lit(b) for b in a) + "]"

    return lit(arr)


def _expected_comment(r: CheckResult, note: str) -> str:
    """The last line: what gradspec saw there."""
    head = f"# gradspec, {r.status} {r.id}"
    if note == "worst" and r.worst is not None:
        vals = ", ".join(f"{k} {_num(v)}" for k, v in r.worst.values.items() if np.ndim(v) == 0)
        if vals:
            return f"{head}: {vals}"
    text = (r.warnings or [r.message])[0]
    return f"{head}: {text[:200]}"


class _TorchLines:
    @staticmethod
    def array(name: str, values: Any, dtype: str, grad: bool) -> str:
        extra = ", requires_grad=True" if grad else ""
        return f"{name} = torch.tensor({_list(values)}, dtype=torch.{dtype}{extra})"

    @staticmethod
    def derivatives(x: str, order: int, jacobian: bool) -> list[str]:
        lines = [f"out = f({x})", "print(out)"]
        if jacobian and order:
            return [*lines, f"print(torch.autograd.functional.jacobian(f, {x}))"]
        prev = "out"
        for k in range(1, order + 1):
            create = ", create_graph=True" if k < order else ""
            lines += [f"(d{k},) = torch.autograd.grad({prev}.sum(), {x}{create})", f"print(d{k})"]
            prev = f"d{k}"
        return lines


class _JaxLines:
    @staticmethod
    def array(name: str, values: Any, dtype: str, grad: bool) -> str:
        return f"{name} = jnp.array({_list(values)}, dtype=jnp.{dtype})"

    @staticmethod
    def derivatives(x: str, order: int, jacobian: bool) -> list[str]:
        lines = [f"print(f({x}))"]
        if jacobian and order:
            return [*lines, f"print(jax.jacrev(f)({x}))"]
        prev = "f"
        for k in range(1, order + 1):
            lines += [f"d{k} = jax.grad(lambda v: jnp.sum({prev}(v)))", f"print(d{k}({x}))"]
            prev = f"d{k}"
        return lines


_TORCH, _JAX = _TorchLines(), _JaxLines()


def _callables(
    lib: Library, selected: list[spec.Activation | spec.Cost], scope: dict[str, Any],
    absent_modules: dict[str, str],
) -> tuple[dict[str, Callable[..., Any]], dict[str, str], dict[str, tuple[str, str]]]:  # fmt: skip
    """Each selected entry's callable (the adapter's expression evaluated once in the
    library's modules), the calls audited, and the entries not audited with why."""
    fns: dict[str, Callable[..., Any]] = {}
    calls: dict[str, str] = {}
    absent: dict[str, tuple[str, str]] = {}
    for e in selected:
        expr = lib.calls.get(e.name)
        if expr is None:
            reason = lib.not_in_library.get(e.name, f"{lib.name} has no {e.name}")
            absent[e.name] = (NOT_IN_LIBRARY, reason)
            continue
        missing = [a for a in absent_modules if re.search(rf"\b{re.escape(a)}\.", expr)]
        if missing:
            absent[e.name] = (NOT_INSTALLED, absent_modules[missing[0]])
            continue
        # The adapters are gradspec's own data; evaluating them gives exactly the call the
        # reproducers print.
        fns[e.name] = eval(f"lambda {', '.join(params(e))}: {expr}", dict(scope))
        calls[e.name] = expr
    return fns, calls, absent


def _target(
    lib: Library, fns: dict[str, Callable[..., Any]], label: str, device: str
) -> tuple[Target, dict[str, str]]:
    """The in-process FRAMEWORK target of ``fns``, derivatives by the library's autodiff.

    A derivative the library refuses outright (torch.heaviside has no backward) is probed
    once on a small input and left out, named in the second value: that is an absent
    derivative, not wrong math, and the forward's own checks still run."""
    code = types.SimpleNamespace(FRAMEWORK=lib.framework, **fns)
    ns = FrameworkNamespace(code, label, lib.framework, device)  # UsageError: bad device
    planned = autodiff.plan(ns.names())
    refused: dict[str, dict[int, str]] = {}
    for d in planned:
        der = ns.adapter.derivative(ns.function(d.of), d.order, d.jacobian)
        try:
            ns.adapter.call(der, _sample(entry(d.entry)), {})
        except Exception as exc:
            refused.setdefault(d.entry, {})[d.order] = _first_line(exc)
    # A refused order takes the higher ones with it (they are derivatives of it).
    kept = [d for d in planned if d.entry not in refused or d.order < min(refused[d.entry])]
    ns.add_derived(kept)
    target = third_party(ns, derived=kept, route=ns.adapter.route)
    reasons = {
        e: "; ".join(f"{_ORDINAL[k]} derivative: {why}" for k, why in sorted(by.items()))
        for e, by in refused.items()
    }
    return target, reasons


_ORDINAL = {1: "first", 2: "second"}


def run_audit(
    name: str,
    options: Options | None = None,
    *,
    functions: Collection[str] | None = None,
    progress: Progress | None = None,
) -> Audit:
    """Audit library ``name`` (``torch``, ``jax``) with ``options`` (profile, groups, device,
    dtypes: by default every dtype of ``options.DTYPES`` the library supports).
    ``functions``: only these registry entries (default: all).  UsageError (one line) for an
    unknown or absent library, a device it does not have, a dtype it does not support."""
    start = time.perf_counter()
    lib = library(name)
    options = options or Options.make()
    asked = options.dtypes
    if asked is not None:
        bad = [d for d in asked if d not in lib.dtypes]
        if bad:
            raise UsageError(f"{lib.name} does not compute in {', '.join(bad)}")
    dtypes = asked if asked is not None else lib.supported_dtypes()
    options = dataclasses.replace(options, dtypes=dtypes)
    if not {"activations", "costs"} & set(options.only):
        raise UsageError("an audit checks activations and costs; --only has neither")
    entries = [e for e in (*spec.ACTIVATIONS, *spec.COSTS) if _group(e) in options.only]
    if functions is not None:
        wanted = {entry(f).name for f in functions}  # UnknownName for a typo
        entries = [e for e in entries if e.name in wanted]
    scope, absent_modules = _scope(lib)
    versions = _versions(lib)
    fns, calls, absent = _callables(lib, entries, scope, absent_modules)
    label = f"{lib.name} {versions.get(lib.distributions[0], '')}".strip()
    if not fns:
        raise UsageError(f"{lib.name}: nothing to audit among {[e.name for e in entries]}")
    target, refused = _target(lib, fns, label, options.device)
    with target:
        report = runner.run(target, options, progress)
    audit = Audit(lib, versions, options.device, options, report, calls, absent, refused)
    audit.seconds = time.perf_counter() - start
    return audit
