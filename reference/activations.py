"""Reference NumPy activations: ``N``, ``N_der``, ``N_der2`` and ``N_der_output`` per entry.

Every function takes an array-like ``z`` (or output ``a``) of any shape, returns a new array of
the same shape and floating dtype (integers become float64), never mutates its input, maps NaN
to NaN, and does not overflow or raise for finite inputs where the mathematical value is finite
(underflow to 0 is allowed and silenced: it is the correctly rounded answer).  Softmax acts
along the last axis.

Conventions at kinks (each inside the registry's accepted interval):

* ``step(0) = 1``; ``step_der = 0`` everywhere (the registry requires 0 at the jump).
* ``relu_der(0) = 0`` (left derivative, as JAX and PyTorch; matches the registry's
  output form, which is 0 at a = 0).
* ``leaky_relu_der(0) = 1`` (right derivative, as JAX; matches the registry's output form,
  which is 1 at a = 0, so ``leaky_relu_der_output(leaky_relu(z)) == leaky_relu_der(z)``
  everywhere).
* ``elu_der(0) = 1`` (continuous for alpha = 1), ``elu_der2(0) = 0`` (right side).
* ``selu_der(0) = lambda`` (right derivative, as ``elu_der``; PyTorch and JAX give
  lambda alpha, also accepted).
* ``softsign_der2(0) = 0`` (sign(0); the one-sided values are 2 and -2).
* ``hard_tanh_der(+-1) = 0`` and ``relu6_der(0) = relu6_der(6) = 0`` (as PyTorch: the
  derivative is 1 on the open interval only).
* ``hard_swish_der(-3) = -1/2``, ``hard_swish_der(3) = 3/2`` (the middle piece's slope, as
  PyTorch).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from gradspec.spec import (
    ACTIVATIONS,
    GELU_TANH_CUBIC,
    SELU_ALPHA,
    SELU_LAMBDA,
    default,
)

from ._deferred import deferred
from ._util import as_float, in_float32, keep_nan, like, registry_aliases, underflow_ok

sc = deferred("scipy.special")  # imported on first use: ~0.3 s a one-function check never needs

_SQRT2 = math.sqrt(2.0)  # python floats stay "weak" under NEP 50, so float32 stays float32
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
#: |z| beyond which exp(-z^2/2) is 0 in float64 (and float32); clipping there keeps z^2 from
#: overflowing for huge finite z without changing any result.
_PHI_CLIP = 64.0
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
#: |z| beyond which sigmoid(2u) of gelu_tanh is exactly 0 or 1 in every dtype (|2u| > 1900):
#: u is computed on the clipped z, so z^3 cannot overflow (float16 overflows at |z| = 40).
_GELU_TANH_CLIP = 30.0
#: Parameter defaults, read from the registry (the one place they are written).
_SLOPE = default("leaky_relu", "slope")
_ALPHA = default("elu", "alpha")
_BETA = default("softplus", "beta")
_CELU_ALPHA = default("celu", "alpha")
_HS_SLOPE = default("hard_sigmoid", "slope")


# --------------------------------------------------------------------------- identity


@underflow_ok
def identity(z: ArrayLike) -> np.ndarray:
    """f(z) = z (returned as a new array)."""
    z = as_float(z)
    return z.copy()


@underflow_ok
def identity_der(z: ArrayLike) -> np.ndarray:
    """f'(z) = 1."""
    z = as_float(z)
    return keep_nan(np.ones_like(z), z)


@underflow_ok
def identity_der2(z: ArrayLike) -> np.ndarray:
    """f''(z) = 0."""
    z = as_float(z)
    return keep_nan(np.zeros_like(z), z)


@underflow_ok
def identity_der_output(a: ArrayLike) -> np.ndarray:
    """f' in terms of the output: 1."""
    return identity_der(a)


# --------------------------------------------------------------------------- step


@underflow_ok
def step(z: ArrayLike) -> np.ndarray:
    """Heaviside step: f(z) = 1 if z >= 0 else 0; the spec value at 0 is 1."""
    z = as_float(z)
    return like(np.heaviside(z, 1.0), z.dtype)


@underflow_ok
def step_der(z: ArrayLike) -> np.ndarray:
    """f'(z) = 0 everywhere: the Dirac delta at 0 is replaced by the required value 0."""
    z = as_float(z)
    return keep_nan(np.zeros_like(z), z)


@underflow_ok
def step_der2(z: ArrayLike) -> np.ndarray:
    """f''(z) = 0 everywhere."""
    return step_der(z)


@underflow_ok
def step_der_output(a: ArrayLike) -> np.ndarray:
    """f' in terms of the output: 0."""
    return step_der(a)


# --------------------------------------------------------------------------- sigmoid


@underflow_ok
def sigmoid(z: ArrayLike) -> np.ndarray:
    """f(z) = 1 / (1 + exp(-z)), range (0, 1).

    Stable: only exp(-|z|) <= 1 is evaluated, so nothing overflows; z >= 0 uses
    1/(1+e), z < 0 uses e/(1+e) (the same value, without exp(-z) for negative z).
    """
    z = as_float(z)
    e = np.exp(-np.abs(z))
    return like(np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)), z.dtype)


@underflow_ok
def sigmoid_der(z: ArrayLike) -> np.ndarray:
    """f'(z) = s (1 - s) = e / (1 + e)^2 with e = exp(-|z|) (f' is even).

    The e-form keeps full relative accuracy in both tails, where s (1 - s) would round
    1 - s to 0 for large positive z.
    """
    z = as_float(z)
    e = np.exp(-np.abs(z))
    return like(e / (1.0 + e) ** 2, z.dtype)


@underflow_ok
def sigmoid_der2(z: ArrayLike) -> np.ndarray:
    """f''(z) = s (1 - s)(1 - 2 s) = -f'(z) tanh(z / 2).

    1 - 2s cancels catastrophically for large |z|; tanh(z/2) is the same quantity computed
    without cancellation.
    """
    z = as_float(z)
    return like(-sigmoid_der(z) * np.tanh(z / 2.0), z.dtype)


@underflow_ok
def sigmoid_der_output(a: ArrayLike) -> np.ndarray:
    """f' in terms of the output a = sigmoid(z): a (1 - a)."""
    a = as_float(a)
    return a * (1.0 - a)


# --------------------------------------------------------------------------- tanh


@underflow_ok
def tanh(z: ArrayLike) -> np.ndarray:
    """f(z) = tanh(z), range (-1, 1); the library tanh never overflows."""
    z = as_float(z)
    return np.tanh(z)


@underflow_ok
def tanh_der(z: ArrayLike) -> np.ndarray:
    """f'(z) = 1 - tanh(z)^2 = 4 e / (1 + e)^2 with e = exp(-2|z|).

    1 - tanh^2 loses all relative accuracy once tanh rounds to 1 (|z| > ~19 in float64);
    cosh^-2 overflows.  The e-form is exact to rounding everywhere.
    """
    z = as_float(z)
    e = np.exp(-2.0 * np.abs(z))
    return like(4.0 * e / (1.0 + e) ** 2, z.dtype)


@underflow_ok
def tanh_der2(z: ArrayLike) -> np.ndarray:
    """f''(z) = -2 tanh(z) f'(z)."""
    z = as_float(z)
    return like(-2.0 * np.tanh(z) * tanh_der(z), z.dtype)


@underflow_ok
def tanh_der_output(a: ArrayLike) -> np.ndarray:
    """f' in terms of the output a = tanh(z): 1 - a^2."""
    a = as_float(a)
    return 1.0 - a * a


# --------------------------------------------------------------------------- relu


@underflow_ok
def relu(z: ArrayLike) -> np.ndarray:
    """f(z) = max(0, z); ``np.maximum`` propagates NaN (``np.where(z > 0, ...)`` would not)."""
    z = as_float(z)
    return np.maximum(z, 0.0)


@underflow_ok
def relu_der(z: ArrayLike) -> np.ndarray:
    """f'(z) = 1 if z > 0 else 0; at the kink relu'(0) = 0 (left derivative, as JAX/PyTorch)."""
    z = as_float(z)
    return like(np.heaviside(z, 0.0), z.dtype)


@underflow_ok
def relu_der2(z: ArrayLike) -> np.ndarray:
    """f''(z) = 0 (the delta at 0 is dropped)."""
    z = as_float(z)
    return keep_nan(np.zeros_like(z), z)


@underflow_ok
def relu_der_output(a: ArrayLike) -> np.ndarray:
    """f' in terms of the output: 1 if a > 0 else 0 (so 0 at a = 0, as ``relu_der(0)``)."""
    return relu_der(a)


# --------------------------------------------------------------------------- leaky_relu


@underflow_ok
def leaky_relu(z: ArrayLike, slope: float = _SLOPE) -> np.ndarray:
    """f(z) = z if z >= 0 else slope z (slope: the registry's parameter, default 0.01)."""
    z, slope = as_float(z), float(slope)
    return like(np.where(z >= 0, z, slope * z), z.dtype)


@underflow_ok
def leaky_relu_der(z: ArrayLike, slope: float = _SLOPE) -> np.ndarray:
    """f'(z) = 1 if z >= 0 else slope; at the kink 1 (right derivative, as JAX).

    Chosen so it equals the registry's output form (1 at a = 0).
    """
    z, slope = as_float(z), float(slope)
    return like(slope + (1.0 - slope) * np.heaviside(z, 1.0), z.dtype)


@underflow_ok
def leaky_relu_der2(z: ArrayLike, slope: float = _SLOPE) -> np.ndarray:
    """f''(z) = 0."""
    return relu_der2(z)


@underflow_ok
def leaky_relu_der_output(a: ArrayLike, slope: float = _SLOPE) -> np.ndarray:
    """f' in terms of the output: slope if a < 0 else 1 (a has the sign of z)."""
    return leaky_relu_der(a, slope)


# --------------------------------------------------------------------------- softplus


@underflow_ok
def softplus(z: ArrayLike, beta: float = _BETA) -> np.ndarray:
    """f(z) = log(1 + exp(beta z)) / beta = (max(u, 0) + log1p(exp(-|u|))) / beta, u = beta z.

    The textbook form overflows for beta z > 709 (float64) / 88 (float32); here the exponent
    is never positive, and log1p keeps accuracy when exp(-|u|) is tiny.  beta = 1 multiplies
    and divides by 1, exactly.
    """
    z, beta = as_float(z), float(beta)
    u = beta * z
    return like((np.maximum(u, 0.0) + np.log1p(np.exp(-np.abs(u)))) / beta, z.dtype)


@underflow_ok
def softplus_der(z: ArrayLike, beta: float = _BETA) -> np.ndarray:
    """f'(z) = sigmoid(beta z)."""
    z = as_float(z)
    return sigmoid(float(beta) * z)


@underflow_ok
def softplus_der2(z: ArrayLike, beta: float = _BETA) -> np.ndarray:
    """f''(z) = beta sigmoid'(beta z)."""
    z, beta = as_float(z), float(beta)
    return like(beta * sigmoid_der(beta * z), z.dtype)


@underflow_ok
def softplus_der_output(a: ArrayLike, beta: float = _BETA) -> np.ndarray:
    """f' in terms of the output a = softplus(z): 1 - exp(-beta a) = -expm1(-beta a).

    expm1 keeps relative accuracy for small a (large negative z), where 1 - exp(-a) cancels.
    """
    a, beta = as_float(a), float(beta)
    return like(-np.expm1(-beta * a), a.dtype)


# --------------------------------------------------------------------------- elu


@underflow_ok
def elu(z: ArrayLike, alpha: float = _ALPHA) -> np.ndarray:
    """f(z) = z if z >= 0 else alpha (exp(z) - 1) (alpha: the registry's parameter, default 1).

    expm1 avoids cancellation near 0; its argument is clipped to <= 0 so the branch that
    ``np.where`` discards never evaluates exp of a large positive z (which would overflow).
    """
    z, alpha = as_float(z), float(alpha)
    neg = alpha * np.expm1(np.minimum(z, 0.0))
    return like(np.where(z >= 0, z, neg), z.dtype)


@underflow_ok
def elu_der(z: ArrayLike, alpha: float = _ALPHA) -> np.ndarray:
    """f'(z) = 1 if z >= 0 else alpha exp(z); f'(0) = 1 (continuous when alpha = 1; the
    right derivative, inside [min(alpha, 1), max(alpha, 1)], otherwise)."""
    z, alpha = as_float(z), float(alpha)
    neg = alpha * np.exp(np.minimum(z, 0.0))
    return like(np.where(z >= 0, 1.0, neg), z.dtype)


@underflow_ok
def elu_der2(z: ArrayLike, alpha: float = _ALPHA) -> np.ndarray:
    """f''(z) = 0 if z >= 0 else alpha exp(z); at the kink f''(0) = 0 (right side)."""
    z, alpha = as_float(z), float(alpha)
    neg = alpha * np.exp(np.minimum(z, 0.0))
    return like(np.where(z >= 0, 0.0, neg), z.dtype)


@underflow_ok
def elu_der_output(a: ArrayLike, alpha: float = _ALPHA) -> np.ndarray:
    """f' in terms of the output: a + alpha if a < 0 else 1 (alpha exp(z) = a + alpha)."""
    a, alpha = as_float(a), float(alpha)
    return like(np.where(a < 0, a + alpha, 1.0), a.dtype)


# --------------------------------------------------------------------------- gelu


def _Phi(z: np.ndarray) -> np.ndarray:
    """Standard normal CDF as erfc(-z/sqrt2)/2: no cancellation of 1 + erf for z << 0."""
    return 0.5 * sc.erfc(-z / _SQRT2)


def _phi(z: np.ndarray) -> np.ndarray:
    """Standard normal density; z is clipped where the density is 0 anyway (no z^2 overflow)."""
    zc = np.clip(z, -_PHI_CLIP, _PHI_CLIP)
    return _INV_SQRT_2PI * np.exp(-0.5 * zc * zc)


@underflow_ok
def gelu(z: ArrayLike) -> np.ndarray:
    """Exact GELU: f(z) = z Phi(z) = z/2 (1 + erf(z/sqrt2)) = z/2 erfc(-z/sqrt2).

    The erfc form is used for every z: for z << 0, 1 + erf cancels to 0 while erfc keeps full
    relative accuracy, and for z > 0 the two are equal to rounding.
    """
    z = as_float(z)
    return like(z * _Phi(z), z.dtype)


@underflow_ok
def gelu_der(z: ArrayLike) -> np.ndarray:
    """f'(z) = Phi(z) + z phi(z), phi the standard normal density."""
    z = as_float(z)
    return like(_Phi(z) + z * _phi(z), z.dtype)


@underflow_ok
def gelu_der2(z: ArrayLike) -> np.ndarray:
    """f''(z) = phi(z) (2 - z^2).

    z^2 is taken on the clipped z (phi is exactly 0 beyond the clip), so it cannot overflow.
    """
    z = as_float(z)
    zc = np.clip(z, -_PHI_CLIP, _PHI_CLIP)
    return like(_phi(z) * (2.0 - zc * zc), z.dtype)


# --------------------------------------------------------------------------- swish


@underflow_ok
def swish(z: ArrayLike) -> np.ndarray:
    """Swish / SiLU: f(z) = z sigmoid(z), with the stable sigmoid (z/(1+exp(-z)) overflows)."""
    z = as_float(z)
    return like(z * sigmoid(z), z.dtype)


@underflow_ok
def swish_der(z: ArrayLike) -> np.ndarray:
    """f'(z) = s + z s (1 - s) = sigmoid(z) + z sigmoid'(z).

    sigmoid'(z) is the tail-accurate e/(1+e)^2, so z s(1-s) does not round to 0 early.
    """
    z = as_float(z)
    return like(sigmoid(z) + z * sigmoid_der(z), z.dtype)


@underflow_ok
def swish_der2(z: ArrayLike) -> np.ndarray:
    """f''(z) = s'(z) (2 + z (1 - 2 s)) = s'(z) (2 - z tanh(z/2)).

    1 - 2s = -tanh(z/2) computed without cancellation; s'(z) is tail-accurate.
    """
    z = as_float(z)
    return like(sigmoid_der(z) * (2.0 - z * np.tanh(z / 2.0)), z.dtype)


# --------------------------------------------------------------------------- gelu_tanh


def _gelu_tanh_u(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(u, u', u'') of u = sqrt(2/pi) (z + k z^3), on z clipped to +-30 (no z^3 overflow;
    the sigmoid of 2u is exactly 0 or 1 beyond the clip, and the terms with u' vanish)."""
    zc = np.clip(z, -_GELU_TANH_CLIP, _GELU_TANH_CLIP)
    u = _SQRT_2_OVER_PI * (zc + GELU_TANH_CUBIC * zc * zc * zc)
    du = _SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_TANH_CUBIC * zc * zc)
    d2u = _SQRT_2_OVER_PI * 6.0 * GELU_TANH_CUBIC * zc
    return u, du, d2u


@underflow_ok
def gelu_tanh(z: ArrayLike) -> np.ndarray:
    """GELU's tanh approximation: f(z) = z/2 (1 + tanh(u)) = z sigmoid(2u),
    u = sqrt(2/pi) (z + 0.044715 z^3).

    1 + tanh(u) = 2 sigmoid(2u) exactly; the sigmoid form keeps full relative accuracy for
    z << 0, where 1 + tanh(u) cancels to 0.
    """
    z = as_float(z)
    u, _, _ = _gelu_tanh_u(z)
    return like(z * sigmoid(2.0 * u), z.dtype)


@underflow_ok
def gelu_tanh_der(z: ArrayLike) -> np.ndarray:
    """f'(z) = s + 2 z u' s', with s = sigmoid(2u) and s' = sigmoid'(2u) (tail-accurate)."""
    z = as_float(z)
    u, du, _ = _gelu_tanh_u(z)
    zc = np.clip(z, -_GELU_TANH_CLIP, _GELU_TANH_CLIP)  # s' is exactly 0 beyond the clip
    return like(sigmoid(2.0 * u) + 2.0 * zc * du * sigmoid_der(2.0 * u), z.dtype)


@underflow_ok
def gelu_tanh_der2(z: ArrayLike) -> np.ndarray:
    """f''(z) = 4 u' s' + z (2 u'' s' + 4 u'^2 s''), s'' = sigmoid''(2u) = -s' tanh(u)."""
    z = as_float(z)
    u, du, d2u = _gelu_tanh_u(z)
    zc = np.clip(z, -_GELU_TANH_CLIP, _GELU_TANH_CLIP)
    g = sigmoid_der(2.0 * u)
    h = -g * np.tanh(u)
    return like(4.0 * du * g + zc * (2.0 * d2u * g + 4.0 * du * du * h), z.dtype)


# --------------------------------------------------------------------------- selu


@underflow_ok
def selu(z: ArrayLike) -> np.ndarray:
    """f(z) = lambda z if z >= 0 else lambda alpha (exp(z) - 1), SELU's fixed constants.

    As :func:`elu`: expm1 on min(z, 0) only, so the unused branch never overflows.
    """
    z = as_float(z)
    neg = SELU_ALPHA * np.expm1(np.minimum(z, 0.0))
    return like(SELU_LAMBDA * np.where(z >= 0, z, neg), z.dtype)


@underflow_ok
def selu_der(z: ArrayLike) -> np.ndarray:
    """f'(z) = lambda if z >= 0 else lambda alpha exp(z); lambda at the kink (right side)."""
    z = as_float(z)
    neg = SELU_ALPHA * np.exp(np.minimum(z, 0.0))
    return like(SELU_LAMBDA * np.where(z >= 0, 1.0, neg), z.dtype)


@underflow_ok
def selu_der2(z: ArrayLike) -> np.ndarray:
    """f''(z) = 0 if z >= 0 else lambda alpha exp(z)."""
    z = as_float(z)
    neg = SELU_ALPHA * np.exp(np.minimum(z, 0.0))
    return like(SELU_LAMBDA * np.where(z >= 0, 0.0, neg), z.dtype)


# --------------------------------------------------------------------------- mish


@underflow_ok
def mish(z: ArrayLike) -> np.ndarray:
    """f(z) = z tanh(softplus(z)), softplus in its stable form."""
    z = as_float(z)
    return like(z * np.tanh(softplus(z)), z.dtype)


@underflow_ok
def mish_der(z: ArrayLike) -> np.ndarray:
    """f'(z) = tanh(s) + z sech^2(s) sigmoid(z), s = softplus(z).

    sech^2 in the tail-accurate form of :func:`tanh_der` (1 - tanh^2 rounds to 0).
    """
    z = as_float(z)
    sp_ = softplus(z)
    return like(np.tanh(sp_) + z * tanh_der(sp_) * sigmoid(z), z.dtype)


@underflow_ok
def mish_der2(z: ArrayLike) -> np.ndarray:
    """f''(z) = sech^2(s) sigmoid(z) (2 + z (sigmoid(-z) - 2 tanh(s) sigmoid(z))),
    s = softplus(z)."""
    z = as_float(z)
    sp_, s = softplus(z), sigmoid(z)
    inner = 2.0 + z * (sigmoid(-z) - 2.0 * np.tanh(sp_) * s)
    return like(tanh_der(sp_) * s * inner, z.dtype)


# --------------------------------------------------------------------------- softsign


@underflow_ok
def softsign(z: ArrayLike) -> np.ndarray:
    """f(z) = z / (1 + |z|)."""
    z = as_float(z)
    return like(z / (1.0 + np.abs(z)), z.dtype)


@underflow_ok
def softsign_der(z: ArrayLike) -> np.ndarray:
    """f'(z) = 1 / (1 + |z|)^2, divided twice so the square cannot overflow.

    The textbook autodiff form 1/(1 + |z|) - |z|/(1 + |z|)^2 cancels for large |z|.
    """
    z = as_float(z)
    d = 1.0 + np.abs(z)
    return like(1.0 / d / d, z.dtype)


@underflow_ok
def softsign_der2(z: ArrayLike) -> np.ndarray:
    """f''(z) = -2 sign(z) / (1 + |z|)^3; 0 at the kink z = 0 (sign(0))."""
    z = as_float(z)
    r = 1.0 / (1.0 + np.abs(z))
    return like(-2.0 * np.sign(z) * r * r * r, z.dtype)


# --------------------------------------------------------------------------- hard_tanh


@underflow_ok
def hard_tanh(z: ArrayLike) -> np.ndarray:
    """f(z) = max(-1, min(1, z)); ``np.clip`` propagates NaN."""
    z = as_float(z)
    return like(np.clip(z, -1.0, 1.0), z.dtype)


@underflow_ok
def hard_tanh_der(z: ArrayLike) -> np.ndarray:
    """f'(z) = 1 if -1 < z < 1 else 0; 0 at the kinks (as PyTorch)."""
    z = as_float(z)
    return like(keep_nan(np.where((z > -1.0) & (z < 1.0), 1.0, 0.0), z), z.dtype)


@underflow_ok
def hard_tanh_der2(z: ArrayLike) -> np.ndarray:
    """f''(z) = 0."""
    return relu_der2(z)


# --------------------------------------------------------------------------- relu6


@underflow_ok
def relu6(z: ArrayLike) -> np.ndarray:
    """f(z) = min(max(0, z), 6); ``np.clip`` propagates NaN."""
    z = as_float(z)
    return like(np.clip(z, 0.0, 6.0), z.dtype)


@underflow_ok
def relu6_der(z: ArrayLike) -> np.ndarray:
    """f'(z) = 1 if 0 < z < 6 else 0; 0 at both kinks (as PyTorch and JAX)."""
    z = as_float(z)
    return like(keep_nan(np.where((z > 0.0) & (z < 6.0), 1.0, 0.0), z), z.dtype)


@underflow_ok
def relu6_der2(z: ArrayLike) -> np.ndarray:
    """f''(z) = 0."""
    return relu_der2(z)


# --------------------------------------------------------------------------- hard_swish


@underflow_ok
def hard_swish(z: ArrayLike) -> np.ndarray:
    """f(z) = z relu6(z + 3) / 6 (PyTorch, Keras 3): 0 for z <= -3, z for z >= 3."""
    z = as_float(z)
    return like(z * np.clip(z + 3.0, 0.0, 6.0) / 6.0, z.dtype)


@underflow_ok
def hard_swish_der(z: ArrayLike) -> np.ndarray:
    """f'(z) = 0 (z < -3), (2 z + 3) / 6 (-3 <= z <= 3), 1 (z > 3); the middle piece's slope
    at the kinks (-1/2 and 3/2, as PyTorch)."""
    z = as_float(z)
    mid = (2.0 * z + 3.0) / 6.0
    return like(keep_nan(np.where(z < -3.0, 0.0, np.where(z > 3.0, 1.0, mid)), z), z.dtype)


@underflow_ok
def hard_swish_der2(z: ArrayLike) -> np.ndarray:
    """f''(z) = 1/3 on [-3, 3], else 0."""
    z = as_float(z)
    return like(keep_nan(np.where((z >= -3.0) & (z <= 3.0), 1.0 / 3.0, 0.0), z), z.dtype)


# --------------------------------------------------------------------------- log_sigmoid


@underflow_ok
def log_sigmoid(z: ArrayLike) -> np.ndarray:
    """f(z) = log sigmoid(z) = -softplus(-z) = min(z, 0) - log1p(exp(-|z|)).

    log(sigmoid(z)) is -inf once sigmoid underflows; this form never leaves the range.
    """
    z = as_float(z)
    return like(np.minimum(z, 0.0) - np.log1p(np.exp(-np.abs(z))), z.dtype)


@underflow_ok
def log_sigmoid_der(z: ArrayLike) -> np.ndarray:
    """f'(z) = sigmoid(-z) = 1 - sigmoid(z), with the stable sigmoid (no cancellation)."""
    z = as_float(z)
    return sigmoid(-z)


@underflow_ok
def log_sigmoid_der2(z: ArrayLike) -> np.ndarray:
    """f''(z) = -sigmoid'(z)."""
    z = as_float(z)
    return like(-sigmoid_der(z), z.dtype)


# --------------------------------------------------------------------------- softmax


@underflow_ok
def softmax(z: ArrayLike) -> np.ndarray:
    """a_i = exp(z_i) / sum_j exp(z_j) along the last axis.

    The row maximum is subtracted first (softmax is shift-invariant), so every exponent is
    <= 0: no overflow, and the denominator is >= 1 (no division by zero).
    """
    z = as_float(z)
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return like(e / np.sum(e, axis=-1, keepdims=True), z.dtype)


@underflow_ok
def softmax_der(z: ArrayLike) -> np.ndarray:
    """The Jacobian J[..., i, j] = da_i/dz_j = a_i (delta_ij - a_j) = diag(a) - a a^T.

    Shape ``z.shape + (K,)`` i.e. (..., K, K); symmetric.  Prefer :func:`softmax_vjp`, which
    never forms J.
    """
    z = as_float(z)
    a = softmax(z)
    eye = np.eye(a.shape[-1], dtype=a.dtype)
    return like(a[..., :, None] * eye - a[..., :, None] * a[..., None, :], z.dtype)


@underflow_ok
def softmax_vjp(z: ArrayLike, g: ArrayLike) -> np.ndarray:
    """g @ J per row, without forming J: a * (g - sum(g * a)), shape of ``z``.

    This is dL/dz given g = dL/da; O(K) per row instead of O(K^2).
    """
    z = as_float(z)
    g = np.asarray(g, dtype=z.dtype)
    a = softmax(z)
    return like(a * (g - np.sum(g * a, axis=-1, keepdims=True)), z.dtype)


# --------------------------------------------------------------------------- log_softmax


@underflow_ok
def log_softmax(z: ArrayLike) -> np.ndarray:
    """a_i = z_i - log sum_j exp(z_j) along the last axis, as
    (z - m) - log1p(sum_{j != j*} exp(z_j - m)) with m = z_{j*} the row max.

    The max's own term is exactly 1, so log1p keeps the digits of a small remainder; never
    log(softmax(z)), which is -inf once a probability underflows.
    """
    z = as_float(z)
    top = np.argmax(z, axis=-1)[..., None]
    shifted = z - np.take_along_axis(z, top, axis=-1)
    rest = np.exp(shifted)
    np.put_along_axis(rest, top, 0.0, axis=-1)
    return like(shifted - np.log1p(np.sum(rest, axis=-1, keepdims=True)), z.dtype)


@underflow_ok
def log_softmax_der(z: ArrayLike) -> np.ndarray:
    """The Jacobian J[..., i, j] = d a_i / d z_j = delta_ij - softmax(z)_j, shape (..., K, K).

    Not softmax's diag(a) - a a^T: every row is e_i minus the same softmax row.
    """
    z = as_float(z)
    p = softmax(z)
    eye = np.eye(p.shape[-1], dtype=p.dtype)
    return like(eye - p[..., None, :], z.dtype)


@underflow_ok
def log_softmax_vjp(z: ArrayLike, g: ArrayLike) -> np.ndarray:
    """g @ J per row without forming J: g - softmax(z) sum(g), shape of ``z``."""
    z = as_float(z)
    g = np.asarray(g, dtype=z.dtype)
    return like(g - softmax(z) * np.sum(g, axis=-1, keepdims=True), z.dtype)


# --------------------------------------------------------------------------- celu


@underflow_ok
def celu(z: ArrayLike, alpha: float = _CELU_ALPHA) -> np.ndarray:
    """f(z) = max(0, z) + min(0, alpha (exp(z / alpha) - 1)), alpha expm1 on min(z, 0) only
    (the discarded branch never overflows)."""
    z, alpha = as_float(z), float(alpha)
    neg = alpha * np.expm1(np.minimum(z, 0.0) / alpha)
    return like(np.where(z >= 0, z, neg), z.dtype)


@underflow_ok
def celu_der(z: ArrayLike, alpha: float = _CELU_ALPHA) -> np.ndarray:
    """f'(z) = exp(z / alpha) for z < 0, else 1 (continuous at 0)."""
    z, alpha = as_float(z), float(alpha)
    return like(np.where(z >= 0, 1.0, np.exp(np.minimum(z, 0.0) / alpha)), z.dtype)


@underflow_ok
def celu_der2(z: ArrayLike, alpha: float = _CELU_ALPHA) -> np.ndarray:
    """f''(z) = exp(z / alpha) / alpha for z < 0, else 0 (0 at the kink: the right side)."""
    z, alpha = as_float(z), float(alpha)
    return like(np.where(z >= 0, 0.0, np.exp(np.minimum(z, 0.0) / alpha) / alpha), z.dtype)


@underflow_ok
def celu_der_output(a: ArrayLike, alpha: float = _CELU_ALPHA) -> np.ndarray:
    """f' in terms of the output: a / alpha + 1 if a < 0 else 1 (exp(z / alpha) = 1 + a / alpha)."""
    a, alpha = as_float(a), float(alpha)
    return like(np.where(a < 0, (a + alpha) / alpha, 1.0), a.dtype)  # 0 at a = -alpha


# --------------------------------------------------------------------------- hard_sigmoid


@underflow_ok
def hard_sigmoid(z: ArrayLike, slope: float = _HS_SLOPE) -> np.ndarray:
    """f(z) = clip(slope z + 1/2, 0, 1); slope 1/6 (the default) is relu6(z + 3) / 6."""
    z, slope = as_float(z), float(slope)
    return like(np.clip(slope * z + 0.5, 0.0, 1.0), z.dtype)


@underflow_ok
def hard_sigmoid_der(z: ArrayLike, slope: float = _HS_SLOPE) -> np.ndarray:
    """f'(z) = slope on the open middle piece, 0 outside and at the kinks (as PyTorch)."""
    z, slope = as_float(z), float(slope)
    # the open middle piece as |z| < 1 / (2 slope): the kinks themselves, not slope z + 1/2
    # (whose rounding, or a fused multiply-add, moves them by an ulp)
    return like(keep_nan(np.where(np.abs(z) < 0.5 / slope, slope, 0.0), z), z.dtype)


@underflow_ok
def hard_sigmoid_der2(z: ArrayLike, slope: float = _HS_SLOPE) -> np.ndarray:
    """f''(z) = 0."""
    return relu_der2(z)


# --------------------------------------------------------------------------- aliases

# float16/bfloat16 computed in float32 and rounded once (written last: every function exists)
globals().update(in_float32(globals(), ACTIVATIONS))
# silu = swish etc., from the registry's aliases
globals().update(registry_aliases(globals(), ACTIVATIONS))
