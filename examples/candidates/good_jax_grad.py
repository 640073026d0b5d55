"""A network whose gradients come from jax.grad, with float64 enabled."""
# expect: pass
# only: network

import jax

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_platforms", "cpu")

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

ARCH = {
    "sizes": [2, 5, 1],
    "activation": "sigmoid",
    "output_activation": "sigmoid",
    "cost": "log_loss",
    "reduction": "sum",
    "bias": True,
}


def init_params(seed):
    rng = np.random.default_rng(seed)
    return {
        "W0": rng.normal(0, 0.7, (2, 5)),
        "b0": np.zeros(5),
        "W1": rng.normal(0, 0.5, (5, 1)),
        "b1": np.zeros(1),
    }


def _loss(p, X, Y):
    h = jax.nn.sigmoid(X @ p["W0"] + p["b0"])
    z = h @ p["W1"] + p["b1"]
    # log loss of sigmoid(z), written stably through softplus
    return jnp.sum(Y * jax.nn.softplus(-z) + (1 - Y) * jax.nn.softplus(z))


_grad = jax.jit(jax.grad(_loss))


def loss(params, X, Y):
    return float(_loss({k: jnp.asarray(v) for k, v in params.items()}, X, Y))


def grads(params, X, Y):
    g = _grad(
        {k: jnp.asarray(v, jnp.float64) for k, v in params.items()},
        jnp.asarray(X, jnp.float64),
        jnp.asarray(Y, jnp.float64),
    )
    return {k: np.asarray(v) for k, v in g.items()}
