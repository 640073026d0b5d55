"""optax.l2_loss is 0.5 (a - y)**2 elementwise (Bishop's convention, its docstring says so),
declared as the spec's squared (a - y)**2: half the cost and half the jax.grad gradient."""
# expect: fail factor2_missing
# only: costs
# requires: optax

import jax

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_platforms", "cpu")

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

_der = jax.jit(jax.grad(lambda a, y: jnp.sum(optax.l2_loss(a, y))))


def squared(a, y):
    return np.asarray(optax.l2_loss(jnp.asarray(a), jnp.asarray(y)))


def squared_der(a, y):
    a, y = np.broadcast_arrays(np.asarray(a), np.asarray(y))
    return np.asarray(_der(jnp.asarray(a), jnp.asarray(y)))
