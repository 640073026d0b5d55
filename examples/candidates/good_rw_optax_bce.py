"""Log loss on logits via optax.sigmoid_binary_cross_entropy (elementwise, stable),
gradient by jax.grad of the summed loss (= sigmoid(z) - y), float64."""
# expect: pass
# only: costs
# requires: optax

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402


def _loss(z, y):
    return optax.sigmoid_binary_cross_entropy(z, y)


_grad = jax.grad(lambda z, y: jnp.sum(_loss(z, y)))


def log_loss_logits(z, y):
    return np.asarray(_loss(jnp.asarray(z, jnp.float64), jnp.asarray(y, jnp.float64)))


def log_loss_logits_der(z, y):
    return np.asarray(_grad(jnp.asarray(z, jnp.float64), jnp.asarray(y, jnp.float64)))
