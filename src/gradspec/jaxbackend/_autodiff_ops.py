"""Derivatives by JAX autodiff of the forwards in :mod:`._ops` (raw, un-jitted).

Elementwise functions are differentiated with a forward-mode JVP along a tangent of ones (one
pass, any shape, no vmap); a vector activation's Jacobian (softmax) with ``vmap(jacfwd)`` over
the rows; vector costs on logits and ``delta`` with ``jax.grad`` of the summed cost.  Where a
forward carries a ``custom_jvp`` (relu, abs, sigmoid, softplus, elu), that rule is what
autodiff uses.  Each builder takes the forward, so any registry entry whose forward
:mod:`._ops` defines gets its derivatives here.

``N_der_output(a)`` is f'(f^-1(a)): autodiff of the forward at the preimage of the output,
with f^-1 the registry's ``Activation.inverse``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy.special import xlogy

from gradspec import spec

from . import _ops

#: Known precision losses of JAX's own rules, stated with the precision warnings they cause
#: (the ``PRECISION_NOTES`` protocol constant: function name -> cause).
PRECISION_NOTES = {
    "tanh_der2": "JAX's JVP of tanh is (g + g a)(1 - a) with a = tanh(z); differentiating it "
    "again by the product rule gives a' (-(1 + a) + (1 - a)), whose two terms cancel: relative "
    "error ~eps/|z| (5e-10 at z = 1e-8, 1e-14 near z = 0.002), and 0 for |z| < 1e-16 (true "
    "-2z). The spec's -2 a (1 - a**2) keeps every digit.",
}


def d1(f):
    """Elementwise f' by forward mode: jvp along ones (parameters: keyword constants)."""

    def der(z, **params):
        return jax.jvp(lambda z_: f(z_, **params), (z,), (jnp.ones_like(z),))[1]

    return der


def d2(f):
    return d1(d1(f))


def d1_cost(c):
    """dC/da of an elementwise cost: jvp in a along ones, y held fixed."""

    def der(a, y, **params):
        return jax.jvp(lambda a_: c(a_, y, **params), (a,), (jnp.ones_like(a),))[1]

    return der


def d2_cost(c):
    return d1_cost(d1_cost(c))


def der_output(f, inverse):
    """f' as a function of the output: d1(f) at the preimage ``inverse(a, **params)``."""
    return lambda a, **params: d1(f)(inverse(a, **params), **params)


def jacobian(f):
    """The Jacobian of a row-wise vector function, (..., K) -> (..., K, K): vmap(jacfwd)."""

    def der(z):
        k = z.shape[-1]
        rows = z.reshape(-1, k)
        return jax.vmap(jax.jacfwd(f))(rows).reshape(*z.shape, k)

    return der


def vjp(f):
    """g^T J per row by ``jax.vjp`` (the protocol's ``N_vjp(z, g)``)."""
    return lambda z, g: jax.vjp(f, z)[1](g)[0]


def row_cost_grad(c):
    """dC/dz of a per-row cost: jax.grad of the summed rows (each row is independent)."""
    return lambda z, y: jax.grad(lambda z_: jnp.sum(c(z_, y)))(z)


def row_cost_hessian(c):
    """The per-row Hessian of a per-row cost, (..., K) -> (..., K, K): vmap(hessian)."""

    def der2(z, y):
        k = z.shape[-1]
        hess = jax.vmap(jax.hessian(c))(z.reshape(-1, k), y.reshape(-1, k))
        return hess.reshape(*z.shape, k)

    return der2


def reduce_der(grad, reduction: str, n: int | None = None):
    """grad times d reduce / d values (ones for none and sum, 1/N for mean), by jax.grad.

    ``n`` (per-row costs: the number of rows) reduces a stand-in of n values instead.
    """
    if reduction == "none":
        return jax.vjp(lambda v: v, grad)[1](grad)[0]
    probe = jnp.zeros((grad.size if n is None else n,), grad.dtype)
    scale = jax.grad(lambda v: _ops.reduce(v, reduction))(probe)[0]
    return grad * scale


def _softmax_log_loss_of_z(z, y, act, cost):
    la, l1m, _ = _ops.softmax_logs(z)
    return -(y * la + (1.0 - y) * l1m)


def _softplus_poisson_of_z(z, y, act, cost):
    # a - y log a, a = softplus(z) at beta; log a = u - log(beta) (u = beta z) to every
    # dtype's precision below u = -40 (where softplus itself later underflows and its log
    # would be -inf)
    beta = act.values["beta"]
    a, u = _ops.softplus(z, beta), beta * z
    deep = u < -40.0
    log_a = jnp.where(deep, u - jnp.log(beta), jnp.log(jnp.where(deep, 1.0, a)))
    return a - y * log_a


def _focal_of_logs(la, lu, y, g):
    """-y (1-a)^g log a - (1-y) a^g log(1-a) from log a and log(1 - a) (powers as exp)."""
    return -y * jnp.exp(g * lu) * la - (1.0 - y) * jnp.exp(g * la) * lu


def _sigmoid_focal_of_z(z, y, act, cost):
    return _focal_of_logs(-_ops.softplus(-z), -_ops.softplus(z), y, cost.values["gamma"])


def _softmax_focal_of_z(z, y, act, cost):
    la, lu = _ops.log_softmax(z), _ops._log_one_minus_softmax(z)
    return _focal_of_logs(la, lu, y, cost.values["gamma"])


#: The cost as a function of z rewritten in log space, for pairs where a = f(z) saturates:
#: an implementation choice of this backend, called with (z, y) and the bound entries.  A
#: pair without one composes C(f(z), y).
_STABLE_COST_OF_Z = {
    # -(y log s(z) + (1-y) log s(-z)) = softplus(z) - y z
    "sigmoid+log_loss": lambda z, y, act, cost: _ops.log_loss_logits(z, y),
    "sigmoid+cross_entropy": lambda z, y, act, cost: y * _ops.softplus(-z),  # -y log s(z)
    "softmax+cross_entropy": lambda z, y, act, cost: -y * _ops.log_softmax(z),
    "softmax+log_loss": _softmax_log_loss_of_z,
    # y log y - y log s(z)
    "sigmoid+kl_div": lambda z, y, act, cost: y * _ops.softplus(-z) + xlogy(y, y),
    "sigmoid+poisson_nll": lambda z, y, act, cost: _ops.sigmoid(z) + y * _ops.softplus(-z),
    "softplus+poisson_nll": _softplus_poisson_of_z,
    "softmax+kl_div": lambda z, y, act, cost: xlogy(y, y) - y * _ops.log_softmax(z),
    "softmax+poisson_nll": lambda z, y, act, cost: _ops.softmax(z) - y * _ops.log_softmax(z),
    "sigmoid+focal": _sigmoid_focal_of_z,
    "softmax+focal": _softmax_focal_of_z,
}


def _cost_of_z(activation: str, cost: str):
    """C(f(z), y) as a function of z for registry ids (bound ids at their values): the cost
    itself for a cost on logits."""
    act, c = spec.activation(activation), spec.cost(cost)
    av, cv = dict(act.values), dict(c.values)
    if c.inputs == "logits":
        return lambda z, y: getattr(_ops, c.name)(z, y, **cv)
    stable = _STABLE_COST_OF_Z.get(f"{act.name}+{c.name}")
    if stable is not None:
        return lambda z, y: stable(z, y, act, c)
    f, cf = getattr(_ops, act.name), getattr(_ops, c.name)
    return lambda z, y: cf(f(z, **av), y, **cv)


def delta(activation: str, cost: str, z, y):
    """dC/dz = jax.grad of the summed cost of f(z) (each row/element is independent);
    ``activation`` and ``cost`` are registry ids (static under jit)."""
    cz = _cost_of_z(activation, cost)
    return jax.grad(lambda z_: jnp.sum(cz(z_, y)))(z)
