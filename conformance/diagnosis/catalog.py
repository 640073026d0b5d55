"""The catalog's entry type and its runner: one entry per classic mistake and the family of
checks whose failures it explains.

An entry (:class:`Signature`) is an id (``sign_flipped``), the text of the mistake it names,
its family (``activation``, ``cost``, ``pair``, ``network`` or ``state``: what the detector
probes) and
its detector.  A detector takes the probe of its family (built once per failing subject and
dtype by the family module) and yields one "what and where" text per match; the runner
prefixes each with the id.  Diagnoses read ``"<signature id>: <what and where>"``.

The same mistake can be made in several families (a flipped sign in an activation's
derivative, in a cost's derivative, in a network's gradient): each family has its own entry
with the same id, and the text is given by exactly one of them (the others leave it empty).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

Family = Literal["activation", "cost", "pair", "network", "state"]

#: What a failing check is about, and so which detectors apply: the function's value, its
#: derivative (for networks: the gradient), a network's minibatches or train_step, or state
#: (mutated arguments, results that change between identical calls).
Kind = Literal["value", "derivative", "minibatch", "gd_update", "state"]

Detector = Callable[[Any], Iterable[str]]

_KINDS_OF_CHECK: dict[str, Kind] = {
    "value": "value",
    "minibatch": "minibatch",
    "gd_update": "gd_update",
    "determinism_mutation": "state",
}


def kind_of(check: str) -> Kind:
    """The kind of a check by its name; every other check is about the derivative."""
    return _KINDS_OF_CHECK.get(check, "derivative")


@dataclass(frozen=True)
class Signature:
    """One classic mistake as one family of checks detects it.

    ``kinds``: the failing checks it explains.  A ``fallback`` entry explains a failure no
    other entry of its family matched (the self-consistency diagnoses: they describe what the
    candidate is only when it is none of the specific mistakes); fallbacks are tried in
    catalog order and the first that matches ends the search.
    """

    id: str
    family: Family
    detect: Detector
    text: str = ""  # empty: the mistake is named by this id's entry in another family
    kinds: frozenset[Kind] = frozenset({"derivative"})
    fallback: bool = False


def run(entries: Iterable[Signature], probe: Any, kind: Kind) -> list[str]:
    """The diagnoses of ``probe`` for a failing check of ``kind``, in catalog order."""
    applicable = [e for e in entries if kind in e.kinds]
    found: list[str] = []

    def add(entry: Signature) -> None:
        for where in entry.detect(probe):
            item = f"{entry.id}: {where}"
            if item not in found:  # two formulas can coincide on a probe
                found.append(item)

    for entry in applicable:
        if not entry.fallback:
            add(entry)
    if not found:
        for entry in applicable:
            if entry.fallback:
                add(entry)
                if found:
                    break
    return found


def texts(entries: Iterable[Signature]) -> dict[str, str]:
    """id -> text over the whole catalog; every id is given its text exactly once."""
    entries = list(entries)
    out: dict[str, str] = {}
    for e in entries:
        if e.text:
            if e.id in out:
                raise ValueError(f"signature {e.id!r} is given a text twice")
            out[e.id] = e.text
    unnamed = sorted({e.id for e in entries} - out.keys())
    if unnamed:
        raise ValueError(f"signatures without a text: {', '.join(unnamed)}")
    return out
