"""A jax.grad network: softplus hidden layer, identity output, huber cost (delta 1) with
optax.huber_loss, summed; float64 enabled, gradients by jax.grad of the loss."""
# expect: pass
# only: network
# requires: optax

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

ARCH = {
    "sizes": [3, 4, 2],
    "activation": "softplus",
    "output_activation": "identity",
    "cost": "huber",
    "reduction": "sum",
    "bias": True,
}


def init_params(seed):
    rng = np.random.default_rng(seed)
    return {
        "W0": rng.normal(0, 0.6, (3, 4)),
        "b0": rng.normal(0, 0.1, 4),
        "W1": rng.normal(0, 0.6, (4, 2)),
        "b1": rng.normal(0, 0.1, 2),
    }


def _loss(p, X, Y):
    h = jax.nn.softplus(X @ p["W0"] + p["b0"])
    out = h @ p["W1"] + p["b1"]
    return jnp.sum(optax.huber_loss(out, Y, delta=1.0))


_value_and_grad = jax.jit(jax.value_and_grad(_loss))


def _j(params, X, Y):
    return (
        {k: jnp.asarray(v, jnp.float64) for k, v in params.items()},
        jnp.asarray(X, jnp.float64),
        jnp.asarray(Y, jnp.float64),
    )


def loss(params, X, Y):
    return float(_loss(*_j(params, X, Y)))


def grads(params, X, Y):
    _, g = _value_and_grad(*_j(params, X, Y))
    return {k: np.asarray(v) for k, v in g.items()}
