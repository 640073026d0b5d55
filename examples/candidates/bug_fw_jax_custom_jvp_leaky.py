"""A jax.custom_jvp leaky ReLU whose rule uses the slope 0.1 where the function uses 0.01
(the classic copy-paste slip); the forward is right, jax.grad through the rule is not."""
# expect: fail wrong_leaky_slope
# only: activations
# requires: jax

import jax
import jax.numpy as jnp

FRAMEWORK = "jax"


@jax.custom_jvp
def leaky_relu(z):
    return jnp.where(z >= 0, z, 0.01 * z)


@leaky_relu.defjvp
def _leaky_relu_jvp(primals, tangents):
    (z,), (t,) = primals, tangents
    return leaky_relu(z), jnp.where(z >= 0, 1.0, 0.1).astype(t.dtype) * t
