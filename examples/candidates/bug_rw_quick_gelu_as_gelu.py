"""The "quick GELU" z * sigmoid(1.702 z) (CLIP, jax.nn.sigmoid) declared as the spec's gelu,
the exact erf form; the derivative is jax.grad of the same function."""
# expect: fail declared_function_differs
# only: activations
# requires: jax

import jax

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_platforms", "cpu")

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402


def _quick_gelu(z):
    return z * jax.nn.sigmoid(1.702 * z)


_der = jax.jit(jax.grad(lambda z: jnp.sum(_quick_gelu(z))))


def gelu(z):
    return np.asarray(_quick_gelu(jnp.asarray(z)))


def gelu_der(z):
    return np.asarray(_der(jnp.asarray(z)))
