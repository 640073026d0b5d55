"""JAX code as it is (FRAMEWORK = "jax"): softplus and leaky ReLU with jax.custom_jvp rules,
the sigmoid with a jax.custom_vjp rule.  No derivative is written: gradspec takes them by
jax.grad (float64 enabled for its calls), so the rules below are what gets checked."""
# expect: pass
# only: activations
# requires: jax

import jax
import jax.numpy as jnp

FRAMEWORK = "jax"


@jax.custom_jvp
def softplus(z):
    return jnp.logaddexp(z, 0.0)


@softplus.defjvp
def _softplus_jvp(primals, tangents):
    (z,), (t,) = primals, tangents
    return softplus(z), jax.nn.sigmoid(z) * t


@jax.custom_jvp
def leaky_relu(z):
    return jnp.where(z >= 0, z, 0.01 * z)


@leaky_relu.defjvp
def _leaky_relu_jvp(primals, tangents):
    (z,), (t,) = primals, tangents
    return leaky_relu(z), jnp.where(z >= 0, 1.0, 0.01).astype(t.dtype) * t


@jax.custom_vjp
def sigmoid(z):
    return jax.nn.sigmoid(z)


def _sigmoid_fwd(z):
    a = jax.nn.sigmoid(z)
    return a, a


def _sigmoid_bwd(a, g):
    return (g * a * (1 - a),)


sigmoid.defvjp(_sigmoid_fwd, _sigmoid_bwd)
