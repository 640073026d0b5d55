"""Mistakes in a pair's composed dC/dz (an implementation's ``delta``): the parameter value
it really uses (``parameter_mismatch``: an output layer's delta written for another slope,
beta, delta or gamma than the one declared in ``PARAMS``).

The candidate's ``delta`` is called on a fixed probe (a 2x4 batch of logits in [-2, 2] and
targets from the cost's domain) and fitted, one parameter of one entry at a time, to the
reference delta with that parameter free (:mod:`.params`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from gradspec import spec
from gradspec.conformance.checks.pairs import split_id
from gradspec.conformance.diagnosis import costs, params
from gradspec.conformance.diagnosis.catalog import Signature
from gradspec.conformance.targets.namespace import Bindings, Namespace
from gradspec.reference import chain


def probe_inputs(p: spec.Pair, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """A fixed (z, y) batch for ``p``: logits in [-2, 2] (no activation saturates there),
    the cost's probe targets; one-hot rows for a simplex target with a vector activation."""
    rng = np.random.default_rng(11)
    z = rng.uniform(-2.0, 2.0, (2, 4))
    if p.cost.target_simplex and p.activation.vector:
        y = np.eye(4)[rng.integers(0, 4, 2)]
    else:
        y = costs.probe_inputs(p.cost, np.dtype(np.float64))[1]
    return z.astype(dtype), y.astype(dtype)


@dataclass
class Probe:
    """The candidate's ``delta`` on the probe: ``args`` are the names it was called with."""

    pair: spec.Pair
    args: tuple[str, str]
    dtype: np.dtype
    z64: np.ndarray
    y64: np.ndarray
    got: object

    def where(self, entry: spec.Activation | spec.Cost) -> str:
        act, cost = self.args
        return f"the {entry.name} in delta({act!r}, {cost!r}, z, y)"


def probe(ns: Namespace, b: Bindings, subject: str, dtype: np.dtype, kind: str) -> Probe | None:
    """The probe of a failing check of the pair ``subject`` (its id), or None."""
    if b.delta is None or kind != "derivative":
        return None
    act_id, cost_id = split_id(subject)
    p = spec.pair(act_id, cost_id)
    if not (p.activation.params or p.cost.params):
        return None
    z, y = probe_inputs(p, dtype)
    args = (p.activation.id, p.cost.id) if b.delta_ids else (p.activation.name, p.cost.name)
    got = ns.call(b.delta, *args, z, y)
    return Probe(p, args, dtype, z.astype(np.float64), y.astype(np.float64), got)


def _param(p: Probe) -> Iterator[str]:
    """The activation's parameters, then the cost's, each fitted with the other entry at its
    checked values."""
    act, cost = p.pair.activation, p.pair.cost

    def reference(entry: spec.Activation | spec.Cost):
        def at(values: Mapping[str, float]) -> np.ndarray:
            # by id: the reference binds it once (a bound entry costs ~2 ms of SymPy)
            bound = entry.id_at(values)
            a, c = (bound, cost.id) if entry is act else (act.id, bound)
            return chain.delta(a, c, p.z64, p.y64)

        return at

    for entry in (act, cost):
        if entry.params:
            found = list(params.detect(entry, p.got, reference(entry), p.dtype, p.where(entry)))
            if found:  # one parameter explains it: the other entry's is not fitted too
                yield from found
                return


ENTRIES: tuple[Signature, ...] = (Signature("parameter_mismatch", "pair", _param),)
