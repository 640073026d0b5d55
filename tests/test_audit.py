"""``gradspec audit``: an audit of torch (float32) and a quick one of JAX agree with the
shipped audits of the pinned versions (docs/audits/), its reproducers reproduce, and the
command's usage errors and ``--out`` files."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from gradspec.cli import main
from gradspec.conformance.audits.audit import Audit, entry, run_audit
from gradspec.conformance.audits.render import file_stem
from gradspec.conformance.options import Options

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "docs" / "audits"

#: JAX compiles anew for every new shape, so its quick audit covers a few functions (an
#: activation and a cost on logits with findings, optax's half squared error) in one dtype;
#: torch's covers all, in float32 at the shipped audits' own ``ci`` profile: a precision
#: warning shows only where a profile's draws reach its inputs (gelu's derivative_numeric,
#: log_softmax's value), so only the same profile must give the same verdicts.  Not huber:
#: its precision warning depends on the residuals a profile draws (docs/audits/README.md),
#: so quick and ci find it in different dtypes.
JAX_FUNCTIONS = ("tanh", "half_squared", "log_loss_logits")


def _verdicts(matrix: dict) -> dict[tuple[str, str, str], str]:
    return {
        (fn, check, dt): v
        for fn, row in matrix.items()
        for check, cells in row.items()
        for dt, v in cells.items()
    }


def _shipped(audit: Audit) -> dict:
    path = SHIPPED / f"{file_stem(audit)}.json"
    if not path.exists():
        pytest.skip(f"no shipped audit of {audit.title} (docs/audits/ has another version)")
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def torch_audit() -> Audit:
    pytest.importorskip("torch")
    return run_audit("torch", Options.make(profile="ci", dtypes="float32"))


@pytest.fixture(scope="module")
def jax_audit() -> Audit:
    pytest.importorskip("optax")
    options = Options.make(profile="quick", dtypes="float32")
    return run_audit("jax", options, functions=JAX_FUNCTIONS)


@pytest.mark.parametrize("which", ["torch_audit", "jax_audit"])
def test_quick_audit_matches_the_shipped_verdicts(which: str, request) -> None:
    audit = request.getfixturevalue(which)
    shipped = _shipped(audit)
    mine, theirs = _verdicts(audit.matrix()), _verdicts(shipped["matrix"])
    common = mine.keys() & theirs.keys()
    assert len(common) >= 16, sorted(mine)[:5]
    differ = {k: (mine[k], theirs[k]) for k in sorted(common) if mine[k] != theirs[k]}
    assert not differ, f"(function, check, dtype): (now, shipped) {differ}"
    # What the library lacks is the same library fact in both.
    assert set(audit.absent) <= set(shipped["not_audited"])


def test_every_function_the_registry_has_is_audited_or_said_missing(torch_audit: Audit) -> None:
    assert torch_audit.functions() == [f for f in _shipped(torch_audit)["matrix"]]
    assert set(torch_audit.calls) | set(torch_audit.absent) == set(torch_audit.functions())


def _last_value(code: str, order: int) -> float:
    """Run a torch reproducer; the first element of what it computed last (its order)."""
    torch = pytest.importorskip("torch")
    scope: dict = {}
    exec(code, scope)
    out = scope[f"d{order}"] if order else scope["out"]
    return float(np.asarray(out.detach().to(dtype=torch.float64)).ravel()[0])


def test_reproducers_call_the_library_and_see_what_the_check_saw(torch_audit: Audit) -> None:
    """Each finding at a worst element: running its reproducer gives the value the check
    judged (closer to it than to the truth by far), so the numbers in the report are the
    library's own."""
    order = {"value": 0, "derivative": 1, "second_derivative": 2}
    ran = 0
    for r in torch_audit.findings():
        if r.check not in order or r.worst is None or not (r.worst.fails or r.worst.warns):
            continue
        if entry(r.subject).kind == "activation" and entry(r.subject).vector:
            continue
        actual, truth = r.worst.values.get("actual"), r.worst.values.get("truth")
        if actual is None or truth is None:
            continue
        got = _last_value(torch_audit.reproducer(r), order[r.check])
        if math.isnan(actual):  # a NaN where the math is finite (mish'' past exp's range)
            assert math.isnan(got), (r.id, got, actual, truth)
        else:
            assert abs(got - actual) <= 0.01 * abs(actual - truth), (r.id, got, actual, truth)
        ran += 1
    assert ran, "no finding at a worst element to reproduce"


def test_unknown_library_is_one_usage_line(capsys) -> None:
    assert main(["audit", "nosuchlib"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nosuchlib" in err[0] and "torch" in err[0]


def test_out_writes_markdown_and_json(tmp_path: Path, capsys) -> None:
    pytest.importorskip("torch")
    code = main(
        ["audit", "torch", "--profile", "quick", "--dtype", "float32", "--only", "costs",
         "--out", str(tmp_path)]
    )  # fmt: skip
    md, js = tmp_path / "audit-torch.md", tmp_path / "audit-torch.json"
    data = json.loads(js.read_text())
    verdicts = _verdicts(data["matrix"]).values()
    assert code == (1 if "fail" in verdicts else 0)
    assert data["library"] == "torch" and data["dtypes"] == ["float32"]
    assert set(data["matrix"]) == set(data["calls"]) | set(data["not_audited"])
    text = md.read_text()
    assert "## Matrix" in text and f"## Findings ({len(data['findings'])})" in text
    for fn in data["matrix"]:
        assert f"| {fn} |" in text
    for f in data["findings"]:
        assert f"`{f['id']}`" in text and f["library_reproducer"] in text
