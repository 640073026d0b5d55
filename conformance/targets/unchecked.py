"""The candidate's own functions that no check uses, for a report note: a function under a
name the registry does not know (``mse``, ``relu_grad``) is otherwise left out without a
word, and its author may take the silence for a pass.

Only functions defined in the candidate's file count (not ``from scipy.special import
expit``); names starting with ``_`` are private helpers and never listed.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from gradspec import spec

#: Protocol names that are not registry functions (docs/check.md): networks, the output
#: layer, reductions, the single-cost form.
_OTHER_PROTOCOL = frozenset(
    {
        "init_params", "loss", "grads", "train_step", "minibatch_grads", "model",
        "delta", "cost", "dcost", "reduce", "reduce_der",
    }
)  # fmt: skip
#: Suffixes and prefixes of derivative names people write (``relu_grad``, ``dsigmoid``).
_SUFFIXES = ("_derivative", "_prime", "_grad", "_der2", "_der", "_backward", "_deriv")


def _registry_names() -> list[str]:
    return [n for e in (*spec.ACTIVATIONS, *spec.COSTS) for n in (e.name, *e.aliases)]


def _informal() -> dict[str, str]:
    """Everyday name -> registry name, from the entries' ``informal`` names."""
    return {n: e.name for e in (*spec.ACTIVATIONS, *spec.COSTS) for n in e.informal}


def _split(name: str) -> tuple[str, str]:
    """(the function's base name, the protocol suffix its derivative form needs)."""
    low = name.lower()
    for s in _SUFFIXES:
        if low.endswith(s) and len(low) > len(s):
            return low[: -len(s)], "_der2" if s == "_der2" else "_der"
    return low, ""


def suggestion(name: str) -> str | None:
    """The protocol name ``name`` probably means: ``mse`` -> ``squared``, ``relu_grad`` ->
    ``relu_der``, ``dsigmoid`` -> ``sigmoid_der``; None without a likely match."""
    base, suffix = _split(name)
    names = _registry_names()
    informal = _informal()
    if base in informal:
        return informal[base] + suffix
    if base in names:
        return base + suffix
    if base.startswith("d") and base[1:] in names:
        return base[1:] + (suffix or "_der")
    close = difflib.get_close_matches(base, names, n=1, cutoff=0.75)
    return close[0] + suffix if close else None


def note(own: Iterable[str], used: Iterable[str]) -> str | None:
    """One report note naming the candidate's own functions (``own``) that no check calls
    (``used``: the real names bound to the registry or the protocol), with a hint per name
    where the registry has a likely match; None when every function is used."""
    known = set(used) | _OTHER_PROTOCOL
    left = sorted(n for n in set(own) - known if not n.startswith("_"))
    if not left:
        return None
    hints = []
    for n in left:
        s = suggestion(n)
        if s is not None and s != n:
            hints.append(f"{n}: {s}?")
    text = f"not checked (not protocol names, see docs/check.md): {', '.join(left)}"
    return text + (f"; did you mean {', '.join(hints)}" if hints else "")
