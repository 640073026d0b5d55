"""Caching of :func:`derive_all`: derivation takes seconds, loading the cache milliseconds.

The cache is a JSON file of ``srepr`` strings keyed by a fingerprint of everything the result
depends on: each registry entry's expressions (symbolic in its parameters), parameters and
kinks at the defaults, the source of
``derive.py`` and the SymPy version.  The copy shipped in the package (``derived.json``) is
tested to be in step with the registry (``tests/test_derivations.py`` re-derives and compares).
When the fingerprint does not match (a registry edit not yet re-rendered), gradspec derives
afresh and keeps the result in the user cache folder instead of writing into site-packages.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import sympy as sp

from gradspec.cachedir import user_cache_dir
from gradspec.spec import ACTIVATIONS, COSTS, PAIRS

from . import derive
from .derive import Derived

SHIPPED = Path(__file__).with_name("derived.json")


_FINGERPRINT: list[tuple[tuple, str]] = []


def fingerprint() -> str:
    """A hash of every input of the derivation.

    Memoised on the registry tuples themselves (immutable; a test that swaps one in gets a
    new hash): hashing every expression's ``srepr`` costs ~40 ms, and every truth function
    asks for it."""
    registry = (ACTIVATIONS, COSTS, PAIRS)
    stale = not _FINGERPRINT or any(
        a is not b for a, b in zip(_FINGERPRINT[0][0], registry, strict=True)
    )
    if stale:
        _FINGERPRINT[:] = [(registry, _fingerprint())]
    return _FINGERPRINT[0][1]


def _fingerprint() -> str:
    h = hashlib.sha256()
    h.update(sp.__version__.encode())
    h.update(Path(derive.__file__).read_bytes())
    for entry in (*ACTIVATIONS, *COSTS):
        h.update(entry.name.encode())
        for attr in ("expr", "output_derivative"):
            declared = entry.declared(attr) if hasattr(entry, attr) else None
            h.update(sp.srepr(declared).encode())
        if entry.vector_expr is not None:
            h.update(sp.srepr(entry.vector_expr(derive.SYMBOLIC_K)).encode())
        h.update(repr((entry.params, entry.kinks)).encode())
    for p in PAIRS:
        h.update(repr((p.name, p.valid, p.closed_form)).encode())
    return h.hexdigest()[:16]


def to_json(d: Derived, fp: str) -> dict:
    def enc(table: dict) -> dict:
        return {k: {kk: sp.srepr(vv) for kk, vv in v.items()} for k, v in table.items()}

    return {
        "fingerprint": fp,
        "activations": enc(d.activations),
        "costs": enc(d.costs),
        "pairs": enc(d.pairs),
        "closed_forms": d.closed_forms,
        "output_forms": d.output_forms,
    }


_NAMESPACE = {name: getattr(sp, name) for name in dir(sp) if not name.startswith("_")}
_NAMESPACE["ExprCondPair"] = sp.functions.elementary.piecewise.ExprCondPair
_NAMESPACE["ImmutableDenseMatrix"] = sp.ImmutableDenseMatrix


def from_json(data: dict) -> Derived:
    def dec(table: dict) -> dict:
        # srepr strings from our own shipped or user-cache file, evaluated in SymPy's namespace.
        return {k: {kk: eval(vv, _NAMESPACE) for kk, vv in v.items()} for k, v in table.items()}

    return Derived(
        activations=dec(data["activations"]),
        costs=dec(data["costs"]),
        pairs=dec(data["pairs"]),
        closed_forms=data["closed_forms"],
        output_forms=data["output_forms"],
    )


def _read(path: Path, fp: str) -> Derived | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if data.get("fingerprint") != fp:
        return None
    return from_json(data)


_MEMO: dict[str, Derived] = {}


def load(*, refresh: bool = False) -> Derived:
    """The derivations of the current registry, from the cache when it is in step."""
    fp = fingerprint()
    if not refresh and fp in _MEMO:
        return _MEMO[fp]
    d = None if refresh else (_read(SHIPPED, fp) or _read(user_cache_dir() / f"{fp}.json", fp))
    if d is None:
        d = derive.derive_all()
        try:
            user_cache_dir().mkdir(parents=True, exist_ok=True)
            (user_cache_dir() / f"{fp}.json").write_text(json.dumps(to_json(d, fp)))
        except OSError:
            pass  # a read-only home only costs a re-derivation next time
    _MEMO[fp] = d
    return d


def write_shipped() -> Path:
    """Re-derive and rewrite the shipped cache (run after editing the registry)."""
    d = derive.derive_all()
    SHIPPED.write_text(json.dumps(to_json(d, fingerprint()), indent=1, sort_keys=True) + "\n")
    _MEMO.clear()
    return SHIPPED
