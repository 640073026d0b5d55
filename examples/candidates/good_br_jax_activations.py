"""jax.nn.selu, mish, soft_sign, hard_tanh, relu6, hard_swish, log_sigmoid and
gelu(approximate=True) on float64 under their registry names, derivatives by jax.grad
vectorised with jax.vmap; jax.nn.log_softmax with its Jacobian by jax.jacfwd per row."""
# expect: pass
# only: activations
# requires: jax

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

_FNS = {
    "selu": jax.nn.selu,
    "mish": jax.nn.mish,
    "softsign": jax.nn.soft_sign,
    "hard_tanh": jax.nn.hard_tanh,
    "relu6": jax.nn.relu6,
    "hard_swish": jax.nn.hard_swish,
    "log_sigmoid": jax.nn.log_sigmoid,
    "gelu_tanh": lambda x: jax.nn.gelu(x, approximate=True),
}
_DERS = {k: jax.jit(jax.vmap(jax.grad(f))) for k, f in _FNS.items()}
_JAC = jax.jit(jax.vmap(jax.jacfwd(jax.nn.log_softmax)))


def _make(name):
    def f(z):
        z = np.asarray(z)
        return np.asarray(_FNS[name](jnp.asarray(z, jnp.float64))).astype(z.dtype)

    def d(z):
        z = np.asarray(z)
        g = _DERS[name](jnp.asarray(z, jnp.float64).reshape(-1))
        return np.asarray(g).reshape(z.shape).astype(z.dtype)

    globals()[name], globals()[name + "_der"] = f, d


for _name in _FNS:
    _make(_name)


def log_softmax(z):
    z = np.asarray(z)
    return np.asarray(jax.nn.log_softmax(jnp.asarray(z, jnp.float64))).astype(z.dtype)


def log_softmax_der(z):
    z = np.asarray(z)
    k = z.shape[-1]
    jac = _JAC(jnp.asarray(z, jnp.float64).reshape(-1, k))
    return np.asarray(jac).reshape(*z.shape, k).astype(z.dtype)
