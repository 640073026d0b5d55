"""Networks written in PyTorch and JAX, checked as they are (FRAMEWORK with ``model(seed)`` or
a pytree ``init_params``): localisation by the network's own parameter names, the routes of
the gradients, the reference comparison through the parameter mapping, usage errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gradspec
from gradspec.conformance.api import check_many
from gradspec.conformance.options import Options
from gradspec.conformance.targets.candidate import load
from gradspec.reference import mlp

torch = pytest.importorskip("torch")
pytest.importorskip("jax")

ROOT = Path(__file__).resolve().parents[1]
CAT = ROOT / "examples" / "candidates"
NAMES = (
    "good_fwnet_torch_sequential.py",
    "good_fwnet_jax_pytree.py",
    "good_fwnet_jax_own_grads.py",
    "bug_fwnet_torch_function_backward.py",
    "bug_fwnet_jax_custom_vjp.py",
    "bug_fwnet_torch_dropout_train_mode.py",
)


@pytest.fixture(scope="module")
def reports() -> dict:
    options = Options.make(only="network", profile="quick", dtypes=["float64"], timeout=30)
    reps, interrupted = check_many([str(CAT / n) for n in NAMES], jobs=2, options=options)
    assert not interrupted
    return dict(zip(NAMES, reps, strict=True))


def _result(rep, check: str):
    return next(r for r in rep.results if r.check == check)


def gradspec_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gradspec.cli", "check", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_custom_function_backward_is_localised_to_its_tensors(reports: dict) -> None:
    rep = reports["bug_fwnet_torch_function_backward.py"]
    res = _result(rep, "gradient")
    assert res.status == "fail"
    where = res.message.split("wrong tensor(s): ")[1]
    # the wrong tanh backward sits after `hidden`: only hidden's tensors are wrong
    assert "hidden.weight (elements (0, 0)" in where and "hidden.bias (elements (0,)" in where
    assert "out." not in where
    assert rep.routes == {"grads": "torch.autograd"}


def test_jax_custom_vjp_is_localised_to_pytree_leaves(reports: dict) -> None:
    rep = reports["bug_fwnet_jax_custom_vjp.py"]
    res = _result(rep, "gradient")
    assert res.status == "fail"
    where = res.message.split("wrong tensor(s): ")[1]
    assert "layers[0].W (elements" in where and "layers[0].b (elements" in where
    assert "layers[1]" not in where
    assert rep.routes["grads"] == "jax.grad"


def test_sequential_is_read_and_compared_with_the_reference(reports: dict) -> None:
    rep = reports["good_fwnet_torch_sequential.py"]
    assert rep.ok and rep.verdict == "pass", [(r.id, r.message) for r in rep.failed]
    ref = _result(rep, "reference")
    assert ref.status == "pass" and ref.subject == "mlp[3-5-2 tanh/identity half_squared mean]"
    assert any("W0 = 0.weight.T, b0 = 0.bias, W1 = 2.weight.T" in n for n in rep.notes)
    assert any("cast to float64 by module.double()" in n for n in rep.notes)
    assert rep.routes == {"grads": "torch.autograd"}
    assert "grads (torch.autograd)" in rep.found


def test_jax_routes_and_reference_layout(reports: dict) -> None:
    pytree, own = reports["good_fwnet_jax_pytree.py"], reports["good_fwnet_jax_own_grads.py"]
    assert pytree.ok and own.ok
    assert pytree.routes == {"grads": "jax.grad"}
    assert "reference" not in {r.check for r in pytree.results}
    assert any(n.startswith("no reference comparison: ARCH lacks") for n in pytree.notes)
    assert own.routes == {}  # its own grads: no route
    assert _result(own, "reference").status == "pass"


def test_dropout_in_training_mode_fails_determinism(reports: dict) -> None:
    rep = reports["bug_fwnet_torch_dropout_train_mode.py"]
    det = _result(rep, "determinism_mutation")
    assert det.status == "fail" and "not deterministic" in det.message
    assert any(d.startswith("stateful_gradients") for d in det.diagnosis)
    assert any("training mode with random layers (2: Dropout(p=0.5))" in n for n in rep.notes)


def test_parameter_mapping_reproduces_the_reference_gradient() -> None:
    """The ParamMap of an nn.Sequential maps the module's autograd gradient exactly onto the
    reference network's (transposed weights), at the module's own parameters."""
    with load(str(CAT / "good_fwnet_torch_sequential.py")) as target:
        (net,) = target.networks
        assert net.param_map is not None and net.arch is not None
        p = target.ns.call("init_params", 3)
        rng = np.random.default_rng(0)
        X, Y = rng.uniform(-1, 1, (4, 3)), rng.uniform(-1, 1, (4, 2))
        got = net.param_map.to_reference(target.ns.call("grads", p, X, Y))
        ref_p = net.param_map.to_reference(p)
        want = mlp.grads(net.arch, ref_p, X, Y)
        for k in want:
            np.testing.assert_allclose(got[k], want[k], rtol=1e-12, atol=1e-14)
        loss = float(target.ns.call("loss", p, X, Y))
        assert loss == pytest.approx(mlp.loss(net.arch, ref_p, X, Y), rel=1e-13)


def _one_usage_line(p: subprocess.CompletedProcess) -> str:
    assert p.returncode == 2, (p.returncode, p.stdout[-500:], p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in p.stderr, p.stderr
    return lines[0]


def test_arch_contradicting_the_module_is_one_usage_line() -> None:
    line = _one_usage_line(gradspec_cli(str(CAT / "bug_fwnet_torch_arch_mismatch.py")))
    assert "ARCH says activation = 'relu'" in line and "'tanh'" in line


def test_model_without_a_cost_is_one_usage_line(tmp_path: Path) -> None:
    f = tmp_path / "nocost.py"
    f.write_text(
        "import torch\nFRAMEWORK = 'torch'\n"
        "def model(seed):\n    return torch.nn.Sequential(torch.nn.Linear(2, 1))\n"
    )
    assert "needs ARCH" in _one_usage_line(gradspec_cli(str(f)))


def test_unknown_module_is_checked_without_reference(tmp_path: Path) -> None:
    f = tmp_path / "leaky02.py"
    f.write_text(
        "import torch\nFRAMEWORK = 'torch'\n"
        "ARCH = {'cost': 'half_squared', 'reduction': 'sum'}\n"
        "def model(seed):\n    torch.manual_seed(seed)\n"
        "    return torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.LeakyReLU(0.2),"
        " torch.nn.Linear(3, 1))\n"
    )
    out = tmp_path / "r.json"
    p = gradspec_cli(str(f), "--profile", "quick", "--dtype", "float64", "--json", str(out))
    assert p.returncode == 0, p.stdout[-2000:]
    (rep,) = json.loads(out.read_text())["implementations"]
    assert rep["routes"] == {"grads": "torch.autograd"}
    note = "layer 1 (LeakyReLU(negative_slope=0.2)) is not a registry activation module"
    assert any(n.endswith(note) for n in rep["notes"])
    assert {r["check"] for r in rep["results"]} == {"gradient", "determinism_mutation"}


def test_module_that_cannot_be_cast_is_checked_in_its_dtype(tmp_path: Path) -> None:
    f = tmp_path / "f32.py"
    f.write_text(
        "import torch\nFRAMEWORK = 'torch'\n"
        "ARCH = {'sizes': [3, 1], 'cost': 'half_squared', 'reduction': 'mean'}\n"
        "class Net(torch.nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.lin = torch.nn.Linear(3, 4)\n"
        "        self.proj = torch.full((4, 1), 0.5)  # not a parameter: .double() skips it\n"
        "    def forward(self, x):\n"
        "        return torch.tanh(self.lin(x)) @ self.proj\n"
        "def model(seed):\n    torch.manual_seed(seed)\n    return Net()\n"
    )
    report = gradspec.check(str(f), only="network", profile="quick")
    assert report.ok, [(r.id, r.message) for r in report.failed]
    assert {r.dtype for r in report.results} == {"float32"}
    assert all("cannot be cast to float64" in r.message for r in report.results)


def test_in_process_torch_module() -> None:
    def model(seed: int) -> torch.nn.Module:
        torch.manual_seed(seed)
        return torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Sigmoid())

    code = {
        "FRAMEWORK": "torch",
        "model": model,
        "ARCH": {"cost": "log_loss", "reduction": "sum"},
    }
    report = gradspec.check(code, only="network", profile="quick", dtypes=["float64"])
    assert report.ok, [(r.id, r.message) for r in report.failed]
    assert _result(report, "reference").subject == "mlp[2-3 sigmoid/sigmoid log_loss sum]"
    assert report.routes == {"grads": "torch.autograd"}
