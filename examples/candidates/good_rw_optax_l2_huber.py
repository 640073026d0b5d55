"""optax.l2_loss is 0.5 (a - y)^2, i.e. the half squared error; optax.huber_loss with
delta=1 is the huber cost.  Gradients by jax.vmap(jax.grad(...)) elementwise, float64."""
# expect: pass
# only: costs
# requires: optax

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402


def _huber(a, y):
    return optax.huber_loss(a, y, delta=1.0)


def _pair(a, y):
    a = jnp.asarray(a, jnp.float64)
    return a.ravel(), jnp.broadcast_to(jnp.asarray(y, jnp.float64), a.shape).ravel(), a.shape


def _vgrad(fn, a, y):
    a, y, shape = _pair(a, y)
    return np.asarray(jax.vmap(jax.grad(fn))(a, y)).reshape(shape)


def half_squared(a, y):
    return np.asarray(optax.l2_loss(jnp.asarray(a, jnp.float64), jnp.asarray(y, jnp.float64)))


def half_squared_der(a, y):
    return _vgrad(optax.l2_loss, a, y)


def huber(a, y):
    return np.asarray(_huber(jnp.asarray(a, jnp.float64), jnp.asarray(y, jnp.float64)))


def huber_der(a, y):
    return _vgrad(_huber, a, y)
