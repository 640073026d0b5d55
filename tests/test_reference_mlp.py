"""Tests of gradspec.reference.chain, mlp and optim: backprop against central differences."""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import gradspec.reference as ref
from gradspec import spec
from gradspec.reference import chain, mlp, optim
from gradspec.reference import costs as C

EPS = np.finfo(np.float64).eps
H = np.cbrt(EPS)  # central-difference step: balances O(h^2) truncation and eps/h rounding


def _data(arch: mlp.Arch, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, arch.sizes[0]))
    k = arch.sizes[-1]
    if arch.cost in ("cross_entropy", "cross_entropy_logits"):
        Y = np.eye(k)[rng.integers(0, k, size=n)]
    elif arch.cost in ("log_loss", "log_loss_logits"):
        Y = rng.uniform(size=(n, k))
    else:
        Y = rng.normal(size=(n, k))
    return X, Y


def numeric_grads(arch: mlp.Arch, params: mlp.Params, X, Y) -> mlp.Params:
    out = {}
    for key, p in params.items():
        g = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            plus = {**params, key: p.copy()}
            minus = {**params, key: p.copy()}
            plus[key][idx] += H
            minus[key][idx] -= H
            g[idx] = (mlp.loss(arch, plus, X, Y) - mlp.loss(arch, minus, X, Y)) / (2 * H)
        out[key] = g
    return out


ARCHS = [
    mlp.Arch((3, 4, 3), "tanh", "softmax", "cross_entropy"),
    mlp.Arch((3, 4, 2), "sigmoid", cost="log_loss", reduction="sum"),
    mlp.Arch((3, 5, 4, 2), "relu", "identity", "half_squared"),
    mlp.Arch((2, 3, 2), "tanh", "identity", "squared", bias=False),
    mlp.Arch((3, 4, 3), "gelu", "identity", "cross_entropy_logits"),
    mlp.Arch((3, 4, 1), "swish", "identity", "log_loss_logits"),
    mlp.Arch((2, 3, 2), "softplus", "tanh", "huber"),
    mlp.Arch((2, 3, 3), "elu", "softmax", "half_squared"),
]


@pytest.mark.parametrize("arch", ARCHS, ids=lambda a: f"{a.activation}-{a.out_activation}-{a.cost}")
def test_grads_match_central_differences_of_loss(arch):
    X, Y = _data(arch, n=5, seed=0)
    params = mlp.init_params(arch, seed=1)
    if arch.bias:  # nonzero biases so their gradient path is exercised
        params = {k: v + 0.1 if k.startswith("b") else v for k, v in params.items()}
    if arch.activation == "relu":
        # keep pre-activations away from relu's kink, where the quotient straddles two pieces
        for z, _ in mlp.forward(arch, params, X)[:-1]:
            assert np.abs(z).min() > 10 * H
    analytic = mlp.grads(arch, params, X, Y)
    numeric = numeric_grads(arch, params, X, Y)
    assert analytic.keys() == params.keys()
    for key in params:
        assert analytic[key].shape == params[key].shape
        # loss is O(1-10) and its third derivatives O(1-10) in the weights: the difference
        # quotient is good to ~eps^(2/3) * 10 (4e-10); 1e-7 leaves a wide margin yet is many
        # orders below the error of a wrong chain-rule factor (O(gradient) ~ 1e-2 .. 1).
        np.testing.assert_allclose(analytic[key], numeric[key], atol=1e-7, rtol=1e-6, err_msg=key)


def test_no_bias_has_no_b_keys():
    arch = mlp.Arch((2, 3, 1), "tanh", bias=False)
    params = mlp.init_params(arch, 0)
    assert set(params) == {"W0", "W1"}
    X, Y = _data(arch, 4, 0)
    assert set(mlp.grads(arch, params, X, Y)) == {"W0", "W1"}


def test_init_params_layout_glorot_and_rng_isolation():
    arch = mlp.Arch((4, 6, 2), "tanh")
    np.random.seed(123)
    state = np.random.get_state()[1].copy()
    p1 = mlp.init_params(arch, seed=7)
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # global RNG untouched
    p2 = mlp.init_params(arch, seed=7)
    assert {k: v.shape for k, v in p1.items()} == {
        "W0": (4, 6),
        "b0": (6,),
        "W1": (6, 2),
        "b1": (2,),
    }
    for k in p1:
        np.testing.assert_array_equal(p1[k], p2[k])
    assert np.abs(p1["W0"]).max() <= np.sqrt(6 / 10)
    assert not np.array_equal(p1["W0"], mlp.init_params(arch, seed=8)["W0"])


def test_float32_stays_float32():
    arch = mlp.Arch((3, 4, 3), "tanh", "softmax", "cross_entropy")
    params = mlp.init_params(arch, 0, dtype=np.float32)
    X, Y = _data(arch, 6, 0)
    X, Y = X.astype(np.float32), Y.astype(np.float32)
    for z, a in mlp.forward(arch, params, X):
        assert z.dtype == np.float32 and a.dtype == np.float32
    assert all(g.dtype == np.float32 for g in mlp.grads(arch, params, X, Y).values())
    assert all(p.dtype == np.float32 for p in mlp.train_step(arch, params, X, Y, 0.1).values())
    for batch in mlp.minibatch_grads(arch, params, X, Y, 4):
        assert all(g.dtype == np.float32 for g in batch.values())


def test_train_step_is_params_minus_lr_grads_and_does_not_mutate():
    arch = mlp.Arch((3, 4, 2), "sigmoid", cost="log_loss")
    params = mlp.init_params(arch, 0)
    before = {k: v.copy() for k, v in params.items()}
    X, Y = _data(arch, 5, 0)
    new = mlp.train_step(arch, params, X, Y, lr=0.3)
    g = mlp.grads(arch, params, X, Y)
    for k in params:
        np.testing.assert_array_equal(new[k], params[k] - 0.3 * g[k])
        np.testing.assert_array_equal(params[k], before[k])
        assert new[k] is not params[k]


def test_minibatch_grads_short_last_batch_averages_over_true_size():
    arch = mlp.Arch((2, 3, 1), "tanh", "identity", "half_squared", reduction="mean")
    params = mlp.init_params(arch, 0)
    X, Y = _data(arch, 10, 0)
    batches = mlp.minibatch_grads(arch, params, X, Y, batch_size=4)
    assert len(batches) == 3
    for got, lo, hi in zip(batches, [0, 4, 8], [4, 8, 10], strict=True):
        want = mlp.grads(arch, params, X[lo:hi], Y[lo:hi])
        for k in params:
            np.testing.assert_array_equal(got[k], want[k])
    # the last batch's mean is over its 2 examples: its gradient is the mean of theirs
    singles = [mlp.grads(arch, params, X[i : i + 1], Y[i : i + 1]) for i in (8, 9)]
    for k in params:
        # a mean of two values vs the same sum scaled once: equal to a couple of ulps
        np.testing.assert_allclose(
            batches[-1][k], (singles[0][k] + singles[1][k]) / 2, rtol=4 * EPS, atol=4 * EPS
        )


def test_loss_reduction_sum_is_n_times_mean():
    mean = mlp.Arch((2, 3, 2), "tanh", "identity", "half_squared", reduction="mean")
    total = mlp.Arch((2, 3, 2), "tanh", "identity", "half_squared", reduction="sum")
    params = mlp.init_params(mean, 0)
    X, Y = _data(mean, 7, 0)
    out = mlp.predict(mean, params, X)
    assert mlp.loss(total, params, X, Y) == pytest.approx(C.half_squared(out, Y).sum(), rel=1e-15)
    assert mlp.loss(mean, params, X, Y) == pytest.approx(mlp.loss(total, params, X, Y) / 7)


def test_arch_validation():
    with pytest.raises(spec.UnknownName):
        mlp.Arch((2, 1), "no_such_activation")
    with pytest.raises(spec.UnknownName):
        mlp.Arch((2, 1), "tanh", cost="no_such_cost")
    with pytest.raises(ValueError, match="identity"):
        mlp.Arch((2, 1), "tanh", "sigmoid", "log_loss_logits")
    with pytest.raises(ValueError, match="prediction domain"):
        mlp.Arch((2, 1), "tanh", "tanh", "log_loss")  # tanh ranges outside (0, 1)
    with pytest.raises(ValueError):
        mlp.Arch((2,), "tanh")
    assert mlp.Arch((2, 1), "silu").out_activation == "silu"


def test_network_wraps_the_functions():
    arch = ARCHS[0]
    net = mlp.Network(arch)
    params = net.init_params(3)
    X, Y = _data(arch, 6, 1)
    assert net.loss(params, X, Y) == mlp.loss(arch, params, X, Y)
    for k, g in net.grads(params, X, Y).items():
        np.testing.assert_array_equal(g, mlp.grads(arch, params, X, Y)[k])
    assert len(net.minibatch_grads(params, X, Y, 4)) == 2
    assert net.train_step(params, X, Y, 0.1).keys() == params.keys()


# --------------------------------------------------------------------------- chain


@pytest.mark.parametrize(
    ("activation", "cost"),
    [
        ("sigmoid", "log_loss"),
        ("softmax", "cross_entropy"),
        ("identity", "half_squared"),
        ("identity", "squared"),
        ("tanh", "half_squared"),
        ("softmax", "half_squared"),
        ("identity", "cross_entropy_logits"),
        ("identity", "log_loss_logits"),
    ],
)
def test_delta_matches_composed_chain_rule(activation, cost):
    rng = np.random.default_rng(0)
    z = rng.normal(size=(4, 3))
    y = rng.dirichlet(np.ones(3), size=4)
    d = chain.delta(activation, cost, z, y)
    if spec.cost(cost).inputs == "logits":
        want = getattr(C, f"{cost}_der")(z, y)
    else:
        a = getattr(ref, activation)(z)
        upstream = chain.dC_da(cost, a, y)
        if activation == "softmax":  # explicit Jacobian product, row by row
            want = np.einsum("nk,nkj->nj", upstream, chain.da_dz(activation, z))
        else:
            want = upstream * chain.da_dz(activation, z)
    # the fused a - y and the composed product differ only by the rounding of the factors
    np.testing.assert_allclose(d, want, rtol=1e-12, atol=1e-13)


def test_delta_rejects_invalid_pairs():
    with pytest.raises(ValueError):
        chain.delta("tanh", "log_loss", np.zeros(2), np.zeros(2))
    with pytest.raises(ValueError):
        chain.delta("sigmoid", "log_loss_logits", np.zeros(2), np.zeros(2))


def test_simple_factors_and_layer_factors():
    a_prev = np.array([1.0, -2.0])
    W = np.array([[0.5, -1.0, 0.2], [0.3, 0.1, -0.4]])
    b = np.array([0.1, 0.0, -0.1])
    np.testing.assert_array_equal(chain.dz_dw(a_prev), a_prev)
    np.testing.assert_array_equal(chain.dz_db(np.zeros(3)), np.ones(3))
    np.testing.assert_array_equal(chain.dz_da_prev(W), W)
    d = np.array([[1.0, 2.0, 3.0]])
    np.testing.assert_array_equal(chain.dC_da_prev(d, W), d @ W.T)
    y = np.array([0.0, 1.0, 0.0])
    f = chain.layer_factors("sigmoid", a_prev, W, b, cost="log_loss", y=y)
    np.testing.assert_allclose(f.z, a_prev @ W + b)
    np.testing.assert_allclose(f.dC_dz, f.a - y, atol=1e-15)
    # delta = dC/da * da/dz for the unfused path as well; values O(1): a few ulps
    np.testing.assert_allclose(f.dC_dz, f.dC_da * f.da_dz, rtol=1e-14)
    np.testing.assert_allclose(f.dC_dW, np.outer(a_prev, f.dC_dz))
    np.testing.assert_allclose(f.dC_da_prev, W @ f.dC_dz)
    hidden = chain.layer_factors("tanh", a_prev, W, upstream=np.ones(3))
    np.testing.assert_allclose(hidden.dC_dz, ref.tanh_der(a_prev @ W))


# --------------------------------------------------------------------------- optim


def test_gradient_descent_on_quadratic():
    # f(x) = 2 (x - 3)^2, f' = 4 (x - 3), f'' = 4: lr = 1/f'' lands on the minimum in one step
    x, hist = optim.gradient_descent(lambda x: 4 * (x - 3), 0.0, optim.ideal_step_1d(4.0), 3)
    assert len(hist) == 4 and hist[0] == 0.0
    assert x == 3.0
    seen = []

    def record(k, x):
        seen.append(k)

    x, _ = optim.gradient_descent(lambda x: 4 * (x - 3), 0.0, 0.1, 50, callback=record)
    assert seen == list(range(1, 51))
    assert abs(x - 3) < 1e-8  # contraction 0.6 per step: 0.6^50 * 3 ~ 2e-11


def test_newton_step_solves_quadratic_exactly():
    A = np.array([[3.0, 1.0], [1.0, 2.0]])
    b = np.array([1.0, -1.0])
    x0 = np.array([5.0, -7.0])
    x1 = optim.newton_step(A @ x0 - b, A, x0)  # gradient of x^T A x / 2 - b^T x
    np.testing.assert_allclose(x1, np.linalg.solve(A, b), rtol=1e-14)
    assert optim.newton_step(2.0, 4.0, 1.0) == 0.5


def test_sgd_reduces_loss_and_is_reproducible():
    arch = mlp.Arch((2, 8, 1), "tanh", "identity", "half_squared")
    X, Y = _data(arch, 10, 2)
    Y = np.sin(X[:, :1])
    params = mlp.init_params(arch, 0)
    p1, h1 = optim.sgd(arch, params, X, Y, lr=0.2, epochs=30, batch_size=4, seed=5)
    p2, h2 = optim.sgd(arch, params, X, Y, lr=0.2, epochs=30, batch_size=4, seed=5)
    assert len(h1["epoch"]) == 31 and len(h1["step"]) == 30 * 3
    assert h1 == h2 and all(np.array_equal(p1[k], p2[k]) for k in p1)
    assert h1["epoch"][-1] < 0.5 * h1["epoch"][0]


# --------------------------------------------------------------------------- packaging


def test_reference_never_imports_derivations():
    """The design keeps reference/ and derivations/ independent; conformance joins them."""
    root = pathlib.Path(ref.__file__).parent
    for path in root.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or "", *(alias.name for alias in node.names)]
            else:
                continue
            assert not any("derivations" in n for n in names), (path.name, names)


def test_reference_imports_with_derivations_absent():
    code = (
        "import sys; sys.modules['gradspec.derivations'] = None\n"  # makes its import fail
        "import gradspec.reference, gradspec.reference.chain, gradspec.reference.optim\n"
        "print(gradspec.reference.sigmoid(0.0))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0.5"


def test_public_names():
    from gradspec.reference import half_squared, mlp, sigmoid, sigmoid_der  # noqa: F401

    for name in ref.__all__:
        assert hasattr(ref, name), name
