"""Categorical cross-entropy on logits: optax.softmax_cross_entropy(logits, labels) (one
value per row, labels are probability rows), gradient softmax(z) - y by jax.grad."""
# expect: pass
# only: costs
# requires: optax

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

_grad = jax.grad(lambda z, y: optax.softmax_cross_entropy(z, y).sum())


def cross_entropy_logits(z, y):
    z, y = jnp.asarray(z, jnp.float64), jnp.asarray(y, jnp.float64)
    return np.asarray(optax.softmax_cross_entropy(z, y))


def cross_entropy_logits_der(z, y):
    return np.asarray(_grad(jnp.asarray(z, jnp.float64), jnp.asarray(y, jnp.float64)))
