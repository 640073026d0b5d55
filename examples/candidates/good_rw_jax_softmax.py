"""jax.nn.softmax along the last axis and its Jacobian diag(a) - a a^T from
jax.vmap(jax.jacfwd(...)) over the rows, float64 enabled."""
# expect: pass
# only: activations
# requires: jax

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

_jac = jax.vmap(jax.jacfwd(lambda r: jax.nn.softmax(r, axis=-1)))


def softmax(z):
    return np.asarray(jax.nn.softmax(jnp.asarray(z, jnp.float64), axis=-1))


def softmax_der(z):
    z = jnp.asarray(z, jnp.float64)
    k = z.shape[-1]
    return np.asarray(_jac(z.reshape(-1, k))).reshape(*z.shape, k)
