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

import dataclasses
import functools
import random
import types
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gradspec import spec
from gradspec.conformance.engine.calling import Namespace
from gradspec.errors import UsageError
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
        return self.function(name)(*args)

    def function(self, name: str) -> Callable[..., Any]:
        """The function called ``name``; a bound name ``leaky_relu_der[slope=0.2]`` (the
        values :func:`drawn` gives a built-in) is the function with those keyword values."""
        base, values = spec.parse_id(name)
        fn = getattr(self.module, base)
        if values:
            return functools.partial(fn, **{k: float(v) for k, v in values.items()})
        return fn

    def import_line(self, name: str) -> str:
        base = spec.parse_id(name)[0]
        if self.import_path:
            return f"from {self.import_path} import {base}"
        return f"# {base} from {self.label}"


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
        return self.label or self.entry.id


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
        return self.label or self.entry.id


@dataclass
class Bindings:
    activations: list[ActivationBinding] = field(default_factory=list)
    costs: list[CostBinding] = field(default_factory=list)
    delta: str | None = None
    found: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # declarations that make no sense
    #: The declared parameter values (``PARAMS``, validated): entry name -> every value.
    params: dict[str, dict[str, float]] = field(default_factory=dict)
    #: Entries at drawn values (:func:`drawn`), whose pairs ``delta`` is checked at too.
    drawn: list[Activation | Cost] = field(default_factory=list)
    #: ``delta`` receives bound ids (``delta("softplus[beta=2]", "squared", z, y)``, the
    #: built-ins); else registry names, and computes at the declared values.
    delta_ids: bool = False


def _first(names: set[str], *candidates: str) -> str | None:
    return next((c for c in candidates if c in names), None)


Params = Mapping[str, Mapping[str, float]]

#: The manifest name a candidate declares its parameter values under.
PARAMS = "PARAMS"


def read_params(ns: Namespace) -> dict[str, dict[str, float]]:
    """The candidate's ``PARAMS = {"leaky_relu": {"slope": 0.2}}``, validated against the
    registry: an unknown function or parameter, a non-number, a non-finite or out-of-range
    value is a :class:`~gradspec.errors.UsageError` (one line, exit 2)."""
    raw = ns.constant(PARAMS)
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise UsageError(f"{ns.label}: {PARAMS} must be a dict, not {type(raw).__name__}")
    out: dict[str, dict[str, float]] = {}
    for name, values in raw.items():
        if not isinstance(values, Mapping):
            raise UsageError(
                f"{ns.label}: {PARAMS}[{name!r}] must be a dict of parameter values, "
                f"not {type(values).__name__}"
            )
        try:
            entry = spec.bind(str(name), values)
        except (spec.UnknownName, spec.InvalidParameter) as exc:
            raise UsageError(f"{ns.label}: {PARAMS}: {exc}") from None
        if entry.name != name:  # an alias: the values belong to the entry
            raise UsageError(f"{ns.label}: {PARAMS}: use the registry name {entry.name!r}")
        out[entry.name] = dict(entry.values)
    return out


def bind(ns: Namespace, params: Params | None = None) -> Bindings:
    """Map the registry onto the names ``ns`` defines; an entry named in ``params`` (a
    candidate's ``PARAMS``, already validated) is checked at those values."""
    names = ns.names()
    params = params or {}
    b = Bindings(params={k: dict(v) for k, v in params.items()})

    def at(entry):
        return entry.bind(params[entry.name]) if entry.name in params else entry

    for act in map(at, spec.ACTIVATIONS):
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
    for c in map(at, spec.COSTS):
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
            entry = at(spec.cost(str(declared)))
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


#: How many parameter values ``gradspec verify`` draws per parameterised entry, besides the
#: defaults; quick and ci draw them derandomized (the same values every run).
DRAWS = {"quick": 1, "ci": 2, "thorough": 4}


def draw_values(entry: Activation | Cost, profile: str) -> list[dict[str, float]]:
    """Parameter values to check ``entry`` at besides its defaults: ``DRAWS[profile]`` points
    of each parameter's ``draw`` range, log-uniform (scale parameters), three significant
    digits (readable ids).  Seeded by the entry's name in quick and ci; thorough draws afresh."""
    seed = zlib.crc32(f"{entry.name}:{profile}".encode()) if profile != "thorough" else None
    rng = random.Random(seed)
    out = []
    for _ in range(DRAWS.get(profile, 1)):
        values = {}
        for p in entry.params:
            lo, hi = p.draw
            v = lo * (hi / lo) ** rng.random() if lo > 0 else rng.uniform(lo, hi)
            values[p.name] = float(f"{v:.3g}")
        if values != entry.defaults:
            out.append(values)
    return out


def drawn(b: Bindings, profile: str) -> list[ActivationBinding | CostBinding]:
    """Extra bindings of a built-in implementation: each parameterised entry it binds, at the
    values :func:`draw_values` gives, its functions called with them as keyword arguments
    (the bound protocol names ``leaky_relu_der[slope=0.2]`` of :class:`ModuleNamespace`)."""
    out: list[ActivationBinding | CostBinding] = []
    for binding in (*b.activations, *b.costs):
        entry = binding.entry
        if not entry.params or binding.label or binding.derivatives_only:
            continue
        for values in draw_values(entry, profile):
            bound = entry.bind(values)
            inner = bound.id[len(bound.name) :]

            def name(fn: str | None, inner: str = inner) -> str | None:
                return None if fn is None else fn + inner

            changes = {
                f.name: name(getattr(binding, f.name))
                for f in dataclasses.fields(binding)
                if f.name in ("forward", "der", "der2", "der_output", "value")
            }
            out.append(dataclasses.replace(binding, entry=bound, **changes))
    return out
