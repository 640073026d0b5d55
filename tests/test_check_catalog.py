"""The candidate catalog (examples/candidates/): every verdict and every diagnosis.

Each candidate states what it expects in its header: ``# expect: pass``,
``# expect: fail <signature>`` (``-``: a failure no signature names) or ``# expect: usage``
(refused as a usage error: one line, exit 2), ``# only: <group>`` and optionally
``# requires: <module>``.  All candidates run once, two at a time, in
separate processes (``check_many``), on the quick profile: correct ones in their declared
``DTYPES`` or float64 and float32 (a false alarm in any is a defect), buggy ones in float64
or the dtypes of their ``# dtypes:`` header.

``good_rw_*`` and ``bug_rw_*`` are real-world code: correct wrappers of torch, jax/optax,
scipy and scikit-learn functions and textbook NumPy, and real library functions declared under
a name, parameter, reduction or convention they do not have.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from gradspec.conformance.api import check_many
from gradspec.conformance.diagnosis import SIGNATURES
from gradspec.conformance.options import Options

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "examples" / "candidates"


def _header(path: Path) -> dict[str, str]:
    text = path.read_text()
    return dict(re.findall(r"^# (expect|only|requires|dtypes): (.+)$", text, re.M))


ENTRIES = {p.name: _header(p) for p in sorted(CATALOG.glob("*.py"))}


def _available(mod: str | None) -> bool:
    return mod is None or importlib.util.find_spec(mod) is not None


def _dtypes(h: dict[str, str]) -> list[str] | None:
    """Correct candidates in their own dtypes; buggy ones in float64, or in the dtypes their
    ``# dtypes:`` header names (float16/bfloat16 bugs)."""
    if h["expect"] == "pass":
        return None
    return h["dtypes"].split() if "dtypes" in h else ["float64"]


@pytest.fixture(scope="module")
def reports() -> dict:
    names = [n for n, h in ENTRIES.items() if _available(h.get("requires"))]
    overrides = {
        i: Options.make(
            only=ENTRIES[n]["only"],
            dtypes=_dtypes(ENTRIES[n]),
            profile="quick",
            timeout=20,
        )
        for i, n in enumerate(names)
    }
    reps, interrupted = check_many([str(CATALOG / n) for n in names], jobs=2, overrides=overrides)
    assert not interrupted
    out = dict(zip(names, reps, strict=True))
    return out


def test_catalog_size() -> None:
    good = [n for n, h in ENTRIES.items() if h["expect"] == "pass"]
    bad = [n for n, h in ENTRIES.items() if h["expect"].startswith("fail")]
    assert len(bad) >= 20 and len(good) >= 6
    assert len(SIGNATURES) >= 15
    for h in ENTRIES.values():
        sig = h["expect"].partition(" ")[2]
        assert sig in ("", "-") or sig in SIGNATURES


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_verdict_and_diagnosis(name: str, reports: dict) -> None:
    h = ENTRIES[name]
    if not _available(h.get("requires")):
        pytest.skip(f"{h['requires']} is not installed")
    rep = reports[name]
    if h["expect"] == "usage":
        assert rep.error and "\n" not in rep.error and not rep.results, rep.error
        return
    assert not rep.error, rep.error
    failed = [(r.id, r.message, r.diagnosis) for r in rep.failed]
    if h["expect"] == "pass":
        assert rep.ok, f"false alarm on {name}: {failed}"
        return
    assert not rep.ok, f"{name} was not caught"
    sig = h["expect"].split()[1]
    names = {d.split(":", 1)[0] for r in rep.failed for d in r.diagnosis}
    if sig == "-":
        assert all(r.message for r in rep.failed)  # the counterexample is still there
        assert not names, f"{name}: unexpected diagnosis {names}"
    else:
        assert sig in names, f"{name}: expected {sig}, got {names} for {failed}"


def test_textbook_sigmoid_warns_not_fails(reports: dict) -> None:
    rep = reports["good_sigmoid_textbook.py"]
    warned = [r for r in rep.results if r.status == "warn"]
    assert rep.ok and warned
    assert any("overflow" in r.message for r in warned)


def margins(reports: dict) -> tuple[dict[str, float], dict[str, float]]:
    """Per buggy candidate, its largest error over the fail threshold among its failed
    checks (inf when every failure is structural: an exception, a wrong shape, a derivative
    outside a kink's interval); per correct one, its largest over all its checks."""
    bad, good = {}, {}
    for name, rep in reports.items():
        if ENTRIES[name]["expect"] == "pass":
            good[name] = max((r.worst.ratio for r in rep.results if r.worst), default=0.0)
        else:
            ratios = [r.worst.ratio for r in rep.failed if r.worst and r.worst.ratio]
            bad[name] = max(ratios) if ratios else float("inf")
    return bad, good


def test_margin_to_the_fail_threshold(reports: dict) -> None:
    """Every planted bug is well beyond the wrong-math threshold (at least 4x: not a
    borderline catch), every correct candidate below it."""
    bad, good = margins(reports)
    for name, ratio in sorted(bad.items(), key=lambda kv: kv[1]):
        print(f"bug  {ratio:10.3g}  {name}")
    for name, ratio in sorted(good.items(), key=lambda kv: -kv[1]):
        print(f"good {ratio:10.3g}  {name}")
    assert min(bad.values()) > 4, min(bad.items(), key=lambda kv: kv[1])
    assert max(good.values()) <= 1, max(good.items(), key=lambda kv: kv[1])


def test_inferred_output_form_is_a_warning(reports: dict) -> None:
    rep = reports["good_sigmoid_output_form_inferred.py"]
    assert rep.ok and rep.verdict == "warn"
    assert any("takes the output a = sigmoid(z) (inferred" in r.message for r in rep.warned)


def test_real_world_catalog_size() -> None:
    good = [n for n, h in ENTRIES.items() if n.startswith("good_rw_") and h["expect"] == "pass"]
    bad = [n for n, h in ENTRIES.items() if n.startswith("bug_rw_")]
    assert len(good) >= 40 and len(bad) >= 10


def test_float32_constant_behind_float64_warns_not_fails(reports: dict) -> None:
    """torch's float64 hardsigmoid backward returns float32's 1/6: right math in the precision
    it computes in, so every derivative check warns that it computes in float32."""
    rep = reports["good_pa_torch_hardsigmoid_backward.py"]
    assert rep.ok and rep.verdict == "warn"
    assert any("computes in float32" in r.message for r in rep.warned)
