"""A JAX network as it is (FRAMEWORK = "jax"): init_params returns a pytree (a list of layer
dicts), loss is ordinary jax.numpy code and there is no grads function, so gradspec takes the
gradient by jax.grad and checks it against the numeric gradient of loss, per pytree leaf
(layers[0].W, layers[0].b, ...).  ELU hidden layer, identity output, squared error, mean."""
# expect: pass
# only: network
# requires: jax

import jax
import jax.numpy as jnp

FRAMEWORK = "jax"
ARCH = {"sizes": [3, 4, 2], "cost": "squared"}  # partial: sizes and cost only


def init_params(seed):
    k1, k2 = jax.random.split(jax.random.PRNGKey(seed))
    return [
        {"W": 0.7 * jax.random.normal(k1, (3, 4)), "b": jnp.full(4, 0.1)},
        {"W": 0.5 * jax.random.normal(k2, (4, 2)), "b": jnp.zeros(2)},
    ]


def loss(params, X, Y):
    h = jax.nn.elu(X @ params[0]["W"] + params[0]["b"])
    out = h @ params[1]["W"] + params[1]["b"]
    return jnp.mean(jnp.sum((out - Y) ** 2, axis=1))
