"""The two implementations (hand-written, autodiff) as tables of raw functions, jitted lazily.

Both tables are built from the registry: the hand-written one holds every protocol name
:mod:`._ops` defines; the autodiff one differentiates every forward :mod:`._ops` defines
(``N_der_output`` only where the registry declares the inverse it needs).  A registry function
neither provides is absent, never an import error.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from gradspec import spec

from . import _autodiff_ops as ad
from . import _ops, _sympy
from ._protocol import jit_all, protocol_table, wrap_all

#: Functions of the protocol that belong to no single entry (every table has them).
SHARED = spec.SHARED_PROTOCOL_NAMES


def _hand_ops() -> dict[str, Callable]:
    return {n: getattr(_ops, n) for n in spec.all_protocol_names() if hasattr(_ops, n)}


def _autodiff_activation(act: spec.Activation, f: Callable) -> dict[str, Callable]:
    n = act.name
    if act.vector:
        return {n: f, n + "_der": ad.jacobian(f), n + "_vjp": ad.vjp(f)}
    ops = {n: f, n + "_der": ad.d1(f), n + "_der2": ad.d2(f)}
    inverse = _sympy.inverse(n)
    if act.output_derivative is not None and inverse is not None:
        ops[n + "_der_output"] = ad.der_output(f, inverse)
    return ops


def _autodiff_cost(c: spec.Cost, f: Callable) -> dict[str, Callable]:
    n = c.name
    if c.vector:
        return {n: f, n + "_der": ad.row_cost_grad(f), n + "_der2": ad.row_cost_hessian(f)}
    return {n: f, n + "_der": ad.d1_cost(f), n + "_der2": ad.d2_cost(f)}


def _autodiff_ops() -> dict[str, Callable]:
    ops: dict[str, Callable] = {}
    for act in spec.ACTIVATIONS:
        if hasattr(_ops, act.name):
            ops.update(_autodiff_activation(act, getattr(_ops, act.name)))
    for c in spec.COSTS:
        if hasattr(_ops, c.name):
            ops.update(_autodiff_cost(c, getattr(_ops, c.name)))
    ops["reduce"] = _ops.reduce
    ops["reduce_der"] = ad.reduce_der
    ops["delta"] = ad.delta
    return ops


HAND_OPS = _hand_ops()
AUTODIFF_OPS = _autodiff_ops()
HAND_RAW = jit_all(HAND_OPS)
AUTODIFF_RAW = jit_all(AUTODIFF_OPS)


@functools.cache
def wrapped(kind: str, device=None) -> dict[str, Callable]:
    """NumPy-facing protocol functions of ``kind`` ("hand" or "autodiff") on ``device``."""
    if kind == "hand":
        return wrap_all(HAND_OPS, HAND_RAW, device, "hand")
    return wrap_all(AUTODIFF_OPS, AUTODIFF_RAW, device, "autodiff")


def protocol_names(kind: str = "hand") -> tuple[str, ...]:
    """Every canonical protocol name the ``kind`` implementation offers (aliases excluded)."""
    ops = HAND_OPS if kind == "hand" else AUTODIFF_OPS
    return (*(row[0] for row in protocol_table(ops)), *SHARED)
