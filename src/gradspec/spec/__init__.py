"""The spec registry: every activation, cost and reduction gradspec knows, declared once.

Everything else (derivations, the reference and JAX implementations' cross-checks, hypothesis
strategies, conformance checks, benchmarks and the rendered docs) iterates over these tuples.
Adding an activation is one :class:`Activation` entry here plus its hand-written reference code.
Knowledge about how entries combine lives here too: what a cost on logits fuses
(``Cost.fuses``), the closed forms of pairs (``Cost.closed_forms``), which output layers are
allowed (:func:`validate_output_layer`), the inverse used for output-form derivatives
(``Activation.inverse``) and the protocol names an implementation offers per entry
(:func:`protocol_names`, :func:`alias_names`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

import sympy as sp

from ._types import (
    REALS,
    A,
    Activation,
    Cost,
    Interval,
    InvalidParameter,
    Kink,
    Pair,
    Param,
    Reduction,
    Y,
    Z,
    closed,
    format_value,
)
from .activations import (
    ACTIVATIONS,
    ELU_ALPHA,
    GELU_TANH_CUBIC,
    LEAKY_SLOPE,
    SELU_ALPHA,
    SELU_LAMBDA,
)
from .costs import COSTS, FUSED_LINKS, HUBER_DELTA, POISSON_LOG_RATE_MAX
from .reductions import REDUCTIONS

__all__ = [
    "ACTIVATIONS",
    "COSTS",
    "ELU_ALPHA",
    "FUSED_LINKS",
    "GELU_TANH_CUBIC",
    "HUBER_DELTA",
    "LEAKY_SLOPE",
    "PAIRS",
    "POISSON_LOG_RATE_MAX",
    "REALS",
    "REDUCTIONS",
    "SELU_ALPHA",
    "SELU_LAMBDA",
    "SHARED_PROTOCOL_NAMES",
    "A",
    "Activation",
    "Cost",
    "Interval",
    "InvalidParameter",
    "Kink",
    "Pair",
    "Param",
    "Reduction",
    "UnknownName",
    "Y",
    "Z",
    "activation",
    "alias_names",
    "all_protocol_names",
    "bind",
    "closed",
    "closed_form_expr",
    "cost",
    "default",
    "format_value",
    "pair",
    "parameterised",
    "parse_id",
    "protocol_names",
    "reduction",
    "validate_output_layer",
]


class UnknownName(KeyError):
    """A name that is not in the registry; the message lists the valid ones."""

    def __str__(self) -> str:  # KeyError quotes its message; we want plain text
        return str(self.args[0])


def _index(entries: tuple) -> dict:
    table = {}
    for e in entries:
        for key in (e.name, *getattr(e, "aliases", ())):
            if key in table:
                raise ValueError(f"duplicate registry name {key!r}")
            table[key] = e
    return table


_ACT = _index(ACTIVATIONS)
_COST = _index(COSTS)
_RED = _index(REDUCTIONS)


_ID = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\[(.*)\]$")


def parse_id(text: str) -> tuple[str, dict[str, str]]:
    """``leaky_relu[slope=0.2]`` -> ("leaky_relu", {"slope": "0.2"}); a plain name has none."""
    m = _ID.match(text)
    if m is None:
        return text, {}
    values = {}
    for part in filter(None, (p.strip() for p in m.group(2).split(","))):
        key, eq, value = part.partition("=")
        if not eq:
            raise InvalidParameter(f"{text}: write parameters as name=value, not {part!r}")
        values[key.strip()] = value.strip()
    return m.group(1), values


def _lookup(table: dict, name: str, what: str):
    base, values = parse_id(name)
    try:
        entry = table[base]
    except KeyError:
        names = ", ".join(sorted({e.name for e in table.values()}))
        raise UnknownName(f"unknown {what} {base!r}; known: {names}") from None
    return _bound(what, entry.name, tuple(values.items())) if values else entry


@functools.cache
def _bound(what: str, name: str, values: tuple) -> Activation | Cost:
    """Bound entries by name and values (entries themselves are unhashable)."""
    table = _ACT if what == "activation" else _COST
    return table[name].bind(dict(values))


def activation(name: str) -> Activation:
    """The activation entry called ``name`` (or one of its aliases), or bound at the values an
    id gives (``leaky_relu[slope=0.2]``)."""
    return _lookup(_ACT, name, "activation")


def cost(name: str) -> Cost:
    """The cost entry called ``name`` (or one of its aliases), or bound at the values an id
    gives (``huber[delta=2]``)."""
    return _lookup(_COST, name, "cost")


def default(entry_name: str, param: str) -> float:
    """The registry's default of one parameter (implementations' keyword defaults read it
    here, so the value is written once)."""
    table = _ACT if entry_name in _ACT else _COST
    for p in table[entry_name].params:
        if p.name == param:
            return p.default
    raise UnknownName(f"{entry_name} has no parameter {param!r}")


def parameterised() -> tuple[Activation | Cost, ...]:
    """The entries with parameters, in registry order."""
    return tuple(e for e in (*ACTIVATIONS, *COSTS) if e.params)


def bind(entry_name: str, values: Mapping[str, object]) -> Activation | Cost:
    """The activation or cost called ``entry_name`` bound at ``values`` (one-line
    :class:`InvalidParameter` or :class:`UnknownName` otherwise)."""
    table = _ACT if entry_name in _ACT else _COST if entry_name in _COST else None
    if table is None:
        names = ", ".join(sorted(e.name for e in (*ACTIVATIONS, *COSTS)))
        raise UnknownName(f"unknown function {entry_name!r}; known: {names}")
    return table[entry_name].bind(values)


def reduction(name: str) -> Reduction:
    """The reduction called ``name``: none, sum or mean."""
    return _lookup(_RED, name, "reduction")


def _make_pair(act: Activation, c: Cost) -> Pair:
    closed_form = c.closed_forms.get(act.name)
    if not c.pred_domain.includes(act.range):
        return Pair(
            act,
            c,
            valid=False,
            reason=f"{act.name} ranges over {act.range}, outside {c.name}'s prediction "
            f"domain {c.pred_domain}",
        )
    if c.target_simplex and not act.vector:
        # -y log a (or y log(y/a)) summed over classes is the categorical loss (the KL
        # divergence) only for outputs on the simplex.
        return Pair(
            act,
            c,
            valid=True,
            reason="elementwise term only: outputs are not a distribution",
            closed_form=closed_form,
        )
    return Pair(act, c, valid=True, closed_form=closed_form)


#: Every output activation x cost (on predictions) combination, valid or not; costs on logits
#: already include their output activation and are not paired.
PAIRS: tuple[Pair, ...] = tuple(
    _make_pair(act, c) for c in COSTS if c.inputs == "prediction" for act in ACTIVATIONS
)
_PAIR = {p.name: p for p in PAIRS}


def pair(activation_name: str, cost_name: str) -> Pair:
    """The pair of an output activation and a cost (either may be a bound id)."""
    act = activation(activation_name)
    c = cost(cost_name)
    if act.explicit or c.explicit:
        return _bound_pair(act.id, c.id)
    return _PAIR[f"{act.name}+{c.name}"]


@functools.cache
def _bound_pair(activation_id: str, cost_id: str) -> Pair:
    return _make_pair(activation(activation_id), cost(cost_id))


def validate_output_layer(activation_name: str, cost_name: str) -> tuple[Activation, Cost]:
    """The entries of an output layer (activation, then cost), or ValueError if unusable.

    A cost on logits already includes its output activation (``Cost.fuses``), so the layer's
    own activation must be ``identity``; any other cost must form a valid :class:`Pair` with
    the activation.  Either may be a bound id (``softplus[beta=2]``): the entries returned
    are bound at its values.  Unknown names raise :class:`UnknownName`, bad values
    :class:`InvalidParameter`.
    """
    act = activation(activation_name)
    c = cost(cost_name)
    if c.inputs == "logits":
        if act.name != "identity":
            raise ValueError(
                f"{c.name} is a cost on logits and already includes its output activation "
                f"({c.fuses}); use output activation 'identity', not {act.name!r}"
            )
        return act, c
    p = pair(act.id, c.id)
    if not p.valid:
        raise ValueError(f"pair {p.name} is not valid: {p.reason}")
    return act, c


def protocol_names(entry: Activation | Cost) -> tuple[str, ...]:
    """The functions an implementation offers for ``entry`` under the protocol of
    docs/design.md: ``N``, ``N_der`` and, where they apply, ``N_der2``, ``N_der_output``
    (activations with an output form) and ``N_vjp`` (vector activations); ``C``, ``C_der``,
    ``C_der2`` for costs."""
    n = entry.name
    if entry.kind == "cost":
        return (n, f"{n}_der", f"{n}_der2")
    names = [n, f"{n}_der"]
    if entry.vector:
        names.append(f"{n}_vjp")
    else:
        names.append(f"{n}_der2")
    if entry.output_derivative is not None:
        names.append(f"{n}_der_output")
    return tuple(names)


def alias_names(entry: Activation | Cost) -> dict[str, str]:
    """Alias protocol name -> canonical protocol name for ``entry`` (silu_der -> swish_der)."""
    n = len(entry.name)
    return {al + p[n:]: p for al in entry.aliases for p in protocol_names(entry)}


#: Protocol functions that belong to no single entry.
SHARED_PROTOCOL_NAMES = ("reduce", "reduce_der", "delta")


def all_protocol_names() -> tuple[str, ...]:
    """Every protocol name of the registry, in registry order (aliases excluded)."""
    out = [n for e in (*ACTIVATIONS, *COSTS) for n in protocol_names(e)]
    return (*out, *SHARED_PROTOCOL_NAMES)


def closed_form_expr(p: Pair, *, evaluate: bool = True) -> sp.Expr | None:
    """The claimed closed form of dC/dz as an expression in a (= f(z)) and y.

    ``evaluate=False`` keeps the registry's written order of operations (2*(a - y), not
    2*a - 2*y): implementations evaluate that form, so it rounds as written.
    """
    if p.closed_form is None:
        return None
    return sp.sympify(p.closed_form, locals={"a": A, "y": Y}, evaluate=evaluate)


def _check_references() -> None:
    """Names one entry gives for another must exist, and no activation parameter shares its
    SymPy symbol with a cost parameter (their pairs are derived in both; checked once, at
    import)."""
    act_symbols = {p.symbol.name for a in ACTIVATIONS for p in a.params}
    for c in COSTS:
        for p in c.params:
            if p.symbol.name in act_symbols:
                raise ValueError(f"{c.name}: give parameter {p.name} a symbol_name of its own")
    for c in COSTS:
        for name in (c.fuses, *c.closed_forms):
            if name is not None and name == c.fuses and name in FUSED_LINKS:
                continue
            if name is not None and activation(name).name != name:
                raise ValueError(f"{c.name}: use the canonical activation name, not {name!r}")


_check_references()
