"""Plain JAX without x64 (its default): everything is computed and returned in float32, as
most JAX code runs.  tanh, relu and sigmoid from jax.numpy / jax.nn, derivatives by
jax.vmap(jax.grad(...)).  Correct to float32 precision."""
# expect: pass
# only: activations
# requires: jax

import jax
import jax.numpy as jnp
import numpy as np


def _vgrad(fn, z):
    z = jnp.asarray(z, jnp.float32)
    return np.asarray(jax.vmap(jax.grad(fn))(z.ravel())).reshape(z.shape)


def tanh(z):
    return np.asarray(jnp.tanh(jnp.asarray(z, jnp.float32)))


def tanh_der(z):
    return _vgrad(jnp.tanh, z)


def relu(z):
    return np.asarray(jax.nn.relu(jnp.asarray(z, jnp.float32)))


def relu_der(z):
    return _vgrad(jax.nn.relu, z)


def sigmoid(z):
    return np.asarray(jax.nn.sigmoid(jnp.asarray(z, jnp.float32)))


def sigmoid_der(z):
    return _vgrad(jax.nn.sigmoid, z)
