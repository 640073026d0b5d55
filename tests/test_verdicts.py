"""pass / warn / fail: the two thresholds of the error model and what each verdict means.

A fail must mean wrong math; precision lost, dtype changes, float32 working precision,
inferred conventions, corners of the implementation's own are warnings.  Each test builds a
small candidate the way people write it and checks the verdict and its reason.
"""

from __future__ import annotations

import json
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from gradspec import dtypes
from gradspec.cli import main
from gradspec.conformance.api import check
from gradspec.conformance.engine import errormodel
from gradspec.conformance.engine import natural as N
from gradspec.conformance.engine.precision import float32_exact, working_dtype


def _write(tmp_path: Path, name: str, body: str) -> str:
    p = tmp_path / name
    p.write_text(textwrap.dedent(body))
    return str(p)


def _by_id(rep) -> dict:
    return {r.id: r for r in rep.results}


# --- the error model ---------------------------------------------------------------------


def test_compare_three_outcomes() -> None:
    truth = np.array([1.0, 1.0, 1.0])
    eps = np.finfo(np.float64).eps
    # within the budget / beyond it but far below the threshold / beyond the threshold
    actual = truth + np.array([4 * eps, 1e4 * eps, 1e-6])
    cmp = errormodel.compare(actual, truth, np.ones(3), np.float64, 16.0)
    statuses = [
        errormodel.compare(actual[i : i + 1], truth[:1], np.ones(1), np.float64, 16.0).status
        for i in range(3)
    ]
    assert statuses == ["pass", "warn", "fail"]
    assert cmp.status == "fail" and cmp.worst_index == (2,)
    assert cmp.failing == 1


def test_natural_scale_floors_the_threshold() -> None:
    """A relative error of 1 on a value of 1e-19 fails without the floor, warns with it."""
    truth, actual, scale = np.array([1e-19]), np.array([0.0]), np.array([1e-19])
    bare = errormodel.compare(actual, truth, scale, np.float64, 16.0)
    floored = errormodel.compare(actual, truth, scale, np.float64, 16.0, natural=1.0)
    assert bare.status == "fail"
    assert floored.status == "warn"
    # ...but an error of 1e-7 at the natural scale itself is wrong math in float64
    assert (
        errormodel.compare(np.array([1 + 1e-7]), np.ones(1), np.ones(1), np.float64, 16, natural=1)
    ).status == "fail"


def test_fail_units_table_is_per_dtype() -> None:
    assert errormodel.fail_units(np.float64) > errormodel.fail_units(np.float32)
    for dt in (np.float64, np.float32):
        # the wrong-math threshold leaves room for warnings above every budget
        assert errormodel.fail_units(dt) >= 4 * max(errormodel.BUDGETS.values())
    # float32 rounding of a float64 result is beyond the float64 threshold
    rel = 2.0**-25  # a typical float32 rounding error
    assert rel / np.finfo(np.float64).eps > errormodel.fail_units(np.float64)


@pytest.mark.parametrize("name", ["float16", "bfloat16"])
def test_low_precision_has_a_warn_band(name: str) -> None:
    """float16/bfloat16: a pass budget below the wrong-math threshold (a warn band between),
    and an absolute floor no larger than the dtype's smallest normal."""
    dt = dtypes.resolve(name)
    eps = errormodel.eps(dt)
    fail = errormodel.fail_units(dt)
    for family in errormodel.BUDGETS:
        assert errormodel.budget(family, dt) * 2 <= fail
    # a relative error of 1, 3 and 2 * fail eps: pass / warn / fail
    truth = np.array([1.5])
    statuses = [
        errormodel.compare(truth * (1 + k * eps), truth, truth, dt, 16.0).status
        for k in (1, 3 * errormodel.budget("value", dt) / 2, 2 * fail)
    ]
    assert statuses == ["pass", "warn", "fail"]
    # a missing factor 2 (50 % off) is beyond the threshold at least 4 times
    assert 0.5 / eps / fail >= 4
    edge = float(dtypes.finfo(dt).smallest_normal)
    assert errormodel.tiny(dt) <= max(edge, errormodel.tiny(np.float32))
    # an error of 1e-3 on a value of 1e-3 is no rounding in float16, whatever its size
    small = errormodel.compare(np.array([2e-3]), np.array([1e-3]), np.array([1e-3]), dt, 16.0)
    assert small.status == "fail"


def test_float64_and_float32_budgets_unchanged_by_low_precision() -> None:
    for dt in (np.float64, np.float32):
        assert {f: errormodel.budget(f, dt) for f in errormodel.BUDGETS} == errormodel.BUDGETS
        assert errormodel.in_dtype(16.0, dt) == 16.0


def test_natural_scales_from_the_truth() -> None:
    assert N.activation("sigmoid", 1) == pytest.approx(0.25)
    assert N.activation("relu", 2) == 0.0
    assert N.cost("half_squared", 1) > 0


def test_working_dtype_evidence_not_error_size() -> None:
    z = np.array([0.3, -1.7, 2.2, 0.11])
    t = np.tanh(z)
    f32 = np.tanh(z.astype(np.float32)).astype(np.float64)
    assert float32_exact(f32).all() and not float32_exact(t).any()
    assert working_dtype("f", np.float64, f32, f32, t)[0] == np.float32
    assert working_dtype("f", np.float64, f32.astype(np.float32), f32, t)[0] == np.float32
    # a float64 result that is merely inaccurate (1e-7 relative) stays float64
    off = t * (1 + 1e-7)
    assert working_dtype("f", np.float64, off, off, t)[0] == np.float64
    # exact simple values (relu of float32-exact inputs) are no evidence
    ones = np.array([1.0, 0.0, 1.0, 1.0])
    assert working_dtype("f", np.float64, ones, ones, ones)[0] == np.float64
    # one telling element is evidence (torch's float64 hardsigmoid backward: 0 outside the
    # middle piece, float32's 1/6 on it)
    sixth = np.array([0.0, float(np.float32(1 / 6)), 0.0])
    truth = np.array([0.0, 1 / 6, 0.0])
    assert working_dtype("f", np.float64, sixth, sixth, truth)[0] == np.float32


# --- candidates written the way people write them ------------------------------------------


STUDENT = """
    import numpy as np

    def relu(z):
        return np.where(z >= 0, z, 0)

    def relu_der(z):
        return (z > 0).astype(float)

    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    def sigmoid_der(output):
        return output * (1 - output)
"""


def test_student_file_warns_and_says_why(tmp_path: Path) -> None:
    rep = check(_write(tmp_path, "student.py", STUDENT), only="activations", profile="quick")
    assert rep.ok and rep.verdict == "warn", [(r.id, r.message) for r in rep.failed]
    r = _by_id(rep)
    assert "returns float64 for float32 input" in r["shape_dtype[relu:float32]"].message
    assert "NaN is not propagated" in r["extremes[relu:float64]"].message
    assert "takes the output a = sigmoid(z) (inferred" in r["derivative[sigmoid:float64]"].message
    # the overflow warning of the textbook sigmoid is a warning, not a failure
    assert "overflow" in r["value[sigmoid:float64]"].message
    assert rep.passes() and not rep.passes(strict=True)


def test_float32_only_code_is_judged_in_float32(tmp_path: Path) -> None:
    src = """
        import numpy as np

        def tanh(z):
            return np.tanh(np.asarray(z, np.float32))

        def tanh_der(z):
            t = np.tanh(np.asarray(z, np.float32))
            return (1 - t * t).astype(np.float32)
    """
    rep = check(_write(tmp_path, "f32.py", src), only="activations", profile="quick")
    assert rep.ok, [(r.id, r.message) for r in rep.failed]
    assert "computes in float32" in _by_id(rep)["value[tanh:float64]"].message


def test_float64_code_with_a_float32_constant_fails(tmp_path: Path) -> None:
    src = """
        import numpy as np
        from scipy.special import erf

        C = float(np.float32(0.7071067811865476))  # 1/sqrt(2), rounded to float32

        def gelu(z):
            return 0.5 * z * (1 + erf(z * C))
    """
    rep = check(
        _write(tmp_path, "c32.py", src), only="activations", profile="quick", dtypes=["float64"]
    )
    value = _by_id(rep)["value[gelu:float64]"]
    assert value.status == "fail" and value.worst.ratio > 1, value.message
    assert "computes in float32" not in value.message


def test_clipped_log_loss_and_its_corner(tmp_path: Path) -> None:
    src = """
        import numpy as np

        def log_loss(a, y):
            p = np.clip(a, 1e-12, 1 - 1e-12)
            return -(y * np.log(p) + (1 - y) * np.log(1 - p))

        def log_loss_der(a, y):
            p = np.clip(a, 1e-12, 1 - 1e-12)
            inside = (a >= 1e-12) & (a <= 1 - 1e-12)
            return np.where(inside, (p - y) / (p * (1 - p)), 0.0)
    """
    rep = check(_write(tmp_path, "clip.py", src), only="costs", profile="quick", dtypes=["float64"])
    assert rep.ok, [(r.id, r.message) for r in rep.failed]


def test_wrong_derivative_at_a_clip_still_fails(tmp_path: Path) -> None:
    """Corners of the candidate's own excuse only derivatives between the one-sided slopes:
    a wrong formula next to a clip is still caught."""
    src = """
        import numpy as np

        def log_loss(a, y):
            p = np.clip(a, 1e-12, 1 - 1e-12)
            return -(y * np.log(p) + (1 - y) * np.log(1 - p))

        def log_loss_der(a, y):
            p = np.clip(a, 1e-12, 1 - 1e-12)
            return (p - y) / p  # the (1 - p) factor is missing
    """
    rep = check(_write(tmp_path, "clipbad.py", src), only="costs", profile="quick",
                dtypes=["float64"])  # fmt: skip
    assert not rep.ok
    assert _by_id(rep)["derivative_numeric[log_loss:float64]"].status == "fail"


def test_a_jump_of_the_forward_near_x_warns_and_a_wrong_derivative_still_fails(
    tmp_path: Path,
) -> None:
    """A forward with a tiny jump of its own 0.004 from an input (torch's softplus threshold,
    seen from z = 9.84 with beta = 2) spoils every difference quiet enough to judge: that
    element is left to the derivative check against the spec, with a warning.  A derivative
    wrong by a relative 1e-8 next to a smooth forward still fails."""
    forward = """
        import numpy as np

        def softplus(z):
            return np.logaddexp(z, 0.0) - 1e-9 * (z > 0.004)

        def softplus_der(z):
            return np.exp(-np.logaddexp(0.0, -z)){bias}
    """
    jump = _write(tmp_path, "jump.py", forward.format(bias=""))
    rep = check(jump, only="activations", profile="quick", dtypes=["float64"])
    res = _by_id(rep)["derivative_numeric[softplus:float64]"]
    assert rep.ok and res.status == "warn", [(r.id, r.message) for r in rep.failed]
    assert "change with the step" in res.message
    wrong = _write(tmp_path, "wrong.py", forward.format(bias=" * (1 + 1e-8)").replace(
        " - 1e-9 * (z > 0.004)", ""))  # fmt: skip
    rep = check(wrong, only="activations", profile="quick", dtypes=["float64"])
    assert _by_id(rep)["derivative_numeric[softplus:float64]"].status == "fail"


def test_output_form_matching_neither_form_fails(tmp_path: Path) -> None:
    src = """
        import numpy as np

        def sigmoid(z):
            return 1 / (1 + np.exp(-z))

        def sigmoid_der(a):
            return a * (1 + a)  # neither a(1 - a) nor s(z)(1 - s(z))
    """
    rep = check(_write(tmp_path, "neither.py", src), only="activations", profile="quick",
                dtypes=["float64"])  # fmt: skip
    assert _by_id(rep)["derivative[sigmoid:float64]"].status == "fail"
    assert "inferred" not in _by_id(rep)["derivative[sigmoid:float64]"].message


# --- reports and exit codes ----------------------------------------------------------------


def test_strict_json_and_junit(tmp_path: Path, capsys) -> None:
    target = _write(tmp_path, "student.py", STUDENT)
    js, xml = tmp_path / "r.json", tmp_path / "r.xml"
    args = [target, "--only", "activations", "--profile", "quick"]
    assert main(["check", *args, "--json", str(js), "--junitxml", str(xml)]) == 0
    out = capsys.readouterr().out
    assert "PASS with warnings" in out and "FAIL" not in out
    data = json.loads(js.read_text())
    assert data["verdict"] == "warn"
    warned = [r for r in data["implementations"][0]["results"] if r["status"] == "warn"]
    assert warned and all(r["warnings"] for r in warned)
    root = ET.parse(xml).getroot()
    suite = root.find("testsuite")
    assert suite.get("failures") == "0"
    props = root.findall(".//property[@name='gradspec.status']")
    assert len(props) == len(warned)
    assert main(["check", *args, "--strict"]) == 1


def test_many_candidates_summary_shows_warn(tmp_path: Path, capsys) -> None:
    good = _write(tmp_path, "a_student.py", STUDENT)
    bad = _write(
        tmp_path,
        "b_bad.py",
        """
        import numpy as np

        def relu(z):
            return np.maximum(z, 0)

        def relu_der(z):
            return np.where(z > 0, 2.0, 0.0)
        """,
    )
    code = main(["check", good, bad, "--only", "activations", "--profile", "quick", "-j", "2"])
    out = capsys.readouterr().out
    assert code == 1
    assert "WARN" in out and "FAIL" in out
    assert "1 of 2 candidates pass (1 of them with warnings)" in out


def test_float32_log_loss_at_the_last_float_below_one_passes() -> None:
    """At a = 1 - 2**-24 a float32 log loss cannot be differenced (a + h rounds to 1, its
    log1p(-a) to -inf): no numeric reference there, not a failure (the ci profile finds it)."""
    cand = Path(__file__).resolve().parents[1] / "examples/candidates/good_rw_f32_costs.py"
    rep = check(str(cand), only="costs", profile="ci", dtypes=["float32"])
    assert rep.ok, [(r.id, r.message[:200]) for r in rep.failed]


def test_truth_of_a_saturated_pair_needs_hundreds_of_digits() -> None:
    """dC/dz of sigmoid + log loss is sigmoid(z) - y; the derived form cancels in
    1 - 1/(1 + exp(-z)), which needs ~z/2.3 digits: the oracle keeps doubling them."""
    from gradspec.derivations import truth as T

    z = np.array([1098.0, 5000.0, -1e4])
    y = np.array([0.0, 0.3, 0.5])
    got = T.pair_value("sigmoid", "log_loss", z, y, 1)
    assert np.array_equal(got, [1.0, 0.7, -0.5])


def test_float32_mean_cost_with_large_residuals_passes() -> None:
    """A float32 mean of squares near 4.6e5 rounds by ~0.03 per evaluation: the numeric
    gradient of the reduced cost carries that noise in its error estimate (ci profile)."""
    cand = Path(__file__).resolve().parents[1] / "examples/candidates/good_rw_f32_mean_squared.py"
    rep = check(str(cand), only="costs", profile="ci")
    assert rep.ok, [(r.id, r.message[:200]) for r in rep.failed]


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "bfloat16"])
def test_a_rounded_activation_on_a_cost_kink_moves_the_target(dtype: str) -> None:
    """sigmoid(3.9e-37) is 1/2 in every dtype: with y = 1/2 the code answers at absolute's
    kink while the 40-digit truth is beside it, so such a target is moved off the kink."""
    from gradspec import spec
    from gradspec.conformance.checks.common import Ctx
    from gradspec.conformance.checks.pairs import off_cost_kinks

    pair = spec.pair("sigmoid", "absolute")
    z = np.array([3.9330600488533965e-37, 2.0], dtype=dtype)
    y = np.array([0.5, 0.5], dtype=dtype)
    moved = off_cost_kinks(pair, z, y, Ctx(None, "quick", dtype))
    assert moved.dtype == y.dtype
    assert moved[0] != 0.5 and moved[1] == 0.5  # only the target the rounding put on the kink


@pytest.mark.parametrize("cost", ["hinge", "squared_hinge"])
def test_a_rounded_activation_on_a_margin_kink_halves_the_target(cost: str) -> None:
    """elu(-644.8) is -1 in float64 (the truth -1 + 1e-280): with y = -1 the margin y a is
    exactly the hinge's kink 1 in the code, just below it in the truth; y / 2 moves it to
    1/2 and stays a valid target.  elu(-2) with y = -1 is left alone."""
    from gradspec import spec
    from gradspec.conformance.checks.common import Ctx
    from gradspec.conformance.checks.pairs import off_cost_kinks

    pair = spec.pair("elu", cost)
    z = np.array([-644.7869157590909, -2.0])
    y = np.array([-1.0, -1.0])
    moved = off_cost_kinks(pair, z, y, Ctx(None, "ci", "float64"))
    assert moved.tolist() == [-0.5, -1.0]
    assert pair.cost.target_domain.contains(float(moved[0]))
