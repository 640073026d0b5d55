"""Attaching diagnoses to a report: every failed result, by its own check id.

A result names its subject (a registry activation or cost, or a network label), dtype and
check; the subject is looked up in the candidate's bindings and networks, the check's kind
(:func:`.catalog.kind_of`) selects the detectors, and the family module builds the probe.
Results of one subject, dtype and kind share one diagnosis (the probe is the same).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradspec.conformance.checks.pairs import split_id
from gradspec.conformance.diagnosis import activations, costs, networks, pairs, state, vector
from gradspec.conformance.diagnosis.catalog import Kind, kind_of, run

ENTRIES = (
    *activations.ENTRIES,
    *vector.ENTRIES,
    *costs.ENTRIES,
    *pairs.ENTRIES,
    *networks.ENTRIES,
    *state.ENTRIES,
)


def _diagnose(target: Any, subject: str, dtype: np.dtype, kind: Kind) -> list[str]:
    """The diagnoses of a failing ``kind`` check of ``subject`` in ``dtype``."""
    ns = target.ns
    by_act = {b.subject: b for b in target.bindings.activations}
    by_cost = {b.subject: b for b in target.bindings.costs}
    by_net = {n.label: n for n in target.networks}
    if kind == "state":
        if subject in by_act:
            probes = state.for_activation(ns, by_act[subject], dtype)
        elif subject in by_cost:
            probes = state.for_cost(ns, by_cost[subject], dtype)
        elif subject in by_net:
            probes = state.for_network(by_net[subject], dtype)
        else:
            return []
        return [d for p in probes for d in run(state.ENTRIES, p, kind)]
    if subject in by_act and by_act[subject].entry.vector:
        probe, entries = vector.probe(ns, by_act[subject], dtype, kind), vector.ENTRIES
    elif subject in by_act:
        probe, entries = activations.probe(ns, by_act[subject], dtype, kind), activations.ENTRIES
    elif subject in by_cost:
        probe, entries = costs.probe(ns, by_cost[subject], dtype, kind), costs.ENTRIES
    elif subject in by_net:
        probe, entries = networks.probe(by_net[subject], dtype, kind), networks.ENTRIES
    elif len(split_id(subject)) == 2:  # a pair, through delta
        probe = pairs.probe(ns, target.bindings, subject, dtype, kind)
        entries = pairs.ENTRIES
    else:  # reductions: no catalog
        return []
    return [] if probe is None else run(entries, probe, kind)


def diagnose_report(target: Any, report: Any) -> None:
    """Fill ``diagnosis`` of every failed result of ``report`` (after the run; a courtesy
    that never fails: a candidate misbehaving on the probe gets no diagnosis).

    ``target`` offers ``ns``, ``bindings`` and ``networks`` (a loaded candidate); each result
    is diagnosed from its own subject, dtype and check, whatever the order of the results.
    """
    cache: dict[tuple[str, str, Kind], list[str]] = {}
    by_id: dict[str, list[str]] = {}
    for res in report.results:
        if res.status not in ("fail", "error"):
            continue
        key = (res.subject, res.dtype, kind_of(res.check))
        if key not in cache:
            try:
                cache[key] = _diagnose(target, res.subject, np.dtype(res.dtype), key[2])
            except KeyboardInterrupt:
                raise
            except Exception:  # the candidate misbehaves on the probe: no diagnosis
                cache[key] = []
        by_id[res.id] = cache[key]
    for res in report.results:
        if res.id in by_id:
            res.diagnosis = list(by_id[res.id])
