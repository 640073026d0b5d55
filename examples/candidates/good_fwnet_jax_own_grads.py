"""A JAX network with hand-written backpropagation: parameters in the reference layout (a flat
dict W0, b0, W1, b1), sigmoid hidden layer, softmax output, categorical cross-entropy, mean.
grads is the candidate's own (called with jax arrays); with the full ARCH and the reference
layout, loss and grads are also compared with the reference network."""
# expect: pass
# only: network
# requires: jax

import jax
import jax.numpy as jnp

FRAMEWORK = "jax"
ARCH = {
    "sizes": [3, 5, 3],
    "activation": "sigmoid",
    "output_activation": "softmax",
    "cost": "cross_entropy",
    "reduction": "mean",
}


def init_params(seed):
    k1, k2 = jax.random.split(jax.random.PRNGKey(seed))
    return {
        "W0": 0.8 * jax.random.normal(k1, (3, 5)),
        "b0": jnp.zeros(5),
        "W1": 0.8 * jax.random.normal(k2, (5, 3)),
        "b1": jnp.zeros(3),
    }


def _forward(p, X):
    h = jax.nn.sigmoid(X @ p["W0"] + p["b0"])
    return h, jax.nn.softmax(h @ p["W1"] + p["b1"], axis=-1)


def loss(p, X, Y):
    _, a = _forward(p, X)
    return jnp.mean(-jnp.sum(Y * jnp.log(a), axis=1))


def grads(p, X, Y):
    h, a = _forward(p, X)
    d1 = (a - Y) / X.shape[0]  # softmax + cross-entropy: dC/dz = a - y per example
    d0 = (d1 @ p["W1"].T) * h * (1 - h)
    return {"W0": X.T @ d0, "b0": d0.sum(0), "W1": h.T @ d1, "b1": d1.sum(0)}
