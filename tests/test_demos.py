"""Tests of gradspec.demos and `gradspec demo`: the learning outcomes, the figures, bad input."""

from __future__ import annotations

import importlib.util
import pathlib
import subprocess
import sys

import matplotlib.image as mpimg
import numpy as np
import pytest

from gradspec import demos
from gradspec.cli import main
from gradspec.demos import chain_rule, descent, iris_neuron, xor

ROOT = pathlib.Path(__file__).resolve().parents[1]

# XOR: the corrected network is below 0.01 after ~600 iterations from seed 0; 8,000 keeps
# the test quick (the demo default is the thread's 60,000) with a wide margin.
XOR_ITERATIONS = 8_000


def _assert_pngs(paths: list[pathlib.Path], expected: set[str]) -> None:
    pngs = [p for p in paths if p.suffix == ".png"]
    assert {p.name for p in pngs} == expected
    for p in pngs:
        assert p.is_file()
        assert p.stat().st_size > 10_000, f"{p.name} is suspiciously small"
        img = mpimg.imread(p)
        assert img.ndim == 3 and img.shape[0] > 200 and img.shape[1] > 200
        assert float(np.var(img[..., :3])) > 1e-3, f"{p.name} looks blank"


@pytest.fixture(scope="module")
def xor_result(tmp_path_factory):
    return xor.run(tmp_path_factory.mktemp("xor"), seed=0, iterations=XOR_ITERATIONS, grid=30)


def test_xor_corrected_learns(xor_result):
    f = xor_result.figures
    assert f["fixed_final_cost"] < 0.01
    assert f["fixed_correct"] == 4


def test_xor_error_as_derivative_does_not_learn(xor_result):
    f, cost = xor_result.figures, xor_result.data["cost_buggy"]
    assert f["buggy_flat_or_rising"]
    assert cost.min() >= 0.9 * cost[0]  # never falls meaningfully below its start
    assert cost[-1] >= cost[0]  # in fact it rises
    assert f["buggy_correct"] < 4
    assert f["buggy_final_cost"] > 0.1


def test_xor_buggy_gradient_is_not_the_gradient():
    p = xor.init_params(3)
    assert not np.allclose(xor.buggy_grads(p)["W1"], xor.correct_grads(p)["W1"])


def test_xor_pngs(xor_result):
    _assert_pngs(
        xor_result.paths, {"xor_cost.png", "xor_error_surface.png", "xor_error_contour.png"}
    )


def test_chain_rule(tmp_path):
    r = chain_rule.run(tmp_path)
    f = r.figures
    # Products of the printed factors vs backprop: the same floating-point products summed in
    # another order, so they agree to a few ulps; 1e-12 (normwise relative) leaves room.
    for key in (
        "chain_rel_product_vs_backprop",
        "wide_rel_product_vs_backprop",
        "wide_rel_paths_vs_matrix",
        "mean_rel_average_vs_full",
    ):
        assert f[key] <= 1e-12, key
    # Backprop vs central differences with h = eps^(1/3): truncation O(h^2) and rounding
    # O(eps/h) are both ~1e-11 in absolute terms, so 1e-6 normwise relative is safe and
    # still catches any wrong factor (those give errors of order 1).
    for key in (
        "chain_rel_backprop_vs_numeric",
        "wide_rel_backprop_vs_numeric",
        "mean_rel_full_vs_numeric",
    ):
        assert f[key] <= 1e-6, key
    assert f["products_match_backprop"] and f["backprop_matches_numeric"]
    report = (tmp_path / "chain_rule.txt").read_text()
    for header in ("dC/da(L)", "da/dz", "dz/dw", "dz/db", "dC/da(L-1)"):
        assert header in report


def test_central_diff_catches_a_wrong_gradient():
    arch, X, Y = chain_rule.WIDE, np.ones((1, 3)), np.array([[1.0, 0.0]])
    p = chain_rule._params(arch, 0)
    num = chain_rule.central_diff(arch, p, X, Y)
    from gradspec.reference import mlp

    good = mlp.grads(arch, p, X, Y)
    assert chain_rule.rel_diff(good["W0"], num["W0"]) < 1e-6
    assert chain_rule.rel_diff(2 * good["W0"], num["W0"]) > 0.1


def test_iris_data():
    X, y, names, species = iris_neuron.load_iris()
    assert X.shape == (100, 4)
    assert len(names) == 4
    assert species == ["setosa", "versicolor"]
    assert np.bincount(y).tolist() == [50, 50]
    assert np.all(y[:50] == 0) and np.all(y[50:] == 1)
    # spot checks against Fisher's table: the first row and the first versicolor row
    assert X[0].tolist() == [5.1, 3.5, 1.4, 0.2]
    assert X[50].tolist() == [7.0, 3.2, 4.7, 1.4]


@pytest.fixture(scope="module")
def iris_result(tmp_path_factory):
    return iris_neuron.run(tmp_path_factory.mktemp("iris"), seed=0)


def test_iris_neuron_learns(iris_result):
    f = iris_result.figures
    for cost in ("absolute", "half_squared"):
        for method in ("gd", "sgd"):
            assert f[f"{cost}_{method}_accuracy"] == 1.0, (cost, method)
    # the short last batch: 100 = 32 + 32 + 32 + 4
    assert f["sgd_batch_sizes"] == [32, 32, 32, 4]
    # GD cost is monotone here; SGD's per-batch cost is not
    t = iris_result.data["trainings"]
    assert np.all(np.diff(t["half_squared GD"]["epoch"]) <= 0)
    assert np.any(np.diff(t["half_squared SGD"]["step"]) > 0)


def test_iris_step_activation_learns_nothing(iris_result):
    f = iris_result.figures
    assert f["step_max_abs_gradient"] == 0.0
    assert f["step_params_unchanged"]
    p0, p1 = iris_result.data["step_params"]
    for k in p0:
        np.testing.assert_array_equal(p0[k], p1[k])
    assert f["step_accuracy"] < 1.0


def test_iris_pngs(iris_result):
    _assert_pngs(iris_result.paths, {"iris_neuron_data.png", "iris_neuron_cost.png"})


@pytest.fixture(scope="module")
def descent_result(tmp_path_factory):
    return descent.run(tmp_path_factory.mktemp("descent"))


def test_descent_newton_one_step(descent_result):
    f = descent_result.figures
    assert f["newton_bowl_grad_norm"] < 1e-12
    assert np.allclose(f["newton_bowl_point"], [0.0, 0.0], atol=1e-12)
    assert f["newton_tilt_grad_norm"] < 1e-12
    assert f["ideal_1d_error"] < 1e-12
    assert f["ideal_lr_1d"] == pytest.approx(1 / 6)


def test_descent_lr_sweep(descent_result):
    sweep = descent_result.figures["sweep"]
    assert sweep[0.1]["kind"] == "good"
    assert sweep[0.01]["kind"] == "too slow"
    # too small is slower than good: good reaches 1e-3 of the start, too small never does
    assert sweep[0.1]["steps_to_1e-3"] is not None
    assert sweep[0.01]["steps_to_1e-3"] is None or (
        sweep[0.01]["steps_to_1e-3"] > sweep[0.1]["steps_to_1e-3"]
    )
    assert sweep[0.01]["final"] > sweep[0.1]["final"]
    assert sweep[1.05]["kind"] == "diverges"
    assert sweep[1.05]["final"] > np.hypot(5, 5)
    assert sweep[0.9]["kind"] == "overshoots, oscillates"
    assert sweep[0.5]["kind"] == "one step (ideal)"


def test_descent_logistic_regression(descent_result):
    f = descent_result.figures
    assert f["logreg_newton_iterations"] <= 10
    assert f["logreg_gd_converged"]
    assert f["logreg_gd_iterations"] > 10 * f["logreg_newton_iterations"]
    assert f["logreg_gd_loss"] == pytest.approx(f["logreg_newton_loss"], rel=1e-9)
    assert f["separable_newton_weight_norm"] > 10  # separable pair: weights run away


def test_descent_pngs(descent_result):
    _assert_pngs(
        descent_result.paths,
        {
            "descent_surface.png",
            "descent_lr_sweep.png",
            "descent_newton.png",
            "descent_logreg.png",
        },
    )


def test_demo_registry_matches_cli():
    from gradspec.commands import demo

    assert tuple(demos.DEMOS) == demo.NAMES


def test_cli_unknown_demo(capsys):
    assert main(["demo", "nosuch"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "nosuch" in err and "xor" in err and "descent" in err


def test_cli_unwritable_out(capsys):
    assert main(["demo", "chain-rule", "--out", "/proc/x"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "/proc/x" in err


def test_cli_runs_a_demo(tmp_path, capsys):
    assert main(["demo", "chain-rule", "--out", str(tmp_path / "cr"), "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert f"wrote {tmp_path / 'cr' / 'chain_rule.txt'}" in out
    assert "all checks pass" in out


def test_cli_subprocess_exit_code(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "gradspec.cli", "demo", "nosuch"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1


def _load_example(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("name", ["forum_xor_buggy", "forum_xor_fixed"])
def test_examples_follow_the_protocol(name):
    from gradspec.reference import mlp

    mod = _load_example(name)  # importing must not train
    assert mod.SIGMOID_DER_WRT == "output"
    assert mod.ARCH == {
        "sizes": [3, 4, 1],
        "activation": "sigmoid",
        "cost": "half_squared",
        "reduction": "sum",
        "bias": False,
    }
    p = mod.init_params(0)
    assert p["W0"].shape == (3, 4) and p["W1"].shape == (4, 1)
    ref = mlp.grads(xor.ARCH, p, xor.X, xor.Y)
    assert mod.loss(p, xor.X, xor.Y) == pytest.approx(mlp.loss(xor.ARCH, p, xor.X, xor.Y))
    g = mod.grads(p, xor.X, xor.Y)
    same = all(np.allclose(g[k], ref[k], rtol=1e-10, atol=1e-12) for k in ref)
    assert same == (name == "forum_xor_fixed")
    if name == "forum_xor_buggy":  # it reproduces the demo's error-as-derivative gradient
        bug = xor.buggy_grads(p)
        assert all(np.allclose(g[k], bug[k]) for k in bug)
    p2 = mod.train_step(p, xor.X, xor.Y, 1.0)
    assert all(np.allclose(p2[k], p[k] - g[k]) for k in p)
