"""Backend selection, device errors, the opt-in compilation cache and a light import."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import jax
import numpy as np
import pytest

import gradspec.jaxbackend as J
import gradspec.jaxbackend.autodiff  # noqa: F401  (J.autodiff: a submodule, not imported by J)
from gradspec.errors import UsageError


def test_jax_gpu_without_gpu_is_a_one_line_usage_error_naming_cpu():
    if any(d.platform == "gpu" for d in jax.devices()):
        pytest.skip("this machine has a GPU")  # never silent on the CPU CI machine
    with pytest.raises(UsageError) as exc:
        J.get_backend("jax:gpu")
    msg = str(exc.value)
    assert "\n" not in msg and "cpu:0" in msg and "gradspec[cuda]" in msg


def test_unknown_backend_spec():
    with pytest.raises(UsageError, match="jax:cpu"):
        J.get_backend("jax:tpu9")
    with pytest.raises(UsageError, match="unknown backend"):
        J.get_backend("numpy")


@pytest.mark.parametrize("spec", ["jax", "jax:cpu", "JAX:CPU"])
def test_backends_compute_on_their_device(spec):
    b = J.get_backend(spec)
    z = np.linspace(-3, 3, 7)
    np.testing.assert_array_equal(b.sigmoid(z), J.sigmoid(z))
    assert b.sigmoid(z).dtype == np.float64
    np.testing.assert_array_equal(b.autodiff.sigmoid_der(z), J.autodiff.sigmoid_der(z))
    if spec != "jax":
        assert b.device.platform == "cpu"
        out = b.jaxfns.sigmoid(jax.device_put(z.astype(np.float32), b.device))
        assert out.devices() == {b.device}
    assert b.autodiff.kind == "autodiff" and "sigmoid" in b.functions


def test_backend_network():
    from gradspec.reference.mlp import Arch

    b = J.get_backend("jax:cpu")
    net = b.Network(Arch((2, 3, 1), "tanh"))
    p = net.init_params(0)
    g = net.grads(p, np.ones((4, 2)), np.zeros((4, 1)))
    assert set(g) == {"W0", "b0", "W1", "b1"}
    # float64 must survive the transfer to the chosen device (device_put outside the x64
    # scope would demote it to float32)
    assert g["W0"].dtype == np.float64
    want = J.Network(Arch((2, 3, 1), "tanh")).grads(p, np.ones((4, 2)), np.zeros((4, 1)))
    np.testing.assert_array_equal(g["W0"], want["W0"])


def _run(code: str, **env) -> str:
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return out.stdout.strip()


def test_import_compiles_nothing_and_cache_is_opt_in():
    code = (
        "import jax, gradspec.jaxbackend as J, gradspec.jaxbackend.autodiff as A\n"
        "n = sum(f._cache_size() for f in {**J.raw, **A.raw}.values())\n"
        "print(n, jax.config.jax_compilation_cache_dir, jax.config.jax_enable_x64)"
    )
    env = {k: v for k, v in os.environ.items() if k != "GRADSPEC_JAX_CACHE"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["0", "None", "False"]


def test_persistent_cache_with_env_var(tmp_path):
    code = "import numpy as np, gradspec.jaxbackend as J; print(J.sigmoid(np.ones(3))[0])"
    _run(code, GRADSPEC_JAX_CACHE=str(tmp_path))
    assert any(tmp_path.iterdir()), "no compilation cache entries were written"


def test_cache_switched_off_is_not_a_folder(tmp_path, monkeypatch):
    from gradspec.jaxbackend._backend import enable_cache_from_env

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GRADSPEC_JAX_CACHE", "off")
    before = enable_cache_from_env.__globals__["_cache_dir"]
    assert enable_cache_from_env() == before
    assert not (tmp_path / "off").exists()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_banked_deltas_equal_each_pairs_own_compilation(dtype, kind="hand"):
    """delta() runs a cost's pairs as branches of one jitted switch (one MLIR lowering for
    all of them): every valid pair gives the bits its own jitted delta gives.  (The
    autodiff table shares the code; it gave the same bits when checked, and compiling its
    ~400 deltas one by one again would double this test's time.)"""
    from gradspec import strategies as gst
    from gradspec.conformance.engine import sampled
    from gradspec.jaxbackend import _impl, _protocol
    from gradspec.spec import PAIRS

    ops = _impl.HAND_OPS if kind == "hand" else _impl.AUTODIFF_OPS
    raw = _impl.HAND_RAW if kind == "hand" else _impl.AUTODIFF_RAW
    delta = _impl.wrapped(kind)["delta"]
    banked = 0
    for p in (p for p in PAIRS if p.valid):
        act, cost = p.activation.name, p.cost.name
        if act not in ops or cost not in ops:
            continue
        sampler = gst.sampler_of(gst.pair_inputs(p, dtype=dtype))
        z, y = sampler.build(sampled.blobs(sampler, 3)[2])
        own = _protocol.run_bucketed(
            raw["_delta_zy"], [z, y], np.dtype(dtype), p.activation.vector, static=(act, cost)
        )
        got = delta(act, cost, z, y)
        assert got.dtype == own.dtype and np.array_equal(got, own, equal_nan=True), p.name
        banked += 1
    assert banked > 150


_STORED_CODE = """
import hashlib, numpy as np, gradspec.jaxbackend as J, gradspec.jaxbackend.autodiff as A
from gradspec.jaxbackend import enable_cache_from_env, mlp
enable_cache_from_env()
z = np.linspace(-4, 4, 11)
y = np.linspace(0.1, 0.9, 11)
outs = [
    J.sigmoid_der(z), J.sigmoid_der(z.astype(np.float32)), J.leaky_relu(z, slope=0.2),
    J.delta("sigmoid", "log_loss", z, y), J.delta("softplus[beta=2]", "squared", z, y),
    J.reduce_der(z, "mean", 11), A.tanh_der(z),
]
net = mlp.Network(mlp.Arch((3, 4, 2), "tanh"))
p = net.init_params(0)
X, Y = np.linspace(-1, 1, 15).reshape(5, 3), np.linspace(0, 1, 10).reshape(5, 2)
outs += [net.grads(p, X, Y)[k] for k in sorted(p)] + [np.float64(net.loss(p, X, Y))]
print(hashlib.sha256(b"".join(np.asarray(o).tobytes() for o in outs)).hexdigest())
"""


def test_stored_programs_give_the_bits_of_jax_jit_and_survive_a_corrupt_store(tmp_path):
    """The backend's compiled programs are kept on disk and loaded by later processes
    without tracing: the same bits as jax.jit compiling them (the cache off), from a fresh
    store, a loaded one, and one whose files were all corrupted (compiled anew)."""
    fresh = _run(_STORED_CODE, GRADSPEC_JAX_CACHE="off")
    assert _run(_STORED_CODE, GRADSPEC_JAX_CACHE=str(tmp_path)) == fresh
    stored = sorted((tmp_path / "executables").rglob("*.bin"))
    assert len(stored) >= 9  # one per function, dtype and static argument seen
    written = {f: f.stat().st_mtime_ns for f in stored}
    assert _run(_STORED_CODE, GRADSPEC_JAX_CACHE=str(tmp_path)) == fresh
    assert {f: f.stat().st_mtime_ns for f in stored} == written  # loaded, not compiled again
    for f in stored:
        f.write_bytes(f.read_bytes()[:100])
    assert _run(_STORED_CODE, GRADSPEC_JAX_CACHE=str(tmp_path)) == fresh
    assert all(f.stat().st_size > 100 for f in stored)  # replaced by valid programs
    assert not list((tmp_path / "executables").rglob("*.tmp"))


def test_a_library_user_gets_no_stored_programs_unless_asking(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "GRADSPEC_JAX_CACHE"}
    env["XDG_CACHE_HOME"] = str(tmp_path)
    code = _STORED_CODE.replace("enable_cache_from_env()\n", "")
    subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True)
    assert not list(tmp_path.rglob("*.bin"))


def test_stored_programs_of_other_versions_go_after_30_days_unused(tmp_path):
    root = tmp_path / "executables"
    stale, recent = root / "0123456789abcdef", root / "fedcba9876543210"
    for d in (stale, recent):
        d.mkdir(parents=True)
        (d / "x.bin").write_bytes(b"old")
    month_ago = time.time() - 31 * 86400
    os.utime(stale, (month_ago, month_ago))
    _run(_STORED_CODE, GRADSPEC_JAX_CACHE=str(tmp_path))
    assert not stale.exists() and (recent / "x.bin").exists()
    assert len(list(root.iterdir())) == 2  # this version's folder and the recent one
