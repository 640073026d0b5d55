"""jax.nn.sigmoid and exact GELU (jax.nn.gelu(approximate=False)), float64 enabled,
elementwise derivatives by jax.vmap(jax.grad(...)) over the flattened input."""
# expect: pass
# only: activations
# requires: jax

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402


def _gelu(x):
    return jax.nn.gelu(x, approximate=False)


def _elementwise_grad(fn, z):
    z = jnp.asarray(z, jnp.float64)
    g = jax.vmap(jax.grad(fn))(z.ravel())
    return np.asarray(g).reshape(z.shape)


def sigmoid(z):
    return np.asarray(jax.nn.sigmoid(jnp.asarray(z, jnp.float64)))


def sigmoid_der(z):
    return _elementwise_grad(jax.nn.sigmoid, z)


def gelu(z):
    return np.asarray(_gelu(jnp.asarray(z, jnp.float64)))


def gelu_der(z):
    return _elementwise_grad(_gelu, z)
