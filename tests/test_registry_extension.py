"""Adding a function is one registry entry plus its reference code; a backend without it
reports it as missing.

The test copies the installed source layout (``package-dir`` of pyproject.toml) into a
temporary folder, adds two throwaway activations there exactly as a contributor would, and
runs gradspec from the copy in a subprocess, so the real registry is never touched:

* ``mish_copy`` (f(z) = z tanh(softplus(z)) under a new name, no output form): registry
  entry and NumPy reference only, so the JAX backend lacks it;
* ``scaled_sigmoid`` (f(z) = 2 sigmoid(z), output form a (1 - a/2), no declared inverse):
  registry entry, NumPy reference and hand-written JAX code, so the autodiff backend
  differentiates its forward but offers no ``scaled_sigmoid_der_output``.

The new entries are not in the shipped derivation cache: they are derived on the fly (into a
temporary user cache).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SPEC_ENTRIES = """

# ---- throwaway entries added by tests/test_registry_extension.py
ACTIVATIONS = (
    *ACTIVATIONS,
    Activation(
        name="mish_copy",
        formula="f(z) = z tanh(softplus(z))",
        # the registry's mish expression: tanh(log(1 + e^z)) would make the mpmath truth
        # lose the e^z term of f' for z << 0 at every precision it tries
        expr=Z * sp.exp(Z) * (sp.exp(Z) + 2) / (sp.exp(2 * Z) + 2 * sp.exp(Z) + 2),
        range=Interval(-0.31, math.inf),
    ),
    Activation(
        name="scaled_sigmoid",
        formula="f(z) = 2 / (1 + exp(-z))",
        expr=2 / (1 + sp.exp(-Z)),
        range=open_(0.0, 2.0),
        output_derivative=A * (1 - A / 2),
    ),
)
"""

REFERENCE_CODE = """

# ---- throwaway reference code added by tests/test_registry_extension.py
@underflow_ok
def mish_copy(z):
    z = as_float(z)
    return like(z * np.tanh(softplus(z)), z.dtype)


@underflow_ok
def mish_copy_der(z):
    # t + z sech^2(softplus z) sigmoid(z), sech^2 in its tail-accurate form
    z = as_float(z)
    sp_ = softplus(z)
    return like(np.tanh(sp_) + z * tanh_der(sp_) * sigmoid(z), z.dtype)


@underflow_ok
def mish_copy_der2(z):
    # sech^2(s) sigmoid(z) (2 + z (sigmoid(-z) - 2 tanh(s) sigmoid(z))), s = softplus(z)
    z = as_float(z)
    sp_, s = softplus(z), sigmoid(z)
    inner = 2.0 + z * (sigmoid(-z) - 2.0 * np.tanh(sp_) * s)
    return like(tanh_der(sp_) * s * inner, z.dtype)


@underflow_ok
def scaled_sigmoid(z):
    return like(2.0 * sigmoid(z), as_float(z).dtype)


@underflow_ok
def scaled_sigmoid_der(z):
    return like(2.0 * sigmoid_der(z), as_float(z).dtype)


@underflow_ok
def scaled_sigmoid_der2(z):
    return like(2.0 * sigmoid_der2(z), as_float(z).dtype)


@underflow_ok
def scaled_sigmoid_der_output(a):
    a = as_float(a)
    return a * (1.0 - 0.5 * a)
"""

JAX_CODE = """

# ---- throwaway hand-written JAX code added by tests/test_registry_extension.py
def scaled_sigmoid(z):
    return 2.0 * sigmoid(z)


def scaled_sigmoid_der(z):
    return 2.0 * sigmoid_der(z)


def scaled_sigmoid_der2(z):
    return 2.0 * sigmoid_der2(z)


def scaled_sigmoid_der_output(a):
    return a * (1.0 - 0.5 * a)
"""

# Runs inside the copy: the import-level claims, then `gradspec verify`.
DRIVER = """
import sys

from gradspec import spec
import gradspec.jaxbackend as J
import gradspec.reference as R
from gradspec.cli import main
from gradspec.jaxbackend import autodiff as AD

mish_copy = ("mish_copy", "mish_copy_der", "mish_copy_der2")
assert spec.protocol_names(spec.activation("mish_copy")) == mish_copy
assert all(callable(getattr(R, n)) and n in R.__all__ for n in mish_copy)
for ns in (J, AD, J.get_backend("jax"), J.get_backend("jax").autodiff):
    assert not any(hasattr(ns, n) for n in mish_copy), ns
assert not any(n in J.functions or n in J.raw or n in AD.functions for n in mish_copy)
assert "scaled_sigmoid_der_output" in J.functions
assert "scaled_sigmoid_der" in AD.functions
assert "scaled_sigmoid_der_output" not in AD.functions
assert not hasattr(AD, "scaled_sigmoid_der_output")
sys.exit(main(sys.argv[1:]))
"""


def _copy_layout(dest: Path) -> Path:
    """The installed package layout (``gradspec`` and its mapped sub-packages) under ``dest``."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    mapping = pyproject["tool"]["setuptools"]["package-dir"]
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    # parents first: "gradspec" before "gradspec.reference"
    for package, folder in sorted(mapping.items(), key=lambda kv: kv[0].count(".")):
        shutil.copytree(ROOT / folder, dest / package.replace(".", "/"), ignore=ignore)
    return dest / "gradspec"


def _append(path: Path, code: str) -> None:
    path.write_text(path.read_text() + code)


@pytest.mark.slow
def test_new_entries_are_checked_on_numpy_and_missing_from_jax(tmp_path):
    pkg = _copy_layout(tmp_path / "src")
    _append(pkg / "spec" / "activations.py", SPEC_ENTRIES)
    _append(pkg / "reference" / "activations.py", REFERENCE_CODE)
    _append(pkg / "jaxbackend" / "_ops.py", JAX_CODE)
    out = tmp_path / "verify.json"
    env = {
        **os.environ,
        "PYTHONPATH": str(tmp_path / "src"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),  # the on-the-fly derivations go here
    }
    env.pop("GRADSPEC_JAX_CACHE", None)
    args = ["verify", "--backend", "numpy,jax,jax-autodiff", "--only", "activations"]
    args += ["--dtype", "float64", "--profile", "quick", "--json", str(out)]
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(DRIVER), *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    reports = {imp["implementation"]: imp for imp in json.loads(out.read_text())["implementations"]}

    def checked(report: dict, subject: str) -> dict[str, str]:
        return {r["id"]: r["status"] for r in report["results"] if f"[{subject}:" in r["id"]}

    numpy = reports["numpy"]
    for subject in ("mish_copy", "scaled_sigmoid"):
        statuses = checked(numpy, subject)
        assert any(i.startswith("derivative[") for i in statuses), statuses
        assert set(statuses.values()) == {"pass"}, statuses
    assert not {"mish_copy", "scaled_sigmoid"} & {n.split("_der")[0] for n in numpy["missing"]}

    jax = reports["jax"]
    assert {"mish_copy", "mish_copy_der", "mish_copy_der2"} <= set(jax["missing"])
    assert not checked(jax, "mish_copy")
    assert set(checked(jax, "scaled_sigmoid").values()) == {"pass"}

    autodiff = reports["jax-autodiff"]
    assert {"mish_copy", "mish_copy_der", "mish_copy_der2", "scaled_sigmoid_der_output"} <= set(
        autodiff["missing"]
    )
    assert set(checked(autodiff, "scaled_sigmoid").values()) == {"pass"}
