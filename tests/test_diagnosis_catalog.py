"""The diagnosis catalog against the planted bugs of examples/candidates/.

Every signature id in the catalog is named on at least one planted candidate (``bug_*.py``,
run as ``tests/test_check_catalog.py`` runs them: quick profile, float64, the group of its
header), so no entry is dead.  The catalog is well formed: one text per id, every entry of a
known family.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gradspec.conformance.api import check_many
from gradspec.conformance.diagnosis import ENTRIES, SIGNATURES
from gradspec.conformance.diagnosis.catalog import texts
from gradspec.conformance.options import Options

ROOT = Path(__file__).resolve().parents[1]
BUGS = sorted((ROOT / "examples" / "candidates").glob("bug_*.py"))


def _only(path: Path) -> str:
    return re.search(r"^# only: (.+)$", path.read_text(), re.M).group(1)


@pytest.fixture(scope="module")
def named() -> dict[str, set[str]]:
    """signature id -> the planted candidates it is named on."""
    overrides = {
        i: Options.make(only=_only(p), profile="quick", dtypes=["float64"], timeout=20)
        for i, p in enumerate(BUGS)
    }
    reps, interrupted = check_many([str(p) for p in BUGS], jobs=2, overrides=overrides)
    assert not interrupted
    out: dict[str, set[str]] = {}
    for path, rep in zip(BUGS, reps, strict=True):
        for r in rep.failed:
            for d in r.diagnosis:
                out.setdefault(d.split(":", 1)[0], set()).add(path.name)
    return out


def test_catalog_is_well_formed() -> None:
    assert texts(ENTRIES) == SIGNATURES
    assert {e.family for e in ENTRIES} == {"activation", "cost", "pair", "network", "state"}
    for e in ENTRIES:
        assert e.kinds and e.kinds <= {"value", "derivative", "minibatch", "gd_update", "state"}


@pytest.mark.parametrize("sig", sorted(SIGNATURES))
def test_every_signature_is_planted(sig: str, named: dict[str, set[str]]) -> None:
    assert named.get(sig), f"no bug_*.py candidate is diagnosed {sig}"
