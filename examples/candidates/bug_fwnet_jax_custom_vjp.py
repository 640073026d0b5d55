"""A JAX network whose softplus is a jax.custom_vjp with a wrong backward rule: it returns
sigmoid(-z) * g where softplus' = sigmoid(z).  grads is taken by jax.grad, through the rule;
the failure is localised to the first layer's leaves (layers[0].W, layers[0].b)."""
# expect: fail -
# only: network
# requires: jax

import jax
import jax.numpy as jnp

FRAMEWORK = "jax"
ARCH = {"sizes": [2, 5, 1], "cost": "half_squared"}


@jax.custom_vjp
def softplus(z):
    return jnp.logaddexp(z, 0.0)


def _fwd(z):
    return softplus(z), z


def _bwd(z, g):
    return (jax.nn.sigmoid(-z) * g,)


softplus.defvjp(_fwd, _bwd)


def init_params(seed):
    k1, k2 = jax.random.split(jax.random.PRNGKey(seed))
    return {
        "layers": [
            {"W": jax.random.normal(k1, (2, 5)), "b": jnp.full(5, 0.2)},
            {"W": 0.5 * jax.random.normal(k2, (5, 1)), "b": jnp.zeros(1)},
        ]
    }


def loss(params, X, Y):
    first, second = params["layers"]
    out = softplus(X @ first["W"] + first["b"]) @ second["W"] + second["b"]
    return 0.5 * jnp.mean(jnp.sum((out - Y) ** 2, axis=1))
