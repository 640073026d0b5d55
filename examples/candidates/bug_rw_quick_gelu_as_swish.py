"""A swish with a beta, z * sigmoid(1.702 z) (the "quick GELU", i.e. jax.nn.silu of
1.702 z divided by 1.702) declared as the spec's swish z * sigmoid(z) (beta 1); the
derivative is jax.grad of the same function."""
# expect: fail declared_function_differs
# only: activations
# requires: jax

import jax

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_platforms", "cpu")

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

BETA = 1.702


def _swish_beta(z):
    return jax.nn.silu(BETA * z) / BETA


_der = jax.jit(jax.grad(lambda z: jnp.sum(_swish_beta(z))))


def swish(z):
    return np.asarray(_swish_beta(jnp.asarray(z)))


def swish_der(z):
    return np.asarray(_der(jnp.asarray(z)))
