"""Mean of optax.l2_loss (0.5 (a - y)^2 averaged over all elements), declared as the half
squared error with mean reduction; gradient (a - y) / N by jax.grad."""
# expect: pass
# only: costs
# requires: optax

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

COST = "half_squared"
COST_REDUCTION = "mean"


def _mean_l2(pred, true):
    return jnp.mean(optax.l2_loss(pred, true))


def cost(pred, true):
    return float(_mean_l2(jnp.asarray(pred, jnp.float64), jnp.asarray(true, jnp.float64)))


def dcost(pred, true):
    g = jax.grad(_mean_l2)(jnp.asarray(pred, jnp.float64), jnp.asarray(true, jnp.float64))
    return np.asarray(g)
