"""Mistakes of state: an argument modified in place, a result that changes between identical
calls (state kept, gradients accumulated).

One probe per function: an activation's forward and derivative on a grid, a cost's value and
derivative on its probe batch, a network's ``grads`` on its probe batch.  Each function is
called once on copies of its arguments (the arguments as it left them are compared with the
copies) and twice more on the same arguments (the two results are compared bit for bit).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from gradspec.conformance.diagnosis import costs, networks
from gradspec.conformance.diagnosis.catalog import Signature
from gradspec.conformance.engine.calling import Namespace
from gradspec.conformance.targets.namespace import ActivationBinding, CostBinding
from gradspec.conformance.targets.networks import NetTarget

_STATE = frozenset({"state"})


@dataclass
class Probe:
    """One function and the arguments it is called with.

    ``arg_names``: how the arguments are named in diagnoses (None: by position); a network's
    ``grads`` takes a dict of parameters, which is compared tensor by tensor.
    """

    ns: Namespace
    fn: str
    args: tuple
    arg_names: tuple[str, ...] | None = None


def for_activation(ns: Namespace, b: ActivationBinding, dtype: np.dtype) -> list[Probe]:
    z = np.linspace(-3, 3, 15, dtype=dtype)
    return [Probe(ns, f, (z,)) for f in (b.forward, b.der) if f]


def for_cost(ns: Namespace, cb: CostBinding, dtype: np.dtype) -> list[Probe]:
    a, y = costs.probe_inputs(cb.entry, dtype)
    return [Probe(ns, f, (a, y)) for f in (cb.value, cb.der) if f]


def for_network(target: NetTarget, dtype: np.dtype) -> list[Probe]:
    p = target.init_params(0, dtype)
    X, Y = networks.probe_inputs(target, p, dtype)
    return [Probe(target.ns, "grads", (p, X, Y), ("params", "X", "Y"))]


def _copy(arg: object) -> object:
    if isinstance(arg, dict):
        return {k: np.array(v, copy=True) for k, v in arg.items()}
    return np.array(arg, copy=True)


def _mutated(p: Probe) -> Iterator[str]:
    if not hasattr(p.ns, "call_with_args"):  # only isolated candidates report their arguments
        return
    res, after = p.ns.call_with_args(p.fn, *(_copy(a) for a in p.args))
    for i, (before, left) in enumerate(zip(p.args, after, strict=False)):
        if isinstance(before, dict):
            changed = [k for k in before if not np.array_equal(before[k], left.get(k))]
            if changed:
                yield (
                    f"{p.fn} modified {p.arg_names[i]}[{changed[0]!r}] in place "
                    f"(update applied inside {p.fn}?)"
                )
        elif p.arg_names is not None:
            if not np.array_equal(before, left):
                yield f"{p.fn} modified {p.arg_names[i]} in place"
        elif not np.array_equal(np.asarray(before), np.asarray(left), equal_nan=True):
            extra = ""
            if np.shape(left) == np.shape(res) and np.array_equal(
                np.asarray(left), np.asarray(res)
            ):
                extra = " (its result is written into the argument: out= or +=)"
            yield f"{p.fn} modified argument {i + 1} in place{extra}"


def _stateful(p: Probe) -> Iterator[str]:
    r1, r2 = p.ns.call(p.fn, *p.args), p.ns.call(p.fn, *p.args)
    if p.arg_names is None:
        if not np.array_equal(np.asarray(r1), np.asarray(r2), equal_nan=True):
            yield f"{p.fn} returns different values for the same input"
        return
    if not (isinstance(r1, dict) and isinstance(r2, dict)):
        return
    diff = [k for k in r1 if not np.array_equal(np.asarray(r1[k]), np.asarray(r2.get(k)))]
    if diff:
        k = diff[0]
        a, b = np.asarray(r1[k], np.float64), np.asarray(r2[k], np.float64)
        how = "changes between identical calls"
        if np.allclose(b, 2 * a, rtol=1e-6) or np.allclose(b - a, a, rtol=1e-6):
            how = "accumulates across calls (never reset to zero)"
        yield f"{p.fn}[{k!r}] {how}"


ENTRIES: tuple[Signature, ...] = (
    Signature("input_mutated", "state", _mutated, "an argument modified in place", kinds=_STATE),
    Signature(
        "stateful_gradients",
        "state",
        _stateful,
        "gradients that change between identical calls (state kept, accumulation)",
        kinds=_STATE,
    ),
)
