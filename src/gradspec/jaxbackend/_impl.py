"""The two implementations (hand-written, autodiff) as tables of raw functions, jitted lazily."""

from __future__ import annotations

import functools
from collections.abc import Callable

from gradspec import spec

from . import _autodiff_ops as ad
from . import _ops
from ._protocol import jit_all, protocol_names, wrap_all


def _hand_ops() -> dict[str, Callable]:
    return {n: getattr(_ops, n) for n in protocol_names()}


def _autodiff_ops() -> dict[str, Callable]:
    ops: dict[str, Callable] = {}
    for act in spec.ACTIVATIONS:
        f = getattr(_ops, act.name)
        ops[act.name] = f
        if act.vector:
            continue
        ops[act.name + "_der"] = ad.d1(f)
        ops[act.name + "_der2"] = ad.d2(f)
        if act.output_derivative is not None:
            ops[act.name + "_der_output"] = ad.der_output(act.name)
    ops["softmax_der"] = ad.softmax_der
    ops["softmax_vjp"] = ad.softmax_vjp
    for c in spec.COSTS:
        f = getattr(_ops, c.name)
        ops[c.name] = f
        if not c.vector:
            ops[c.name + "_der"] = ad.d1_cost(f)
            ops[c.name + "_der2"] = ad.d2_cost(f)
    ops["cross_entropy_logits_der"] = ad.cross_entropy_logits_der
    ops["cross_entropy_logits_der2"] = ad.cross_entropy_logits_der2
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
        return wrap_all(HAND_OPS, HAND_RAW, device)
    return wrap_all(AUTODIFF_OPS, AUTODIFF_RAW, device)
