"""Hand-written JAX formulas for every registry entry (raw, un-jitted, jnp in / jnp out).

Each derivative mirrors the spec's formula in its numerically stable form; the forwards that
autodiff would get wrong (NaN, a value outside the accepted subgradient interval, or a loss of
precision) carry a :func:`jax.custom_jvp` whose rule is the hand-written derivative.

Constants are Python floats (weakly typed), so float32 inputs stay float32 even when x64 is on.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
from jax import lax
from jax.scipy.special import erfc, xlog1py, xlogy

from gradspec import spec
from gradspec.spec import (
    GELU_TANH_CUBIC,
    SELU_ALPHA,
    SELU_LAMBDA,
    default,
)

from . import _sympy

_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_TANH_CLIP = 30.0  # sigmoid(2u) is exactly 0 or 1 beyond; no z^3 overflow
#: Parameter defaults, read from the registry.  Parameters are keyword arguments the
#: protocol layer passes as static (Python floats, weakly typed: float32 stays float32).
_SLOPE = default("leaky_relu", "slope")
_ALPHA = default("elu", "alpha")
_BETA = default("softplus", "beta")
_DELTA = default("huber", "delta")
_CELU_ALPHA = default("celu", "alpha")
_HS_SLOPE = default("hard_sigmoid", "slope")
_L1_BETA = default("smooth_l1", "beta")
_GAMMA = default("focal", "gamma")


def _keep_nan(out, x):
    """``out`` with NaN wherever ``x`` is NaN: constant derivatives still propagate NaN."""
    return jnp.where(jnp.isnan(x), x, out)


def _const(x, value: float):
    return _keep_nan(jnp.full_like(x, value), x)


# ---------------------------------------------------------------- identity, step
def identity(z):
    return z


def identity_der(z):
    return _const(z, 1.0)


def identity_der2(z):
    return _const(z, 0.0)


def identity_der_output(a):
    return _const(a, 1.0)


def step(z):
    """Heaviside with step(0) = 1 (the spec value); its derivative is 0 everywhere."""
    return _keep_nan(jnp.where(z < 0, jnp.zeros_like(z), jnp.ones_like(z)), z)


step_der = identity_der2
step_der2 = identity_der2
step_der_output = identity_der2


# ---------------------------------------------------------------- sigmoid
@jax.custom_jvp
def sigmoid(z):
    """1/(1+exp(-z)) evaluating exp(-|z|) only: no overflow for any finite z."""
    e = jnp.exp(-jnp.abs(z))
    return jnp.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_der(z):
    """sigma(z) sigma(-z) (= a(1-a) without the cancellation in 1 - a for large z)."""
    return sigmoid(z) * sigmoid(-z)


@sigmoid.defjvp
def _sigmoid_jvp(primals, tangents):
    (z,), (t,) = primals, tangents
    return sigmoid(z), t * sigmoid_der(z)


def sigmoid_der2(z):
    """sigma'(z) (1 - 2 sigma(z)), with 1 - 2 sigma(z) = -tanh(z/2) (no cancellation)."""
    return -sigmoid_der(z) * jnp.tanh(0.5 * z)


def sigmoid_der_output(a):
    return a * (1.0 - a)


# ---------------------------------------------------------------- tanh
def tanh(z):
    return jnp.tanh(z)


def tanh_der(z):
    """sech^2 z = 4 e / (1 + e)^2 with e = exp(-2|z|): accurate in the tails (1 - t^2 is not)."""
    e = jnp.exp(-2.0 * jnp.abs(z))
    return 4.0 * e / ((1.0 + e) * (1.0 + e))


def tanh_der2(z):
    return -2.0 * jnp.tanh(z) * tanh_der(z)


def tanh_der_output(a):
    return (1.0 - a) * (1.0 + a)


# ---------------------------------------------------------------- relu, leaky relu
@jax.custom_jvp
def relu(z):
    """max(0, z); derivative at 0 is 0 (in the subdifferential [0, 1]; JAX/PyTorch convention)."""
    return jnp.maximum(z, 0.0)


@relu.defjvp
def _relu_jvp(primals, tangents):
    (z,), (t,) = primals, tangents
    return relu(z), jnp.where(z > 0, t, jnp.zeros_like(t))


def relu_der(z):
    return _keep_nan(jnp.where(z > 0, jnp.ones_like(z), jnp.zeros_like(z)), z)


relu_der2 = identity_der2


def relu_der_output(a):
    return _keep_nan(jnp.where(a <= 0, jnp.zeros_like(a), jnp.ones_like(a)), a)


def leaky_relu(z, slope=_SLOPE):
    """z if z >= 0 else slope z; autodiff picks the z >= 0 branch at 0: derivative 1."""
    return jnp.where(z >= 0, z, slope * z)


def leaky_relu_der(z, slope=_SLOPE):
    return _keep_nan(jnp.where(z >= 0, jnp.ones_like(z), jnp.full_like(z, slope)), z)


def leaky_relu_der2(z, slope=_SLOPE):
    return identity_der2(z)


def leaky_relu_der_output(a, slope=_SLOPE):
    return _keep_nan(jnp.where(a < 0, jnp.full_like(a, slope), jnp.ones_like(a)), a)


# ---------------------------------------------------------------- softplus
@functools.partial(jax.custom_jvp, nondiff_argnums=(1,))
def _softplus(z, beta):
    """(max(u, 0) + log1p(exp(-|u|))) / beta, u = beta z: no overflow; derivative
    sigma(beta z).  beta is static (a Python float), not differentiated."""
    u = beta * z
    return (jnp.maximum(u, 0.0) + jnp.log1p(jnp.exp(-jnp.abs(u)))) / beta


@_softplus.defjvp
def _softplus_jvp(beta, primals, tangents):
    (z,), (t,) = primals, tangents
    return _softplus(z, beta), t * sigmoid(beta * z)


def softplus(z, beta=_BETA):
    return _softplus(z, beta)


def softplus_der(z, beta=_BETA):
    return sigmoid(beta * z)


def softplus_der2(z, beta=_BETA):
    return beta * sigmoid_der(beta * z)


def softplus_der_output(a, beta=_BETA):
    return -jnp.expm1(-beta * a)


# ---------------------------------------------------------------- elu
def elu_der(z, alpha=_ALPHA):
    """alpha exp(z) for z < 0 else 1; exp sees min(z, 0) only, so no overflow in either branch."""
    return _keep_nan(jnp.where(z < 0, alpha * jnp.exp(jnp.minimum(z, 0.0)), 1.0), z)


@functools.partial(jax.custom_jvp, nondiff_argnums=(1,))
def _elu(z, alpha):
    """alpha expm1(z) for z < 0 else z; the negative branch only ever sees min(z, 0)."""
    return jnp.where(z < 0, alpha * jnp.expm1(jnp.minimum(z, 0.0)), z)


@_elu.defjvp
def _elu_jvp(alpha, primals, tangents):
    (z,), (t,) = primals, tangents
    return _elu(z, alpha), t * elu_der(z, alpha)


def elu(z, alpha=_ALPHA):
    return _elu(z, alpha)


def elu_der2(z, alpha=_ALPHA):
    """alpha exp(z) for z < 0 else 0 (at the kink z = 0: 0, inside the accepted [0, alpha])."""
    return _keep_nan(jnp.where(z < 0, alpha * jnp.exp(jnp.minimum(z, 0.0)), 0.0), z)


def elu_der_output(a, alpha=_ALPHA):
    return _keep_nan(jnp.where(a < 0, a + alpha, jnp.ones_like(a)), a)


# ---------------------------------------------------------------- gelu
def gelu(z):
    """z/2 erfc(-z/sqrt 2) (= z/2 (1 + erf(z/sqrt 2)) without cancellation for z << 0)."""
    return 0.5 * z * erfc(-z * _INV_SQRT2)


def _phi(z):
    return _INV_SQRT_2PI * jnp.exp(-0.5 * z * z)


def gelu_der(z):
    """Phi(z) + z phi(z)."""
    return 0.5 * erfc(-z * _INV_SQRT2) + z * _phi(z)


def gelu_der2(z):
    """phi(z) (2 - z^2)."""
    return _phi(z) * (2.0 - z * z)


# ---------------------------------------------------------------- swish
def swish(z):
    return z * sigmoid(z)


def swish_der(z):
    """sigma(z) (1 + z sigma(-z))."""
    return sigmoid(z) * (1.0 + z * sigmoid(-z))


def swish_der2(z):
    """sigma'(z) (2 + z (1 - 2 sigma(z))) = sigma'(z) (2 - z tanh(z/2))."""
    return sigmoid_der(z) * (2.0 - z * jnp.tanh(0.5 * z))


# ---------------------------------------------------------------- gelu_tanh
def _gelu_tanh_u(z):
    """(z clipped to +-30, u, u', u'') of u = sqrt(2/pi) (z + k z^3)."""
    zc = jnp.clip(z, -_GELU_TANH_CLIP, _GELU_TANH_CLIP)
    u = _SQRT_2_OVER_PI * (zc + GELU_TANH_CUBIC * zc * zc * zc)
    du = _SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_TANH_CUBIC * zc * zc)
    return zc, u, du, _SQRT_2_OVER_PI * 6.0 * GELU_TANH_CUBIC * zc


def gelu_tanh(z):
    """z/2 (1 + tanh u) = z sigmoid(2u): no cancellation of 1 + tanh(u) for z << 0."""
    _, u, _, _ = _gelu_tanh_u(z)
    return z * sigmoid(2.0 * u)


def gelu_tanh_der(z):
    """sigmoid(2u) + 2 z u' sigmoid'(2u)."""
    zc, u, du, _ = _gelu_tanh_u(z)
    return sigmoid(2.0 * u) + 2.0 * zc * du * sigmoid_der(2.0 * u)


def gelu_tanh_der2(z):
    """4 u' s' + z (2 u'' s' + 4 u'^2 s''), s' = sigmoid'(2u), s'' = -s' tanh(u)."""
    zc, u, du, d2u = _gelu_tanh_u(z)
    g = sigmoid_der(2.0 * u)
    return 4.0 * du * g + zc * (2.0 * d2u * g - 4.0 * du * du * g * jnp.tanh(u))


# ---------------------------------------------------------------- selu
def selu(z):
    """lambda (z if z >= 0 else alpha expm1(z)); expm1 only ever sees min(z, 0)."""
    neg = SELU_ALPHA * jnp.expm1(jnp.minimum(z, 0.0))
    return SELU_LAMBDA * jnp.where(z >= 0, z, neg)


def selu_der(z):
    neg = SELU_ALPHA * jnp.exp(jnp.minimum(z, 0.0))
    return _keep_nan(SELU_LAMBDA * jnp.where(z >= 0, 1.0, neg), z)


def selu_der2(z):
    neg = SELU_ALPHA * jnp.exp(jnp.minimum(z, 0.0))
    return _keep_nan(SELU_LAMBDA * jnp.where(z >= 0, 0.0, neg), z)


# ---------------------------------------------------------------- mish
def mish_der(z):
    """tanh(s) + z sech^2(s) sigmoid(z), s = softplus(z), sech^2 tail-accurate."""
    s = softplus(z)
    return jnp.tanh(s) + z * tanh_der(s) * sigmoid(z)


@jax.custom_jvp
def mish(z):
    """z tanh(softplus(z)); autodiff would take sech^2 as 1 - tanh^2 (0 in the tail)."""
    return z * jnp.tanh(softplus(z))


@mish.defjvp
def _mish_jvp(primals, tangents):
    (z,), (t,) = primals, tangents
    return mish(z), t * mish_der(z)


def mish_der2(z):
    s, sg = softplus(z), sigmoid(z)
    return tanh_der(s) * sg * (2.0 + z * (sigmoid(-z) - 2.0 * jnp.tanh(s) * sg))


# ---------------------------------------------------------------- softsign
def softsign_der(z):
    """1 / (1 + |z|)^2, divided twice (no overflow of the square); |z| with derivative
    sign(z), so autodiff's f''(0) is 0 like the hand-written one (inside [-2, 2])."""
    d = 1.0 + _abs(z)
    return 1.0 / d / d


@jax.custom_jvp
def softsign(z):
    """z / (1 + |z|); autodiff's 1/(1+|z|) - |z|/(1+|z|)^2 cancels for large |z|."""
    return z / (1.0 + jnp.abs(z))


@softsign.defjvp
def _softsign_jvp(primals, tangents):
    (z,), (t,) = primals, tangents
    return softsign(z), t * softsign_der(z)


def softsign_der2(z):
    r = 1.0 / (1.0 + jnp.abs(z))
    return -2.0 * jnp.sign(z) * r * r * r


# ---------------------------------------------------------------- hard_tanh, relu6, hard_swish
def hard_tanh(z):
    """z on the open interval (-1, 1), else the constant -1 or 1: autodiff gives 0 at the
    kinks, as the hand-written derivative (and PyTorch)."""
    inside = (z > -1.0) & (z < 1.0)
    return _keep_nan(jnp.where(inside, z, jnp.where(z <= -1.0, -1.0, 1.0)), z)


def hard_tanh_der(z):
    return _keep_nan(jnp.where((z > -1.0) & (z < 1.0), 1.0, 0.0), z)


hard_tanh_der2 = identity_der2


def relu6(z):
    """z on the open interval (0, 6), else the constant 0 or 6: autodiff gives 0 at both
    kinks, as the hand-written derivative (PyTorch and JAX)."""
    inside = (z > 0.0) & (z < 6.0)
    return _keep_nan(jnp.where(inside, z, jnp.where(z <= 0.0, 0.0, 6.0)), z)


def relu6_der(z):
    return _keep_nan(jnp.where((z > 0.0) & (z < 6.0), 1.0, 0.0), z)


relu6_der2 = identity_der2


def hard_swish(z):
    """z relu6(z + 3) / 6; autodiff of the where form gives -1/2 at -3 and 3/2 at 3."""
    return z * jnp.where(z < -3.0, 0.0, jnp.where(z > 3.0, 6.0, z + 3.0)) / 6.0


def hard_swish_der(z):
    mid = (2.0 * z + 3.0) / 6.0
    return _keep_nan(jnp.where(z < -3.0, 0.0, jnp.where(z > 3.0, 1.0, mid)), z)


def hard_swish_der2(z):
    return _keep_nan(jnp.where((z >= -3.0) & (z <= 3.0), 1.0 / 3.0, 0.0), z)


# ---------------------------------------------------------------- celu, hard_sigmoid
def celu_der(z, alpha=_CELU_ALPHA):
    """exp(z / alpha) for z < 0 else 1; exp sees min(z, 0) only."""
    return _keep_nan(jnp.where(z < 0, jnp.exp(jnp.minimum(z, 0.0) / alpha), 1.0), z)


@functools.partial(jax.custom_jvp, nondiff_argnums=(1,))
def _celu(z, alpha):
    """alpha expm1(min(z, 0) / alpha) for z < 0 else z (no overflow in the unused branch)."""
    return jnp.where(z < 0, alpha * jnp.expm1(jnp.minimum(z, 0.0) / alpha), z)


@_celu.defjvp
def _celu_jvp(alpha, primals, tangents):
    (z,), (t,) = primals, tangents
    return _celu(z, alpha), t * celu_der(z, alpha)


def celu(z, alpha=_CELU_ALPHA):
    return _celu(z, alpha)


def celu_der2(z, alpha=_CELU_ALPHA):
    """exp(z / alpha) / alpha for z < 0 else 0 (0 at the kink, inside [0, 1/alpha])."""
    return _keep_nan(jnp.where(z < 0, jnp.exp(jnp.minimum(z, 0.0) / alpha) / alpha, 0.0), z)


def celu_der_output(a, alpha=_CELU_ALPHA):
    # (a + alpha) / alpha, not a / alpha + 1: a static alpha's division becomes a product
    # with a rounded 1 / alpha, and a saturated a = -alpha would leave 1e-17 instead of 0
    return _keep_nan(jnp.where(a < 0, (a + alpha) / alpha, jnp.ones_like(a)), a)


def hard_sigmoid(z, slope=_HS_SLOPE):
    """clip(slope z + 1/2, 0, 1) with the middle piece on the open |z| < 1 / (2 slope):
    autodiff gives 0 at the kinks, as the hand-written derivative and the reference (inside
    the accepted [0, slope]); jnp.clip's tie rule would give half the slope."""
    inside = jnp.abs(z) < 0.5 / slope
    return _keep_nan(jnp.where(inside, slope * z + 0.5, jnp.where(z < 0, 0.0, 1.0)), z)


def hard_sigmoid_der(z, slope=_HS_SLOPE):
    inside = jnp.abs(z) < 0.5 / slope  # the kinks themselves (as the reference)
    return _keep_nan(jnp.where(inside, jnp.full_like(z, slope), jnp.zeros_like(z)), z)


def hard_sigmoid_der2(z, slope=_HS_SLOPE):
    return identity_der2(z)


# ---------------------------------------------------------------- log_sigmoid
def log_sigmoid(z):
    """-softplus(-z) (never log of an underflowed sigmoid); derivative sigmoid(-z)."""
    return -softplus(-z)


def log_sigmoid_der(z):
    return sigmoid(-z)


def log_sigmoid_der2(z):
    return -sigmoid_der(z)


# ---------------------------------------------------------------- softmax
def _max_last(z):
    return lax.stop_gradient(jnp.max(z, axis=-1, keepdims=True))


def softmax(z):
    """exp(z - max z) / sum: the max is subtracted (and not differentiated) before exp."""
    e = jnp.exp(z - _max_last(z))
    return e / jnp.sum(e, axis=-1, keepdims=True)


def log_softmax(z):
    """(z - m) - log1p(sum_{j != j*} exp(z_j - m)), m = z_{j*} the row max: the max's own
    term is exactly 1, and log1p keeps the digits of a small remainder."""
    is_m = jax.nn.one_hot(jnp.argmax(z, axis=-1), z.shape[-1], dtype=jnp.bool_)
    # The max taken through the mask, not stop_gradient: autodiff then sees m = z_{j*}, and
    # d/dz_{j*} of m + log1p(rest) is 1 / (1 + rest) = softmax_{j*}, as it must be.
    m = jnp.sum(jnp.where(is_m, z, 0.0), axis=-1, keepdims=True)
    s = z - m
    rest = jnp.sum(jnp.where(is_m, 0.0, jnp.exp(s)), axis=-1, keepdims=True)
    return s - jnp.log1p(rest)


def softmax_der(z):
    """The Jacobian J[..., i, j] = da_i/dz_j = a_i (delta_ij - a_j), shape (..., K, K)."""
    a = softmax(z)
    eye = jnp.eye(z.shape[-1], dtype=z.dtype)
    return a[..., :, None] * (eye - a[..., None, :])


def softmax_vjp(z, g):
    """J^T g per row = a (g - <g, a>), without forming the Jacobian."""
    a = softmax(z)
    return a * (g - jnp.sum(g * a, axis=-1, keepdims=True))


def log_softmax_der(z):
    """The Jacobian J[..., i, j] = delta_ij - softmax(z)_j, shape (..., K, K)."""
    p = softmax(z)
    return jnp.eye(z.shape[-1], dtype=z.dtype) - p[..., None, :]


def log_softmax_vjp(z, g):
    """J^T g per row = g - softmax(z) sum(g), without forming the Jacobian."""
    return g - softmax(z) * jnp.sum(g, axis=-1, keepdims=True)


# ---------------------------------------------------------------- costs
@jax.custom_jvp
def _abs(r):
    """|r| with derivative sign(r): 0 at r = 0 (inside the subdifferential [-1, 1])."""
    return jnp.abs(r)


@_abs.defjvp
def _abs_jvp(primals, tangents):
    (r,), (t,) = primals, tangents
    return _abs(r), t * jnp.sign(r)


def half_squared(a, y):
    r = a - y
    return 0.5 * r * r


def half_squared_der(a, y):
    return a - y


def half_squared_der2(a, y):
    return _keep_nan(_const(a, 1.0), y)


def squared(a, y):
    r = a - y
    return r * r


def squared_der(a, y):
    return 2.0 * (a - y)


def squared_der2(a, y):
    return _keep_nan(_const(a, 2.0), y)


def absolute(a, y):
    return _abs(a - y)


def absolute_der(a, y):
    return jnp.sign(a - y)


def absolute_der2(a, y):
    return _keep_nan(_const(a, 0.0), y)


def huber(a, y, delta=_DELTA):
    r = a - y
    ar = _abs(r)
    return jnp.where(ar <= delta, 0.5 * r * r, delta * (ar - 0.5 * delta))


def huber_der(a, y, delta=_DELTA):
    return jnp.clip(a - y, -delta, delta)


def huber_der2(a, y, delta=_DELTA):
    """1 inside |r| <= delta (including the kinks, inside the accepted [0, 1]), else 0."""
    r = a - y
    return _keep_nan(jnp.where(jnp.abs(r) <= delta, jnp.ones_like(r), jnp.zeros_like(r)), r)


def smooth_l1(a, y, beta=_L1_BETA):
    d = a - y
    ad = _abs(d)
    return jnp.where(ad < beta, 0.5 * d * d / beta, ad - 0.5 * beta)


def smooth_l1_der(a, y, beta=_L1_BETA):
    return jnp.clip((a - y) / beta, -1.0, 1.0)


def smooth_l1_der2(a, y, beta=_L1_BETA):
    """1/beta inside |r| < beta, else 0 (0 at the kinks, inside the accepted [0, 1/beta])."""
    r = a - y
    inside = jnp.full_like(r, 1.0 / beta)
    return _keep_nan(jnp.where(jnp.abs(r) < beta, inside, jnp.zeros_like(r)), r)


def focal(a, y, gamma=_GAMMA):
    """-y (1-a)^gamma log a - (1-y) a^gamma log1p(-a); xlogy: a zero weight gives 0."""
    u = 1.0 - a
    return -(xlogy(y * u**gamma, a) + xlog1py((1.0 - y) * a**gamma, -a))


def focal_der(a, y, gamma=_GAMMA):
    """y (gamma u^gamma (log a / u) - u^gamma / a) + (1-y) (a^gamma / u - gamma a^gamma
    (log u / a)), u = 1 - a: the modulating factor's derivative included."""
    u = 1.0 - a
    pos = gamma * u**gamma * (jnp.log(a) / u) - u**gamma / a
    neg = a**gamma / u - gamma * a**gamma * (jnp.log1p(-a) / a)
    return y * pos + (1.0 - y) * neg


def focal_der2(a, y, gamma=_GAMMA):
    u = 1.0 - a
    g = gamma
    la, lu = jnp.log(a), jnp.log1p(-a)
    pos = -g * (g - 1.0) * u**g * la / (u * u) + 2.0 * g * u**g / (u * a) + u**g / (a * a)
    neg = -g * (g - 1.0) * a**g * lu / (a * a) + 2.0 * g * a**g / (a * u) + a**g / (u * u)
    return y * pos + (1.0 - y) * neg


def log_loss(a, y):
    """-(y log a + (1 - y) log1p(-a)); xlogy makes 0 log 0 = 0 at a saturated prediction."""
    return -(xlogy(y, a) + xlog1py(1.0 - y, -a))


def log_loss_der(a, y):
    return (a - y) / (a * (1.0 - a))


def log_loss_der2(a, y):
    return y / (a * a) + (1.0 - y) / ((1.0 - a) * (1.0 - a))


def cross_entropy(a, y):
    return -xlogy(y, a)


def cross_entropy_der(a, y):
    return -y / a


def cross_entropy_der2(a, y):
    return y / (a * a)


def hinge(a, y):
    return jnp.maximum(1.0 - y * a, 0.0)


def hinge_der(a, y):
    """-y inside the margin (y a < 1), else 0 (0 on the margin)."""
    m = y * a
    return _keep_nan(jnp.where(m < 1.0, -y, 0.0 * y), m)


def hinge_der2(a, y):
    return _keep_nan(_const(a, 0.0), y)


def squared_hinge(a, y):
    h = jnp.maximum(1.0 - y * a, 0.0)
    return h * h


def squared_hinge_der(a, y):
    return -2.0 * y * jnp.maximum(1.0 - y * a, 0.0)


def squared_hinge_der2(a, y):
    m = y * a
    return _keep_nan(jnp.where(m < 1.0, 2.0 * y * y, 0.0 * y), m)


def kl_div(a, y):
    """y log(y / a) with 0 log 0 = 0 (xlogy)."""
    return xlogy(y, y / a)


kl_div_der = cross_entropy_der
kl_div_der2 = cross_entropy_der2


def poisson_nll(a, y):
    return a - xlogy(y, a)


def poisson_nll_der(a, y):
    return (a - y) / a


def poisson_nll_der2(a, y):
    """y / a^2 as (y / a) / a.  XLA rewrites that into y / (a * a), and in float16 a * a
    underflows to 0 for a < 2.4e-4 (0 / 0 = NaN where the truth is 0, inf where it is
    finite): low-precision inputs are divided in float32 and rounded once."""
    if a.dtype.itemsize < 4:
        return (y.astype(jnp.float32) / a.astype(jnp.float32) / a.astype(jnp.float32)).astype(
            a.dtype
        )
    return y / a / a


def poisson_nll_log(z, y):
    return jnp.exp(z) - y * z


def poisson_nll_log_der(z, y):
    return jnp.exp(z) - y


def poisson_nll_log_der2(z, y):
    return _keep_nan(jnp.exp(z), y)


def log_cosh_der(a, y):
    return jnp.tanh(a - y)


@jax.custom_jvp
def log_cosh(a, y):
    """|r| + log1p(exp(-2|r|)) - log 2, or log1p(2 sinh(r/2)^2) for |r| < 1 (no cancellation);
    the jvp is tanh(r) (autodiff would differentiate the branches and |r|)."""
    r = jnp.abs(a - y)
    big = r + jnp.log1p(jnp.exp(-2.0 * r)) - math.log(2.0)
    sh = jnp.sinh(0.5 * jnp.minimum(r, 1.0))
    return jnp.where(r < 1.0, jnp.log1p(2.0 * sh * sh), big)


@log_cosh.defjvp
def _log_cosh_jvp(primals, tangents):
    (a, y), (ta, ty) = primals, tangents
    g = jnp.tanh(a - y)
    return log_cosh(a, y), g * (ta - ty)


def log_cosh_der2(a, y):
    return tanh_der(a - y)


def log_loss_logits(z, y):
    """softplus(z) - y z = max(z, 0) - y z + log1p(exp(-|z|))."""
    return softplus(z) - y * z


def log_loss_logits_der(z, y):
    return sigmoid(z) - y


def log_loss_logits_der2(z, y):
    return _keep_nan(sigmoid_der(z), y)


def cross_entropy_logits(z, y):
    """-sum_k y_k log_softmax(z)_k per row (= logsumexp(z) - <y, z> when rows of y sum to 1)."""
    return -jnp.sum(y * log_softmax(z), axis=-1)


def cross_entropy_logits_der(z, y):
    """sum(y) softmax(z) - y (softmax(z) - y on the simplex)."""
    return jnp.sum(y, axis=-1, keepdims=True) * softmax(z) - y


def cross_entropy_logits_der2(z, y):
    """The Hessian (sum_k y_k) (diag(a) - a a^T), a = softmax(z); shape (..., K, K)."""
    return jnp.sum(y, axis=-1)[..., None, None] * softmax_der(z)


# ---------------------------------------------------------------- reductions
def reduce(values, reduction: str):
    if reduction == "none":
        return values
    if reduction == "sum":
        return jnp.sum(values)
    return jnp.mean(values)


def reduce_der(grad, reduction: str, n: int | None = None):
    """grad (none, sum) or grad / n (mean; n defaults to grad.size, pass it for per-row costs)."""
    if reduction == "mean":
        return grad / (grad.size if n is None else n)
    return grad


# ---------------------------------------------------------------- delta = dC/dz
def softmax_logs(z):
    """(log a, log(1 - a)) for a = softmax(z), both without rounding a to 1 first (K >= 2).

    log(1 - a_i) is log1p(-a_i) except at the row's argmax m, where a_m may round to 1: there
    it is logsumexp over the other entries minus logsumexp over all.  The unused branch only
    ever sees finite values (a is zeroed at m), so autodiff through it gives no NaN.
    """
    la = log_softmax(z)
    is_m = jax.nn.one_hot(jnp.argmax(z, axis=-1), z.shape[-1], dtype=jnp.bool_)
    zo = jnp.where(is_m, -jnp.inf, z)
    mo = lax.stop_gradient(jnp.max(zo, axis=-1, keepdims=True))
    lse_o = mo + jnp.log(jnp.sum(jnp.where(is_m, 0.0, jnp.exp(zo - mo)), axis=-1, keepdims=True))
    m = _max_last(z)
    lse = m + jnp.log(jnp.sum(jnp.exp(z - m), axis=-1, keepdims=True))
    l1m = jnp.where(is_m, lse_o - lse, jnp.log1p(-jnp.where(is_m, 0.0, jnp.exp(la))))
    return la, l1m, is_m


def _softmax_log_loss_delta(z, y, act, cost):
    """J^T dC/da for softmax + elementwise log loss, in log space (finite wherever the math is).

    With r_i = a_i / (1 - a_i) and m the argmax: a_i g_i = -y_i + (1 - y_i) r_i, and the one
    term that can overflow, (1 - y_m) r_m, only ever appears multiplied by (1 - a_m) or by a_i.
    """
    la, l1m, is_m = softmax_logs(z)
    a = jnp.exp(la)
    r = jnp.exp(jnp.where(is_m, 0.0, la - l1m))  # r_i for i != m (<= 1); placeholder at m
    sy = jnp.sum(y, axis=-1, keepdims=True)
    t = jnp.sum(jnp.where(is_m, 0.0, (1.0 - y) * r), axis=-1, keepdims=True)
    a_m = jnp.sum(jnp.where(is_m, a, 0.0), axis=-1, keepdims=True)
    y_m = jnp.sum(jnp.where(is_m, y, 0.0), axis=-1, keepdims=True)
    l1m_m = jnp.sum(jnp.where(is_m, l1m, 0.0), axis=-1, keepdims=True)
    common = a * sy - a * t - y
    other = common + (1.0 - y) * r - (1.0 - y_m) * a_m * jnp.exp(la - l1m_m)
    at_m = common + (1.0 - y) * a
    return jnp.where(is_m, at_m, other)


def _sigmoid_cross_entropy_delta(z, y, act, cost):
    return -y * sigmoid(-z)  # -y/a * a(1-a), without dividing by a


def _softmax_cross_entropy_delta(z, y, act, cost):
    # J^T (-y/a) = a sum(y) - y, without dividing by a; equal to the closed form a - y on the
    # simplex and still right off it
    return jnp.sum(y, axis=-1, keepdims=True) * softmax(z) - y


def _sigmoid_poisson_delta(z, y, act, cost):
    # (1 - y/a) a (1 - a) = (a - y) sigma(-z), without dividing by a
    return (sigmoid(z) - y) * sigmoid(-z)


def _softplus_poisson_delta(z, y, act, cost):
    # (1 - y/a) sigma(u) = (a - y) sigma(u) / a, a = softplus(z) at beta, u = beta z; the
    # ratio sigma(u) / a is beta to every dtype's precision below u = -40 (where both
    # underflow later)
    beta = act.values["beta"]
    a, deep = softplus(z, beta), beta * z < -40.0
    ratio = jnp.where(deep, beta, sigmoid(beta * z) / jnp.where(deep, 1.0, a))
    return (a - y) * ratio


def _softmax_poisson_delta(z, y, act, cost):
    # J^T (1 - y/a) = a sum(y) - y, since a_i (1 - y_i / a_i) = a_i - y_i and sum(a) = 1
    return jnp.sum(y, axis=-1, keepdims=True) * softmax(z) - y


def _focal_own(la, lu, y, g):
    """The focal loss's dC/da times a (1 - a), from log a and log(1 - a): finite where a or
    1 - a rounds to 0 (the division by them cancelled by hand)."""
    a, u = jnp.exp(la), jnp.exp(lu)
    u_lu = jnp.where(u > 0, u * lu, 0.0)
    pos = g * u**g * a * la - u ** (g + 1.0)
    return y * pos + (1.0 - y) * (a ** (g + 1.0) - g * a**g * u_lu)


def _sigmoid_focal_delta(z, y, act, cost):
    # log sigmoid(z) = -softplus(-z), log(1 - sigmoid(z)) = -softplus(z)
    return _focal_own(-softplus(-z), -softplus(z), y, cost.values["gamma"])


def _log_one_minus_softmax(z):
    """log(1 - softmax(z)_i) = logsumexp_{k != i} z_k - logsumexp z (no 1 - a rounding)."""
    k = z.shape[-1]
    others = jnp.where(jnp.eye(k, dtype=bool), -jnp.inf, z[..., None, :])
    return jax.nn.logsumexp(others, axis=-1) - jax.nn.logsumexp(z, axis=-1, keepdims=True)


def _softmax_focal_delta(z, y, act, cost):
    """sum_i C'(a_i) a_i (delta_ij - a_j): the i = j term is the sigmoid one; for i != j,
    a_j / (1 - a_i) <= 1 is formed in logs, so no term divides by a rounded 1 - a_i."""
    g = cost.values["gamma"]
    la, lu = log_softmax(z), _log_one_minus_softmax(z)
    a, u = jnp.exp(la), jnp.exp(lu)
    own = _focal_own(la, lu, y, g)
    base = y * (g * u**g * a * la - u ** (g + 1.0)) + (1.0 - y) * a ** (g + 1.0)
    ratio = jnp.exp(la[..., None, :] - lu[..., :, None])  # [i, j] = a_j / (1 - a_i)
    cross = (
        -ratio * base[..., :, None] + a[..., None, :] * ((1.0 - y) * g * a**g * lu)[..., :, None]
    )
    cross = jnp.where(jnp.eye(z.shape[-1], dtype=bool), 0.0, cross)
    return own + jnp.sum(cross, axis=-2)


#: This backend's own stable forms of dC/dz for some pairs (an implementation choice); they
#: take precedence over the registry's closed form.  Any other pair uses its closed form where
#: the registry claims one, else the chain rule.  Called with (z, y) and the bound entries.
_STABLE_DELTA = {
    "sigmoid+cross_entropy": _sigmoid_cross_entropy_delta,
    "softmax+cross_entropy": _softmax_cross_entropy_delta,
    "softmax+log_loss": _softmax_log_loss_delta,
    # kl_div's dC/da is the cross-entropy's, -y / a
    "sigmoid+kl_div": _sigmoid_cross_entropy_delta,
    "sigmoid+poisson_nll": _sigmoid_poisson_delta,
    "softplus+poisson_nll": _softplus_poisson_delta,
    "softmax+poisson_nll": _softmax_poisson_delta,
    "sigmoid+focal": _sigmoid_focal_delta,
    "softmax+focal": _softmax_focal_delta,
}


def delta(activation: str, cost: str, z, y):
    """dC/dz for an output activation and a cost by registry ids (already resolved and
    validated; a bound id such as ``softplus[beta=2]`` at its values, static under jit).

    A cost on logits: its own derivative in z.  Otherwise a stable form of this backend, the
    registry's closed form at a = f(z) (sigmoid + log loss: sigmoid(z) - y, never forming
    (a-y)/(a(1-a)) * a(1-a)), or the chain rule C'(f(z), y) f'(z) (vector activations: through
    their vector-Jacobian product).
    """
    g = globals()
    act, c = spec.activation(activation), spec.cost(cost)
    av, cv = dict(act.values), dict(c.values)
    if c.inputs == "logits":
        return g[c.name + "_der"](z, y, **cv)
    p = spec.pair(act.id, c.id)
    if p.name in _STABLE_DELTA:
        return _STABLE_DELTA[p.name](z, y, act, c)
    a = g[act.name](z, **av)
    if p.closed_form is not None:
        return _sympy.closed_form(act.id, c.id)(a, y)
    if act.vector:
        return g[act.name + "_vjp"](z, g[c.name + "_der"](a, y, **cv))
    return g[c.name + "_der"](a, y, **cv) * g[act.name + "_der"](z, **av)
