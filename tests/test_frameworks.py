"""FRAMEWORK = "torch" / "jax" candidates: conversion in the worker, devices, derivatives by
the framework's autodiff and how their routes are reported, in the worker and in process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gradspec
from gradspec import dtypes
from gradspec.conformance.targets.candidate import load
from gradspec.conformance.targets.isolation import CandidateProcess

torch = pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[1]
CAT = ROOT / "examples" / "candidates"


def gradspec_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gradspec.cli", "check", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_missing_cuda_device_is_one_usage_line() -> None:
    p = gradspec_cli(str(CAT / "good_fw_torch_autograd_function.py"), "--device", "cuda")
    assert p.returncode == 2, p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "cuda" in lines[0] and "Traceback" not in p.stderr


def test_missing_jax_platform_is_one_usage_line() -> None:
    pytest.importorskip("jax")
    p = gradspec_cli(str(CAT / "good_fw_jax_custom_jvp.py"), "--device", "gpu")
    assert p.returncode == 2, p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and "gpu" in p.stderr


def test_numpy_candidate_never_imports_the_frameworks(tmp_path: Path) -> None:
    f = tmp_path / "plain.py"
    f.write_text(
        "import sys\nimport numpy as np\n"
        "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n"
        "def loaded():\n    return sorted(m for m in ('torch', 'jax') if m in sys.modules)\n"
    )
    with CandidateProcess(str(f), device="cuda") as cand:  # the device is not used
        cand.load()
        assert cand.call("loaded") == []


def test_tensors_in_numpy_back_float64_kept(tmp_path: Path) -> None:
    f = tmp_path / "t.py"
    f.write_text(
        "import torch\nFRAMEWORK = 'torch'\n"
        "def tanh(z):\n    assert isinstance(z, torch.Tensor), type(z)\n    return torch.tanh(z)\n"
    )
    with load(str(f)) as target:
        z = np.linspace(-2, 2, 5)
        out = target.ns.call("tanh", z)
        assert isinstance(out, np.ndarray) and out.dtype == np.float64
        der = target.ns.call("tanh_der", z)
        np.testing.assert_allclose(der, 1 - np.tanh(z) ** 2, rtol=1e-15)
        routes = {"tanh_der": "torch.autograd", "tanh_der2": "torch.autograd"}
        assert target.routes == routes | {"tanh_der_output": "torch.autograd"}
        assert "tanh_der (torch.autograd)" in target.found
        a = np.tanh(z)  # the output form: f' at the registry's inverse atanh(a)
        np.testing.assert_allclose(target.ns.call("tanh_der_output", a), 1 - a**2, rtol=1e-13)


@pytest.mark.parametrize("name", ["float16", "bfloat16"])
def test_torch_low_precision_tensors_and_back(tmp_path: Path, name: str) -> None:
    """float16 / bfloat16 arrays reach the candidate as torch.float16 / torch.bfloat16
    tensors, and results (autograd's too) come back as NumPy float16 / ml_dtypes bfloat16."""
    f = tmp_path / "t.py"
    f.write_text(
        "import torch\nFRAMEWORK = 'torch'\n"
        f"def tanh(z):\n    assert z.dtype == torch.{name}, z.dtype\n    return torch.tanh(z)\n"
    )
    dt = dtypes.resolve(name)
    with load(str(f)) as target:
        z = np.linspace(-2, 2, 5).astype(dt)
        for fn in ("tanh", "tanh_der"):
            out = target.ns.call(fn, z)
            assert isinstance(out, np.ndarray) and out.dtype == dt, (fn, out.dtype)
        np.testing.assert_allclose(
            target.ns.call("tanh", z).astype(np.float64), np.tanh(z.astype(np.float64)), rtol=1e-2
        )
        assert target.ns.call("tanh", z[2:3].reshape(())).shape == ()  # 0-d stays 0-d


def test_jax_derivative_in_float64_without_global_x64(tmp_path: Path) -> None:
    pytest.importorskip("jax")
    f = tmp_path / "j.py"
    f.write_text("import jax\nFRAMEWORK = 'jax'\ndef sigmoid(z):\n    return jax.nn.sigmoid(z)\n")
    with load(str(f)) as target:
        z = np.linspace(-3, 3, 7)
        der = target.ns.call("sigmoid_der", z)
        s = 1 / (1 + np.exp(-z))
        assert der.dtype == np.float64
        np.testing.assert_allclose(der, s * (1 - s), rtol=1e-14)


def test_hand_written_and_autodiff_both_checked(tmp_path: Path) -> None:
    f = tmp_path / "both.py"
    f.write_text(
        "import torch\nFRAMEWORK = 'torch'\n"
        "def tanh(z):\n    return torch.tanh(z)\n"
        "def tanh_der(z):\n    return 1 - torch.tanh(z) ** 2\n"
    )
    rep = gradspec.check(str(f), profile="quick", dtypes="float64")
    ids = [r.id for r in rep.results]
    assert len(ids) == len(set(ids))
    assert "derivative[tanh:float64]" in ids and "derivative[tanh@autodiff:float64]" in ids
    assert not any(i.startswith("value[tanh@autodiff") for i in ids)
    assert rep.routes["tanh_der@autodiff"] == "torch.autograd" and "tanh_der" not in rep.routes
    assert rep.ok, [(r.id, r.message) for r in rep.failed]


def test_crash_in_backward_fails_its_checks_and_the_run_goes_on(tmp_path: Path) -> None:
    f = tmp_path / "crash.py"
    f.write_text(
        "import os\nimport torch\nFRAMEWORK = 'torch'\n"
        "class _S(torch.autograd.Function):\n"
        "    @staticmethod\n    def forward(ctx, z):\n        return torch.sigmoid(z)\n"
        "    @staticmethod\n    def backward(ctx, g):\n        os._exit(3)\n"
        "def sigmoid(z):\n    return _S.apply(z)\n"
        "def tanh(z):\n    return torch.tanh(z)\n"
    )
    rep = gradspec.check(str(f), profile="quick", dtypes="float64", only="activations")
    by_id = {r.id: r for r in rep.results}
    assert by_id["derivative[sigmoid:float64]"].status == "fail"
    assert "worker" in by_id["derivative[sigmoid:float64]"].message
    assert by_id["value[sigmoid:float64]"].status == "pass"
    assert by_id["derivative[tanh:float64]"].status == "pass"


def test_in_process_mapping_with_framework() -> None:
    code = {"FRAMEWORK": "torch", "softplus": torch.nn.functional.softplus}
    rep = gradspec.check(code, profile="quick", dtypes="float64")
    assert "softplus_der (torch.autograd)" in rep.found
    assert {r.check for r in rep.results} >= {"derivative", "derivative_numeric"}
    assert not rep.failed, [(r.id, r.message) for r in rep.failed]


def test_json_carries_the_routes(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    p = gradspec_cli(
        str(CAT / "bug_fw_torch_tanh_backward.py"), "--profile", "quick", "--dtype", "float64",
        "--json", str(out),
    )  # fmt: skip
    assert p.returncode == 1, p.stderr
    assert "derivatives taken by torch.autograd: tanh_der, tanh_der2, tanh_der_output" in p.stdout
    imp = json.loads(out.read_text())["implementations"][0]
    assert imp["routes"] == {
        "tanh_der": "torch.autograd",
        "tanh_der2": "torch.autograd",
        "tanh_der_output": "torch.autograd",  # f' at the registry's inverse, atanh(a)
    }
    assert "tanh_der (torch.autograd)" in imp["found"]
