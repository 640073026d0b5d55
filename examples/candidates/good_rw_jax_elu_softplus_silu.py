"""jax.nn.elu (alpha 1), jax.nn.softplus and jax.nn.silu (= swish) on float64, derivatives
with jax.grad vectorised by jax.vmap; results returned in the input dtype."""
# expect: pass
# only: activations
# requires: jax

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

_FNS = {"elu": jax.nn.elu, "softplus": jax.nn.softplus, "swish": jax.nn.silu}
_DERS = {k: jax.jit(jax.vmap(jax.grad(f))) for k, f in _FNS.items()}


def _f(name, z):
    z = np.asarray(z)
    return np.asarray(_FNS[name](jnp.asarray(z, jnp.float64))).astype(z.dtype)


def _d(name, z):
    z = np.asarray(z)
    g = _DERS[name](jnp.asarray(z, jnp.float64).reshape(-1))
    return np.asarray(g).reshape(z.shape).astype(z.dtype)


def elu(z):
    return _f("elu", z)


def elu_der(z):
    return _d("elu", z)


def softplus(z):
    return _f("softplus", z)


def softplus_der(z):
    return _d("softplus", z)


def swish(z):
    return _f("swish", z)


def swish_der(z):
    return _d("swish", z)
