"""Binding an implementation's names to the spec: which functions it offers for which entry.

An implementation is anything that exposes functions by the protocol names of
``docs/design.md`` (the NumPy reference, the JAX backend, a user's module).  A
:class:`Namespace` hides whether the functions run in this process (built-ins) or in an
isolated worker (third-party candidates, see :mod:`.isolation`); :func:`bind` maps the
registry onto whatever the namespace defines.  Anything not defined is simply not checked and
is listed as missing.

Third-party naming, besides the protocol names: ``d<act>`` for ``<act>_der``;
``<ACT>_DER_WRT = "output"`` when the derivative takes a = f(z) (the classic
``sigmoid_der(output) = output * (1 - output)``); a single ``cost``/``dcost`` pair declared by
``COST = "<registry name>"`` and ``COST_REDUCTION = "none" | "sum" | "mean"``.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gradspec import spec
from gradspec.conformance.engine.calling import Namespace
from gradspec.spec import Activation, Cost


class ModuleNamespace:
    """An in-process module or object (built-in implementations)."""

    def __init__(self, module: Any, label: str | None = None, import_path: str | None = None):
        self.module = module
        self.label = label or getattr(module, "__name__", type(module).__name__)
        self.import_path = import_path or getattr(module, "__name__", None)

    def names(self) -> set[str]:
        return {n for n in dir(self.module) if not n.startswith("_")}

    def constant(self, name: str, default: Any = None) -> Any:
        value = getattr(self.module, name, default)
        return default if callable(value) or isinstance(value, types.ModuleType) else value

    def call(self, name: str, *args: Any) -> Any:
        return getattr(self.module, name)(*args)

    def function(self, name: str) -> Callable[..., Any]:
        return getattr(self.module, name)

    def import_line(self, name: str) -> str:
        if self.import_path:
            return f"from {self.import_path} import {name}"
        return f"# {name} from {self.label}"


@dataclass
class ActivationBinding:
    entry: Activation
    forward: str | None = None
    der: str | None = None
    der_wrt: str = "input"  # "input": der(z); "output": der(f(z))
    der2: str | None = None
    der_output: str | None = None
    wrt_declared: bool = False  # <ACT>_DER_WRT was given
    wrt_inferred: bool = False  # der_wrt = "output" was inferred from the values (convention)
    label: str = ""  # the subject's name when not the entry's (an extra autodiff subject)
    derivatives_only: bool = False  # only the derivative checks apply (see .autodiff)

    @property
    def subject(self) -> str:
        return self.label or self.entry.name


@dataclass
class CostBinding:
    entry: Cost
    value: str | None = None
    der: str | None = None
    der2: str | None = None
    reduction: str = "none"
    label: str = ""  # the subject's name when not the entry's (an extra autodiff subject)
    derivatives_only: bool = False  # only the derivative checks apply (see .autodiff)

    @property
    def subject(self) -> str:
        return self.label or self.entry.name


@dataclass
class Bindings:
    activations: list[ActivationBinding] = field(default_factory=list)
    costs: list[CostBinding] = field(default_factory=list)
    delta: str | None = None
    found: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # declarations that make no sense


def _first(names: set[str], *candidates: str) -> str | None:
    return next((c for c in candidates if c in names), None)


def bind(ns: Namespace) -> Bindings:
    """Map the registry onto the names ``ns`` defines."""
    names = ns.names()
    b = Bindings()
    for act in spec.ACTIVATIONS:
        for base in (act.name, *act.aliases):
            forward = _first(names, base)
            der = _first(names, f"{base}_der", f"d{base}")
            der2 = _first(names, f"{base}_der2", f"d2{base}")
            der_out = _first(names, f"{base}_der_output")
            if not (forward or der or der2 or der_out):
                continue
            declared = ns.constant(f"{base.upper()}_DER_WRT")
            wrt = "input" if declared is None else declared
            if wrt not in ("input", "output"):
                b.problems.append(
                    f"{base.upper()}_DER_WRT must be 'input' or 'output', not {wrt!r}"
                )
                wrt = "input"
            b.activations.append(
                ActivationBinding(
                    act, forward, der, wrt, der2, der_out, wrt_declared=declared is not None
                )
            )
            b.found += [n for n in (forward, der, der2, der_out) if n]
            break
    for c in spec.COSTS:
        for base in (c.name, *c.aliases):
            value = _first(names, base)
            der = _first(names, f"{base}_der", f"d{base}")
            der2 = _first(names, f"{base}_der2")
            if value or der:
                b.costs.append(CostBinding(c, value, der, der2))
                b.found += [n for n in (value, der, der2) if n]
                break
    declared = ns.constant("COST")
    if declared is not None and ("cost" in names or "dcost" in names):
        try:
            entry = spec.cost(str(declared))
        except spec.UnknownName as exc:
            b.problems.append(f"COST: {exc}")
        else:
            reduction = ns.constant("COST_REDUCTION", "none")
            if reduction not in ("none", "sum", "mean"):
                b.problems.append(f"COST_REDUCTION must be none, sum or mean, not {reduction!r}")
                reduction = "none"
            b.costs = [cb for cb in b.costs if cb.entry.name != entry.name]
            b.costs.append(
                CostBinding(entry, _first(names, "cost"), _first(names, "dcost"), None, reduction)
            )
            b.found += [n for n in ("cost", "dcost") if n in names]
    elif "cost" in names or "dcost" in names:
        b.problems.append('cost/dcost found but no COST = "<registry cost name>" declared')
    if "delta" in names:
        b.delta = "delta"
        b.found.append("delta")
    return b
