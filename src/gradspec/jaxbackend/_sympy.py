"""Registry expressions as raw jnp functions: ``sympy.lambdify`` with the JAX printer.

Used for the two pieces of registry knowledge the backend evaluates rather than restates:
the closed forms of pairs (:func:`closed_form`, in a and y) and the preimages behind
output-form derivatives (:func:`inverse`, in a).  Python-number constants in the generated code
are weakly typed, so float32 inputs stay float32.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import sympy as sp

from gradspec import spec


@functools.cache
def closed_form(activation: str, cost: str) -> Callable:
    """The pair's claimed dC/dz as a function of (a, y), in the registry's order of operations
    (``activation``, ``cost``: ids; a parameter in the form takes the bound value)."""
    p = spec.pair(activation, cost)
    expr = spec.closed_form_expr(p, evaluate=False)
    if expr is None:
        raise KeyError(f"{activation}+{cost} has no closed form")
    subs = {**p.activation.substitutions(), **p.cost.substitutions()}
    return sp.lambdify((spec.A, spec.Y), expr.subs(subs) if subs else expr, modules="jax")


def inverse(activation: str) -> Callable | None:
    """z = f^-1(a, **params) from ``Activation.inverse`` at the parameter values (the
    defaults when none are given), or None where the registry declares none."""
    entry = spec.activation(activation)
    if entry.inverse is None:
        return None

    def inv(a, **params):
        bound = entry.bind(params).id if params else entry.name
        return _inverse_at(bound)(a)

    return inv


@functools.cache
def _inverse_at(activation_id: str) -> Callable:
    return sp.lambdify(spec.A, spec.activation(activation_id).inverse, modules="jax")
