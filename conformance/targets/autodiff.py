"""Which derivatives a torch or JAX candidate gets from its framework's autodiff, and how they
are bound.

A candidate declaring ``FRAMEWORK`` that defines a forward (``gelu(z)``, a named cost
``half_squared(a, y)``, or ``cost(pred, true)`` with ``COST``) but no derivative is offered
one under the protocol name (``gelu_der``, ``gelu_der2``, ``half_squared_der``, ``dcost``),
computed by ``torch.autograd`` or ``jax.grad`` of the candidate's own forward (see
:mod:`.frameworks`): a custom backward or JVP rule is exactly what those checks then judge.
Where the candidate writes the derivative itself, that one keeps the protocol name and is
checked as before; the autodiff derivative is checked too, as the extra subject
``<entry>@autodiff`` (its derivative checks only), so ids stay unique.

The output form ``<act>_der_output(a)`` = f'(f^-1(a)) is offered where the registry declares
the stable preimage ``Activation.inverse`` (sigmoid, tanh, softplus, ...) and the candidate
writes none: the inverse is the registry's SymPy expression printed as Python (the worker
cannot import gradspec) and evaluated with the framework's functions, then f' is autodiff of
the candidate's own forward there.  A hand-written output form is checked as it is (no extra
autodiff subject for it: the input-form derivative already judges the same backward).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

import sympy as sp
from sympy.codegen.rewriting import optimize, optims_c99

from gradspec import spec
from gradspec.conformance.targets.namespace import Bindings

#: Suffix of the extra subject (and function names) of an autodiff derivative checked next
#: to a hand-written one: ``derivative[gelu@autodiff:float64]``.
EXTRA = "@autodiff"


@dataclass(frozen=True)
class Derived:
    """One derivative by autodiff: function ``name`` is the ``order``-th derivative of the
    candidate's ``of`` (a protocol name) with respect to its first argument; ``jacobian``:
    per row (softmax); ``entry``: the registry entry; ``extra``: a hand-written one exists;
    ``inverse``: an output form, the first derivative evaluated at this printed preimage
    (the registry's ``Activation.inverse`` in ``a``)."""

    name: str
    of: str
    order: int
    jacobian: bool
    entry: str
    extra: bool = False
    inverse: str | None = None

    def row(self, of: str) -> tuple[str, str, int, bool, str | None]:
        """What the worker needs, with ``of`` the candidate's own name of the forward."""
        return (self.name, of, self.order, self.jacobian, self.inverse)


@cache
def inverse_source(activation: str) -> str | None:
    """The registry's stable preimage f^-1(a) of ``activation`` as a Python expression in
    ``a`` (SymPy's function names; ``log(1 + x)`` as ``log1p(x)``), or None."""
    inverse = spec.activation(activation).inverse
    return None if inverse is None else sp.sstr(optimize(inverse, optims_c99))


def _first(names: set[str], *candidates: str) -> str | None:
    return next((c for c in candidates if c in names), None)


def _orders(base: str, entry: str, names: set[str], ders: tuple[tuple[str, ...], ...], jac: bool):
    """Derived rows for forward ``base``: per order (1, 2, ...) the protocol name when the
    candidate has none, else an extra name."""
    out = []
    for order, spellings in enumerate(ders, start=1):
        own = _first(names, *spellings)
        name = spellings[0] + (EXTRA if own else "")
        out.append(Derived(name, base, order, jac and order == 1, entry, extra=bool(own)))
    return out


def plan(
    names: set[str], cost_declared: object = None, params: Mapping | None = None
) -> list[Derived]:
    """The derivatives to take by autodiff for a candidate defining ``names`` (``params``:
    its declared parameter values, which the output form's preimage is at)."""
    out: list[Derived] = []
    params = params or {}
    for act in spec.ACTIVATIONS:
        base = _first(names, act.name, *act.aliases)
        if base is None:
            continue
        ders = ((f"{base}_der", f"d{base}"),)
        if not act.vector:  # no second derivative of softmax in the protocol
            ders += ((f"{base}_der2", f"d2{base}"),)
        out += _orders(base, act.name, names, ders, act.vector)
        at = act.bind(params[act.name]) if act.name in params else act
        inverse = inverse_source(at.id)
        if inverse is not None and f"{base}_der_output" not in names:
            out.append(Derived(f"{base}_der_output", base, 1, False, act.name, inverse=inverse))
    for c in spec.COSTS:
        base = _first(names, c.name, *c.aliases)
        if base is None:
            continue
        ders = ((f"{base}_der", f"d{base}"),)
        if not c.vector:
            ders += ((f"{base}_der2",),)
        out += _orders(base, c.name, names, ders, False)
    if cost_declared is not None and "cost" in names:
        try:
            entry = spec.cost(str(cost_declared)).name
        except spec.UnknownName:
            return out  # bind() reports it
        out += _orders("cost", entry, names, (("dcost",),), False)
    return out


def add_extras(b: Bindings, derived: list[Derived]) -> None:
    """Bind the autodiff derivatives: those under protocol names take the input as their
    argument (no convention to infer); the extra ones become ``<entry>@autodiff`` subjects
    next to the candidate's own binding of the entry."""
    by_name = {d.name for d in derived}
    for ab in list(b.activations):
        if ab.der in by_name:
            ab.der_wrt, ab.wrt_declared = "input", True
        extra = [d for d in derived if d.extra and d.entry == ab.entry.name and ab.forward]
        if extra:
            der = next((d.name for d in extra if d.order == 1), None)
            der2 = next((d.name for d in extra if d.order == 2), None)
            b.activations.append(
                dataclasses.replace(
                    ab, der=der or ab.der, der2=der2, der_output=None, der_wrt="input",
                    wrt_declared=True, wrt_inferred=False, label=ab.entry.id + EXTRA,
                    derivatives_only=True,
                )
            )  # fmt: skip
            b.found += [n for n in (der, der2) if n]
    for cb in list(b.costs):
        extra = [d for d in derived if d.extra and d.entry == cb.entry.name and cb.value]
        extra = [d for d in extra if (d.of == "cost") == (cb.value == "cost")]
        if extra:
            der = next((d.name for d in extra if d.order == 1), None)
            der2 = next((d.name for d in extra if d.order == 2), None)
            b.costs.append(
                dataclasses.replace(
                    cb, der=der or cb.der, der2=der2, label=cb.entry.id + EXTRA,
                    derivatives_only=True,
                )
            )  # fmt: skip
            b.found += [n for n in (der, der2) if n]
