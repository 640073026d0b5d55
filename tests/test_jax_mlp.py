"""The jitted JAX MLP against gradspec.reference.mlp: loss, hand and autodiff gradients, the GD
step, the fori_loop and scan training loops, dtypes and bad input."""

from __future__ import annotations

import jax
import numpy as np
import pytest

import gradspec.jaxbackend as J
from gradspec.reference import mlp as ref

ARCHS = [
    ref.Arch((3, 4, 1), "sigmoid", cost="log_loss", reduction="mean"),
    ref.Arch((5, 7, 6, 3), "tanh", "identity", "cross_entropy_logits", "sum"),
    ref.Arch((4, 6, 3), "relu", "softmax", "cross_entropy", "mean", bias=False),
    ref.Arch((4, 6, 2), "elu", "identity", "huber", "sum"),
    ref.Arch((4, 5, 2), "gelu", "identity", "log_loss_logits", "mean"),
]
N = 8

#: Normwise relative error allowed between JAX and reference gradients, in eps of the dtype.
#: Both evaluate the same backprop formulas; they differ only in summation order (XLA vs
#: OpenBLAS matmuls over N = 8 examples and fan-in <= 7) and in library exp/log/tanh ulps.
#: Forward rounding is amplified by at most the depth times the largest |f'| (<= 1 here),
#: so ~ (N + fan_in) * depth * eps ~ 50 eps; 256 eps leaves margin and is still float64
#: rounding (6e-14), far below any formula error.
TOL_EPS = 256.0


def data(arch, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, arch.sizes[0]))
    Y = rng.uniform(size=(N, arch.sizes[-1]))
    if "cross_entropy" in arch.cost:
        Y = Y / Y.sum(1, keepdims=True)
    return X, Y


def assert_grads_close(g, gr, dtype, what):
    eps = np.finfo(dtype).eps
    assert g.keys() == gr.keys(), what
    for k in gr:
        assert g[k].dtype == dtype and g[k].shape == gr[k].shape, f"{what} {k}"
        scale = np.max(np.abs(gr[k].astype(np.float64))) + np.finfo(dtype).tiny
        err = np.max(np.abs(g[k].astype(np.float64) - gr[k])) / scale / eps
        assert err <= TOL_EPS, f"{what} {k}: {err:.3g} eps normwise (budget {TOL_EPS})"


# autodiff vs hand in float32 adds only compile time: the float64 comparison is the strict one
KIND_DTYPE = [("hand", np.float64), ("hand", np.float32), ("autodiff", np.float64)]


@pytest.mark.parametrize(("kind", "dtype"), KIND_DTYPE, ids=lambda v: getattr(v, "__name__", v))
@pytest.mark.parametrize("arch", ARCHS, ids=lambda a: f"{a.activation}-{a.cost}")
def test_grads_and_loss_match_reference(arch, kind, dtype):
    X, Y = data(arch)
    r = ref.Network(arch)
    p = r.init_params(3, dtype)
    net = J.Network(arch, grads=kind)
    assert_grads_close(net.grads(p, X, Y), r.grads(p, X, Y), dtype, f"{kind} grads")
    assert net.loss(p, X, Y) == pytest.approx(r.loss(p, X, Y), rel=64 * float(np.finfo(dtype).eps))
    for (z, a), (zr, _ar) in zip(net.forward(p, X), r.forward(p, X), strict=True):
        assert_grads_close({"z": z}, {"z": zr}, dtype, f"{kind} forward")
        assert a.dtype == dtype
    new = net.train_step(p, X, Y, 0.1)
    assert_grads_close(new, r.train_step(p, X, Y, 0.1), dtype, f"{kind} step")


def test_minibatch_grads_match_reference():
    arch = ARCHS[1]
    X, Y = data(arch)
    p = ref.init_params(arch, 1)
    got = J.Network(arch).minibatch_grads(p, X, Y, 3)
    want = ref.minibatch_grads(arch, p, X, Y, 3)
    assert len(got) == len(want) == 3
    for g, w in zip(got, want, strict=True):
        assert_grads_close(g, w, np.float64, "minibatch")


@pytest.mark.parametrize("kind", ["hand", "autodiff"])
def test_fori_loop_training_equals_step_by_step(kind):
    arch = ARCHS[0]
    X, Y = data(arch)
    net = J.Network(arch, grads=kind)
    p0 = net.init_params(0)
    looped = net.train(p0, X, Y, 0.5, 25)
    p = p0
    for _ in range(25):
        p = net.train_step(p, X, Y, 0.5)
    for k in p:
        # the same jitted update, iterated: equal up to XLA fusing the loop body differently
        np.testing.assert_allclose(looped[k], p[k], rtol=1e-13, atol=1e-15)
    assert net.loss(looped, X, Y) < net.loss(p0, X, Y)


def test_scan_over_minibatches_equals_step_by_step_sgd():
    arch = ARCHS[3]
    X, Y = data(arch)
    net = J.Network(arch)
    p0 = net.init_params(0, np.float32)
    Xb, Yb = X.reshape(4, 2, -1), Y.reshape(4, 2, -1)
    final, losses = net.train_batches(p0, Xb, Yb, 0.05)
    p = p0
    for i in range(4):
        assert losses[i] == pytest.approx(net.loss(p, Xb[i], Yb[i]), rel=1e-5)
        p = net.train_step(p, Xb[i], Yb[i], 0.05)
    for k in p:
        assert final[k].dtype == np.float32
        np.testing.assert_allclose(final[k], p[k], rtol=1e-5, atol=1e-7)


def test_reference_step_loop_equals_jax_train():
    """Cross-implementation: 10 reference GD steps vs one fori_loop of 10, float64."""
    arch = ARCHS[0]
    X, Y = data(arch)
    p = ref.init_params(arch, 5)
    pr = p
    for _ in range(10):
        pr = ref.train_step(arch, pr, X, Y, 0.5)
    pj = J.Network(arch).train(p, X, Y, 0.5, 10)
    assert_grads_close(pj, pr, np.float64, "10 GD steps")


def test_x64_untouched_and_bad_input():
    arch = ARCHS[0]
    X, Y = data(arch)
    net = J.Network(arch)
    before = jax.config.jax_enable_x64
    p = net.init_params(0)
    net.grads(p, X, Y)
    assert jax.config.jax_enable_x64 == before
    mixed = dict(p, W0=p["W0"].astype(np.float32))
    with pytest.raises(TypeError, match="mixed dtypes"):
        net.grads(mixed, X, Y)
    with pytest.raises(ValueError, match="X has shape"):
        net.grads(p, X[:, :2], Y)
    with pytest.raises(ValueError, match="W0 has shape"):
        net.grads(dict(p, W0=np.zeros((2, 4))), X, Y)
    with pytest.raises(ValueError, match="example counts"):
        net.grads(p, X, Y[:3])
    with pytest.raises(ValueError, match="hand"):
        J.Network(arch, grads="numeric")
