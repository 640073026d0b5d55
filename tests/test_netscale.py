"""The reference check's rounding scale of a network gradient (conformance.checks.netscale):
correct float32 backward passes, NumPy and JAX autodiff, fall within it, also on batches whose
outputs nearly fit their targets (the error signal a - y cancels, and a bias gradient's batch
sum with it), and one wrong entry of 1% of the gradient's largest is still beyond it."""

from __future__ import annotations

import numpy as np
import pytest

import gradspec.jaxbackend as J
from gradspec.conformance.checks import netscale
from gradspec.conformance.engine.errormodel import BUDGETS, compare
from gradspec.reference import mlp

ARCHS = [
    mlp.Arch((3, 4, 3), "tanh", "softmax", "cross_entropy"),
    mlp.Arch((3, 4, 2), "sigmoid", "sigmoid", "log_loss", "sum"),
    mlp.Arch((3, 5, 4, 2), "relu", "identity", "half_squared"),
    mlp.Arch((2, 5, 1), "elu", "identity", "log_loss_logits"),
    mlp.Arch((3, 4, 3), "gelu", "identity", "cross_entropy_logits", "sum"),
    mlp.Arch((2, 3, 2), "softplus", "tanh", "huber"),
    mlp.Arch((2, 3, 3), "elu", "softmax", "half_squared", bias=False),
]
SEEDS = range(12)
N = 8


def _case(arch: mlp.Arch, seed: int) -> tuple[dict, np.ndarray, np.ndarray]:
    """float32 parameters (random biases too) and a batch; odd seeds take targets within 1e-3
    of the network's own outputs, where the output's error signal cancels."""
    rng = np.random.default_rng(seed)
    p = mlp.init_params(arch, seed)
    for k in p:
        if k.startswith("b"):
            p[k] = rng.normal(scale=0.5, size=p[k].shape)
    X = rng.normal(size=(N, arch.sizes[0]))
    k = arch.sizes[-1]
    if arch.cost in ("cross_entropy", "cross_entropy_logits"):
        Y = np.eye(k)[rng.integers(0, k, size=N)]
    elif seed % 2:
        out = mlp.predict(arch, p, X)
        if arch.cost == "log_loss_logits":
            out = 1 / (1 + np.exp(-out))
        Y = out + 1e-3 * rng.normal(size=out.shape)
        if arch.cost.startswith("log_loss"):
            Y = np.clip(Y, 0.0, 1.0)
    elif arch.cost.startswith("log_loss"):
        Y = rng.uniform(size=(N, k))
    else:
        Y = rng.normal(size=(N, k))
    as32 = {k: v.astype(np.float32) for k, v in p.items()}
    return as32, X.astype(np.float32), Y.astype(np.float32)


def _reference(arch: mlp.Arch, p32: dict, X32: np.ndarray, Y32: np.ndarray):
    """The float64 gradient at the float32 point, and its rounding scale."""
    p = {k: v.astype(np.float64) for k, v in p32.items()}
    X, Y = X32.astype(np.float64), Y32.astype(np.float64)
    return mlp.grads(arch, p, X, Y), netscale.gradient_scale(arch, p, X, Y)


def _worst_ratio(got: dict, want: dict, scale: dict) -> float:
    return max(
        compare(got[k], want[k], scale[k], np.float32, BUDGETS["network"]).worst_ratio for k in want
    )


@pytest.mark.parametrize("arch", ARCHS, ids=str)
def test_a_correct_float32_numpy_backprop_is_within_the_scale(arch):
    for seed in SEEDS:
        p, X, Y = _case(arch, seed)
        want, scale = _reference(arch, p, X, Y)
        got = mlp.grads(arch, p, X, Y)
        assert all(v.dtype == np.float32 for v in got.values())
        assert _worst_ratio(got, want, scale) <= 1, f"seed {seed}"


@pytest.mark.parametrize("arch", ARCHS, ids=str)
def test_a_correct_float32_jax_autodiff_is_within_the_scale(arch):
    net = J.Network(arch, grads="autodiff")
    for seed in SEEDS:
        p, X, Y = _case(arch, seed)
        want, scale = _reference(arch, p, X, Y)
        got = {k: np.asarray(v) for k, v in net.grads(p, X, Y).items()}
        assert all(v.dtype == np.float32 for v in got.values())
        assert _worst_ratio(got, want, scale) <= 1, f"seed {seed}"


@pytest.mark.parametrize("arch", ARCHS, ids=str)
def test_one_entry_wrong_by_1_percent_of_the_largest_is_beyond_the_scale(arch):
    """Planted where the scale is loosest: the entry of each tensor with the largest S, on
    batches with drawn targets (on a nearly fitted batch the gradient is itself a cancellation,
    and what is caught is relative to S, not to that gradient: docs/tolerances.md)."""
    for seed in SEEDS[::2]:
        p, X, Y = _case(arch, seed)
        want, scale = _reference(arch, p, X, Y)
        got = mlp.grads(arch, p, X, Y)
        top = max(float(np.max(np.abs(v))) for v in want.values())
        for k in want:
            i = np.unravel_index(int(np.argmax(scale[k])), scale[k].shape)
            bad = {**got, k: got[k].copy()}
            bad[k][i] += np.float32(0.01 * top)
            assert _worst_ratio(bad, want, scale) > 1, f"seed {seed}, {k}{list(i)}"


def test_the_scale_is_finite_and_at_least_the_gradient():
    for arch in ARCHS:
        p, X, Y = _case(arch, 0)
        want, scale = _reference(arch, p, X, Y)
        for k in want:
            assert np.all(np.isfinite(scale[k])) and scale[k].shape == want[k].shape
            assert np.all(scale[k] >= np.abs(want[k]))
