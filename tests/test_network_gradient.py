"""The network gradient check's core (checks.network.check_gradient) on a reference network:
what it catches, what it accepts, and what it spends."""

from __future__ import annotations

import numpy as np
import pytest

from gradspec.conformance.checks import network
from gradspec.reference import mlp

ARCH = mlp.Arch((8, 16, 4), "tanh", "identity", "half_squared", "mean", True)
#: 60,430 parameters, the size of the benchmark's larger checked network.
WIDE = mlp.Arch((784, 76, 10), "tanh", "identity", "half_squared", "mean", True)


class Net:
    """A tanh network in ``dtype`` behind a flat float64 interface, counting loss calls."""

    def __init__(self, dtype: str, arch: mlp.Arch = ARCH):
        self.dtype = np.dtype(dtype)
        self.arch = arch
        params = mlp.init_params(arch, 0, np.float64)
        rng = np.random.default_rng(1)
        self.X = rng.uniform(-1, 1, (16, arch.sizes[0])).astype(dtype)
        self.Y = rng.uniform(0.05, 0.95, (16, arch.sizes[-1])).astype(dtype)
        flat, self.layout = mlp.flatten(params)
        self.flat = flat.astype(dtype).astype(np.float64)
        self.calls = 0
        p = mlp.unflatten(self.flat, self.layout, dtype)
        self.grad = mlp.flatten(mlp.grads(arch, p, self.X, self.Y))[0]

    def loss(self, flat: np.ndarray) -> float:
        self.calls += 1
        params = mlp.unflatten(flat, self.layout, self.dtype)
        return float(mlp.loss(self.arch, params, self.X, self.Y))

    def rounding(self) -> np.ndarray:
        """The gradient's rounding scale, as the ``gradient`` check takes it in float32."""
        p = mlp.unflatten(self.flat, self.layout, self.dtype)

        def flat_grads(x: np.ndarray, y: np.ndarray) -> np.ndarray:
            return mlp.flatten(mlp.grads(self.arch, p, x, y))[0]

        return network.per_row_rounding(flat_grads, self.grad, self.X, self.Y)

    def check(self, grad: np.ndarray, seed: int) -> bool:
        self.calls = 0
        rounding = None if self.dtype == np.float64 else self.rounding
        out = network.check_gradient(self.loss, self.flat, grad, seed, self.dtype, False, rounding)
        return all(ratio <= 1 for _d, _u, ratio in out)

    def planted(self, seed: int, rel: float) -> np.ndarray:
        rng = np.random.default_rng(seed)
        bad = self.grad.astype(self.dtype)
        bad[rng.integers(bad.size)] += self.dtype.type(rel * np.max(np.abs(self.grad)))
        return bad.astype(np.float64)


def test_true_gradient_passes_on_the_first_tables_alone():
    net = Net("float64")
    for seed in range(10):
        assert net.check(net.grad, seed)
        # one loss for its rounding, then FIRST_ROWS rows of 2 evaluations per direction
        assert net.calls == 1 + network.DIRECTIONS * 2 * network.FIRST_ROWS


@pytest.mark.parametrize("rel", [1e-2, 1e-6])
def test_one_wrong_entry_is_caught_by_the_full_table(rel):
    net = Net("float64")
    for seed in range(10):
        assert not net.check(net.planted(seed, rel), seed)
        assert net.calls > 1 + 2 * network.FIRST_ROWS  # the full table decided the failure


def test_float32_loss_catches_a_1_percent_entry_without_false_alarm():
    net = Net("float32")
    for seed in range(10):
        assert net.check(net.grad.astype(np.float32).astype(np.float64), seed)
        assert not net.check(net.planted(seed, 1e-2), seed)


def test_float32_loss_at_60k_parameters_catches_a_10_percent_entry_without_false_alarm():
    """One wrong entry weighs 1/sqrt(k) against a threshold growing as sqrt(k) on a
    direction's k parameters: over all 60,430 a 10% error stays below it, over a quarter of
    them (``F32_PARTS``) it is caught."""
    net = Net("float32", WIDE)
    for seed in range(4):
        assert net.check(net.grad.astype(np.float32).astype(np.float64), seed)
        assert not net.check(net.planted(seed, 1e-1), seed)


@pytest.mark.parametrize("n", [3, 212, 60_430])
def test_float32_directions_partition_the_parameters(n):
    """Each parameter in exactly one float32 direction, with the signs of the direction the
    figure and the localisation re-use; every direction of unit length."""
    vs = list(network.direction_vectors(n, np.random.default_rng(7), True))
    assert len(vs) == min(network.F32_PARTS, n)
    support = np.array([v != 0 for v in vs])
    assert np.array_equal(support.sum(axis=0), np.ones(n))
    for v in vs:
        assert np.sqrt(np.sum(v * v)) == pytest.approx(1.0, rel=1e-12)
    full = network._first_direction(n, 7)
    assert np.array_equal(np.sign(np.sum(vs, axis=0)), np.sign(full))
    # float64: independent directions over all parameters, the first one the same
    v64 = list(network.direction_vectors(n, np.random.default_rng(7), False))
    assert len(v64) == network.DIRECTIONS and np.array_equal(v64[0], full)


def test_a_network_subjects_precision_warning_has_no_stable_form_and_no_error():
    """A warning on a network check looks its subject up in the registry for a stable form:
    a network label (``mlp[3-4-1 ...]``, bracketed like a parametrised registry id) is no
    registry name, and must not turn the warning into an internal error."""
    from gradspec.conformance.checks.common import _stable_form

    assert _stable_form(ARCH.label) == ""
    assert _stable_form("sigmoid+log_loss").startswith("; stable form: sigmoid: ")


# A hidden ReLU unit at z = -2.7e-6 (the thorough profile's draw: params of seed 15196, one
# input row of 0.05s): the kink lies within the first retry's step (1e-4) along the check's
# directions.  A float32 gradient against the float64 loss must pass; one wrong entry must not.
RELU = mlp.Arch((4, 6, 3), "relu", "softmax", "cross_entropy", "mean", True)


def _at_relu_kink() -> tuple:
    params = mlp.init_params(RELU, 15196, np.float32)
    X = np.full((1, 4), 0.05, np.float32)
    Y = np.array([[1.0, 0.0, 0.0]], np.float32)
    z_hidden = mlp.forward(RELU, params, X)[0][0]
    assert 0 < -z_hidden[0, 0] < 1e-5  # the example still sits next to the kink
    flat, layout = mlp.flatten(params)
    g = mlp.flatten(mlp.grads(RELU, params, X, Y))[0].astype(np.float64)
    X64, Y64 = X.astype(np.float64), Y.astype(np.float64)

    def loss(f: np.ndarray) -> float:
        return float(mlp.loss(RELU, mlp.unflatten(f, layout, np.float64), X64, Y64))

    return loss, flat.astype(np.float64), g


def test_a_unit_next_to_a_relu_kink_is_not_a_false_alarm():
    loss, flat, g = _at_relu_kink()
    f32 = np.dtype(np.float32)
    out = network.check_gradient(loss, flat, g, 15196, f32, True)
    assert all(ratio <= 1 for _d, _u, ratio in out)
    # without the kink retries the same directions fail: the example does exercise them
    plain = network.check_gradient(loss, flat, g, 15196, f32, False)
    assert any(ratio > 1 for _d, _u, ratio in plain)


def test_a_wrong_entry_next_to_a_relu_kink_is_still_caught():
    loss, flat, g = _at_relu_kink()
    bad = g.copy()
    bad[10] += 0.01 * np.max(np.abs(g))  # one entry off by 1% of the largest
    out = network.check_gradient(loss, flat, bad, 15196, np.dtype(np.float32), True)
    assert any(ratio > 1 for _d, _u, ratio in out)


# Correct float32 gradients of two thorough-profile draws (two equal input rows of 0.05s, the
# targets either side of the output): the batch sum of the gradient cancels, and its float32
# rounding is 258-260 eps-units of sum |g_i v_i|, beyond the threshold of 256.
SIGMOID = mlp.Arch((3, 4, 1), "sigmoid", None, "log_loss", "sum", False)
ELU = mlp.Arch((2, 5, 1), "elu", "identity", "log_loss_logits", "mean")
CANCELLING = [(SIGMOID, 398, [0.68251044, 0.6485443]), (ELU, 1652, [0.17593385, 0.8196106])]


def _cancelling(arch: mlp.Arch, seed: int, targets: list) -> tuple:
    params = mlp.init_params(arch, seed, np.float32)
    X = np.full((2, arch.sizes[0]), 0.05, np.float32)
    Y = np.array(targets, np.float32)[:, None]
    flat, layout = mlp.flatten(params)
    g = mlp.flatten(mlp.grads(arch, params, X, Y))[0]
    X64, Y64 = X.astype(np.float64), Y.astype(np.float64)
    flat = flat.astype(np.float64)

    def loss(f: np.ndarray) -> float:
        return float(mlp.loss(arch, mlp.unflatten(f, layout, np.float64), X64, Y64))

    def by_rows() -> np.ndarray:
        return network.per_row_rounding(
            lambda x, y: mlp.flatten(mlp.grads(arch, params, x, y))[0], g, X, Y
        )

    return loss, flat, g, by_rows


@pytest.mark.parametrize(("arch", "seed", "targets"), CANCELLING, ids=["sigmoid", "elu"])
def test_a_float32_gradient_whose_batch_sum_cancels_is_not_a_false_alarm(arch, seed, targets):
    loss, flat, g, by_rows = _cancelling(arch, seed, targets)
    f32 = np.dtype(np.float32)
    kinked = network.has_kinks(arch)
    plain = network.check_gradient(loss, flat, g, seed, f32, kinked)
    assert any(ratio > 1 for _d, _u, ratio in plain)  # the example does cancel
    out = network.check_gradient(loss, flat, g, seed, f32, kinked, by_rows)
    assert all(ratio <= 1 for _d, _u, ratio in out)


@pytest.mark.parametrize(("arch", "seed", "targets"), CANCELLING, ids=["sigmoid", "elu"])
def test_a_wrong_entry_of_a_cancelling_float32_gradient_is_still_caught(arch, seed, targets):
    """10% of the largest entry: the batch sum cancels ~80-fold here, and float32 rounding
    of its rows is that much larger against the gradient (1% is caught on the sigmoid
    network, 0.27 of the threshold on the ELU one)."""
    loss, flat, g, by_rows = _cancelling(arch, seed, targets)
    f32 = np.dtype(np.float32)
    kinked = network.has_kinks(arch)
    for i in range(g.size):
        bad = g.copy()
        bad[i] += np.float32(0.1 * np.max(np.abs(g)))
        out = network.check_gradient(loss, flat, bad, seed, f32, kinked, by_rows)
        assert any(ratio > 1 for _d, _u, ratio in out), i


def test_per_row_rounding_tells_a_mean_from_a_sum():
    for reduction, c in (("mean", 1 / 8), ("sum", 1.0)):
        arch = mlp.Arch((3, 4, 2), "tanh", "identity", "half_squared", reduction)
        params = mlp.init_params(arch, 3)
        rng = np.random.default_rng(3)
        X, Y = rng.normal(size=(8, 3)), rng.normal(size=(8, 2))
        g = mlp.flatten(mlp.grads(arch, params, X, Y))[0]

        def flat_grads(x, y, arch=arch, params=params):
            return mlp.flatten(mlp.grads(arch, params, x, y))[0]

        rows = [flat_grads(X[n : n + 1], Y[n : n + 1]) for n in range(8)]
        S = network.per_row_rounding(flat_grads, g, X, Y)
        np.testing.assert_allclose(S, c * np.sum(np.abs(rows), axis=0), rtol=1e-12)
        assert np.all(np.abs(g) * (1 - 1e-12) <= S)
