"""Derivatives by JAX autodiff of the forwards in :mod:`._ops` (raw, un-jitted).

Elementwise functions are differentiated with a forward-mode JVP along a tangent of ones (one
pass, any shape, no vmap); softmax's Jacobian with ``vmap(jacfwd)`` over the rows; costs on
logits and ``delta`` with ``jax.grad`` of the summed cost.  Where a forward carries a
``custom_jvp`` (relu, abs, sigmoid, softplus, elu), that rule is what autodiff uses.

``N_der_output(a)`` is f'(f^-1(a)): autodiff of the forward at the preimage of the output.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from gradspec.spec import ELU_ALPHA, LEAKY_SLOPE

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
    """Elementwise f' by forward mode: jvp along ones."""

    def der(z):
        return jax.jvp(f, (z,), (jnp.ones_like(z),))[1]

    return der


def d2(f):
    return d1(d1(f))


def d1_cost(c):
    """dC/da of an elementwise cost: jvp in a along ones, y held fixed."""

    def der(a, y):
        return jax.jvp(lambda a_: c(a_, y), (a,), (jnp.ones_like(a),))[1]

    return der


def d2_cost(c):
    return d1_cost(d1_cost(c))


# Preimages z = f^-1(a) for the output-derivative forms.  relu/step are not invertible on
# a <= 0 / everywhere; the preimage chosen (a itself; a - 1/2) gives the spec's convention.
_INVERSE = {
    "identity": lambda a: a,
    "step": lambda a: a - 0.5,
    "sigmoid": lambda a: jnp.log(a) - jnp.log1p(-a),
    "tanh": jnp.arctanh,
    "relu": lambda a: a,
    "leaky_relu": lambda a: jnp.where(a < 0, a / LEAKY_SLOPE, a),
    "softplus": lambda a: a + jnp.log(-jnp.expm1(-a)),  # log(expm1(a)), stable for large a
    "elu": lambda a: jnp.where(a < 0, jnp.log1p(jnp.minimum(a, 0.0) / ELU_ALPHA), a),
}


def der_output(name: str):
    f = getattr(_ops, name)
    inv = _INVERSE[name]
    return lambda a: d1(f)(inv(a))


def softmax_der(z):
    k = z.shape[-1]
    rows = z.reshape(-1, k)
    jac = jax.vmap(jax.jacfwd(_ops.softmax))(rows)
    return jac.reshape(*z.shape, k)


def softmax_vjp(z, g):
    return jax.vjp(_ops.softmax, z)[1](g)[0]


def cross_entropy_logits_der(z, y):
    return jax.grad(lambda z_: jnp.sum(_ops.cross_entropy_logits(z_, y)))(z)


def cross_entropy_logits_der2(z, y):
    k = z.shape[-1]
    hess = jax.vmap(jax.hessian(_ops.cross_entropy_logits))(z.reshape(-1, k), y.reshape(-1, k))
    return hess.reshape(*z.shape, k)


def reduce_der(grad, reduction: str, n: int | None = None):
    """grad times d reduce / d values (ones for none and sum, 1/N for mean), by jax.grad.

    ``n`` (per-row costs: the number of rows) reduces a stand-in of n values instead.
    """
    if reduction == "none":
        return jax.vjp(lambda v: v, grad)[1](grad)[0]
    probe = jnp.zeros((grad.size if n is None else n,), grad.dtype)
    scale = jax.grad(lambda v: _ops.reduce(v, reduction))(probe)[0]
    return grad * scale


def _stable_cost_of_z(activation: str, cost: str):
    """Cost as a function of z, rewritten in log space where a = f(z) would saturate."""
    if cost in ("log_loss_logits", "cross_entropy_logits"):
        return getattr(_ops, cost)
    if activation == "sigmoid" and cost == "log_loss":
        return _ops.log_loss_logits  # -(y log s(z) + (1-y) log s(-z)) = softplus(z) - y z
    if activation == "sigmoid" and cost == "cross_entropy":
        return lambda z, y: y * _ops.softplus(-z)  # -y log s(z)
    if activation == "softmax" and cost == "cross_entropy":
        return lambda z, y: -y * _ops.log_softmax(z)
    if activation == "softmax" and cost == "log_loss":

        def cz(z, y):
            la, l1m, _ = _ops.softmax_logs(z)
            return -(y * la + (1.0 - y) * l1m)

        return cz
    act = getattr(_ops, activation)
    c = getattr(_ops, cost)
    return lambda z, y: c(act(z), y)


def delta(activation: str, cost: str, z, y):
    """dC/dz = jax.grad of the summed cost of f(z) (each row/element is independent)."""
    cz = _stable_cost_of_z(activation, cost)
    return jax.grad(lambda z_: jnp.sum(cz(z_, y)))(z)
