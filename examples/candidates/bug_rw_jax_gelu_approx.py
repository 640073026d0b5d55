"""jax.nn.gelu with its default approximate=True (the tanh approximation
0.5 z (1 + tanh(sqrt(2/pi) (z + 0.044715 z**3)))) declared as the spec's gelu, which is the
exact erf form z/2 (1 + erf(z/sqrt 2)); the derivative is jax.grad of the same function."""
# expect: fail declared_function_differs
# only: activations
# requires: jax

import jax

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_platforms", "cpu")

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

_gelu_der = jax.jit(jax.grad(lambda z: jnp.sum(jax.nn.gelu(z))))


def gelu(z):
    return np.asarray(jax.nn.gelu(jnp.asarray(z)))


def gelu_der(z):
    return np.asarray(_gelu_der(jnp.asarray(z)))
