"""Smoke run of ``gradspec bench`` at tiny sizes: keeps the benchmarks working.

Asserts structure only (the JSON schema, the table, non-blank PNG charts), never speed:
speed is measured by ``gradspec bench`` and ``pytest benchmarks/ --benchmark-only``.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from gradspec.cli import main

SECTIONS = ["steps", "training", "checks", "detection", "compile"]


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    argv = ["bench", "--smoke", "--json", str(out / "b.json"), "--plot", str(out / "png")]
    for s in SECTIONS:
        argv += ["--only", s]
    assert main(argv) == 0
    return out


def test_json_schema(smoke):
    data = json.loads((smoke / "b.json").read_text())
    assert data["schema"] == "gradspec-bench/1"
    assert {"environment", "peak_gflops", "results", "goals", "elapsed_s"} <= set(data)
    assert data["peak_gflops"]["float32"] > 0 and data["peak_gflops"]["float64"] > 0
    sections = {r["section"] for r in data["results"]}
    assert {"peak", "steps", "training", "check", "compile"} <= sections
    for r in data["results"]:
        assert "name" in r
        if "stat" in r:
            st = r["stat"]
            assert {"median", "iqr", "q1", "q3", "samples", "loops"} <= set(st)
            assert st["median"] > 0 and st["q1"] <= st["median"] <= st["q3"]
        else:
            assert "skipped" in r
    steps = [r for r in data["results"] if r["section"] == "steps" and "stat" in r]
    names = {r["name"] for r in steps}
    assert {"numpy", "numpy GEMMs alone", "jax jit (hand backprop)", "jax jit (jax.grad)",
            "jax GEMMs alone"} <= names  # fmt: skip
    assert all(r["vs_numpy"] > 0 and r["gflops"] > 0 for r in steps)
    checks = {r["name"]: r for r in data["results"] if r["section"] == "check"}
    d = checks["gradspec directional"]
    assert d["passed_true_gradient"] is True and d["detected_planted_error"] is True
    assert d["evaluations"] > 0 and d["ratio_to_floor"] > 0
    assert checks["jax check_grads (rev)"]["detected_planted_error"] is True
    det = [r for r in data["results"] if r["section"] == "detection"]
    assert {(r["name"], r["dtype"]) for r in det} >= {
        ("gradspec", "float32"), ("gradspec", "float64"), ("jax check_grads (rev)", "float64")
    }  # fmt: skip
    for r in det:
        assert len(r["detection_rate"]) == len(r["levels"]) == 10
        assert 0 <= r["false_alarm_rate"] <= 1
    ours = next(r for r in det if r["name"] == "gradspec" and r["dtype"] == "float64")
    # one wrong entry at 10% of max|g| is caught by every seed, the true gradient never fails
    assert ours["detection_rate"][0] == 1.0 and ours["false_alarm_rate"] == 0
    for g in data["goals"]:
        assert {"goal", "measured", "met"} <= set(g)


@pytest.mark.parametrize("name", ["steps.png", "checks.png", "detection.png"])
def test_png_written_and_not_blank(smoke, name):
    import matplotlib.image as mpimg

    img = mpimg.imread(smoke / "png" / name)
    assert img.shape[0] > 200 and img.shape[1] > 200
    rgb = img[..., :3]
    # not one flat colour: axes, lines and text are drawn
    assert float(np.std(rgb)) > 0.01
    assert np.mean(np.any(rgb < 0.9, axis=-1)) > 0.005


def test_unknown_section_is_a_usage_error(capsys):
    assert main(["bench", "--only", "nope"]) == 2
    assert "unknown section" in capsys.readouterr().err
