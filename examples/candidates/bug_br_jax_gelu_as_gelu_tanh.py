"""jax.nn.gelu with approximate=False (the exact erf GELU) declared as the spec's gelu_tanh:
the converse of bug_rw_jax_gelu_approx.py; derivative by jax.grad."""
# expect: fail registry_function_mixup
# only: activations
# requires: jax

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402


def _gelu(x):
    return jax.nn.gelu(x, approximate=False)


_DER = jax.jit(jax.vmap(jax.grad(_gelu)))


def gelu_tanh(z):
    z = np.asarray(z)
    return np.asarray(_gelu(jnp.asarray(z, jnp.float64))).astype(z.dtype)


def gelu_tanh_der(z):
    z = np.asarray(z)
    return np.asarray(_DER(jnp.asarray(z, jnp.float64).reshape(-1))).reshape(z.shape)
