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
"""

from __future__ import annotations

import math

import numpy as np
import scipy.special as sc
from numpy.typing import ArrayLike

from gradspec.spec import ACTIVATIONS, ELU_ALPHA, LEAKY_SLOPE

from ._util import as_float, in_float32, keep_nan, like, registry_aliases, underflow_ok

_SQRT2 = math.sqrt(2.0)  # python floats stay "weak" under NEP 50, so float32 stays float32
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
#: |z| beyond which exp(-z^2/2) is 0 in float64 (and float32); clipping there keeps z^2 from
#: overflowing for huge finite z without changing any result.
_PHI_CLIP = 64.0


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
def leaky_relu(z: ArrayLike) -> np.ndarray:
    """f(z) = z if z >= 0 else slope z, slope = ``gradspec.spec.LEAKY_SLOPE``."""
    z = as_float(z)
    return like(np.where(z >= 0, z, LEAKY_SLOPE * z), z.dtype)


@underflow_ok
def leaky_relu_der(z: ArrayLike) -> np.ndarray:
    """f'(z) = 1 if z >= 0 else slope; at the kink 1 (right derivative, as JAX).

    Chosen so it equals the registry's output form (1 at a = 0).
    """
    z = as_float(z)
    return like(LEAKY_SLOPE + (1.0 - LEAKY_SLOPE) * np.heaviside(z, 1.0), z.dtype)


@underflow_ok
def leaky_relu_der2(z: ArrayLike) -> np.ndarray:
    """f''(z) = 0."""
    return relu_der2(z)


@underflow_ok
def leaky_relu_der_output(a: ArrayLike) -> np.ndarray:
    """f' in terms of the output: slope if a < 0 else 1 (a has the sign of z)."""
    return leaky_relu_der(a)


# --------------------------------------------------------------------------- softplus


@underflow_ok
def softplus(z: ArrayLike) -> np.ndarray:
    """f(z) = log(1 + exp(z)) = max(z, 0) + log1p(exp(-|z|)).

    The textbook form overflows for z > 709 (float64) / 88 (float32); here the exponent is
    never positive, and log1p keeps accuracy when exp(-|z|) is tiny.
    """
    z = as_float(z)
    return like(np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z))), z.dtype)


@underflow_ok
def softplus_der(z: ArrayLike) -> np.ndarray:
    """f'(z) = sigmoid(z)."""
    return sigmoid(z)


@underflow_ok
def softplus_der2(z: ArrayLike) -> np.ndarray:
    """f''(z) = sigmoid'(z)."""
    return sigmoid_der(z)


@underflow_ok
def softplus_der_output(a: ArrayLike) -> np.ndarray:
    """f' in terms of the output a = softplus(z): 1 - exp(-a) = -expm1(-a).

    expm1 keeps relative accuracy for small a (large negative z), where 1 - exp(-a) cancels.
    """
    a = as_float(a)
    return like(-np.expm1(-a), a.dtype)


# --------------------------------------------------------------------------- elu


@underflow_ok
def elu(z: ArrayLike) -> np.ndarray:
    """f(z) = z if z >= 0 else alpha (exp(z) - 1), alpha = ``gradspec.spec.ELU_ALPHA``.

    expm1 avoids cancellation near 0; its argument is clipped to <= 0 so the branch that
    ``np.where`` discards never evaluates exp of a large positive z (which would overflow).
    """
    z = as_float(z)
    neg = ELU_ALPHA * np.expm1(np.minimum(z, 0.0))
    return like(np.where(z >= 0, z, neg), z.dtype)


@underflow_ok
def elu_der(z: ArrayLike) -> np.ndarray:
    """f'(z) = 1 if z >= 0 else alpha exp(z); f'(0) = 1 (continuous when alpha = 1)."""
    z = as_float(z)
    neg = ELU_ALPHA * np.exp(np.minimum(z, 0.0))
    return like(np.where(z >= 0, 1.0, neg), z.dtype)


@underflow_ok
def elu_der2(z: ArrayLike) -> np.ndarray:
    """f''(z) = 0 if z >= 0 else alpha exp(z); at the kink f''(0) = 0 (right side)."""
    z = as_float(z)
    neg = ELU_ALPHA * np.exp(np.minimum(z, 0.0))
    return like(np.where(z >= 0, 0.0, neg), z.dtype)


@underflow_ok
def elu_der_output(a: ArrayLike) -> np.ndarray:
    """f' in terms of the output: a + alpha if a < 0 else 1 (alpha exp(z) = a + alpha)."""
    a = as_float(a)
    return like(np.where(a < 0, a + ELU_ALPHA, 1.0), a.dtype)


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


# --------------------------------------------------------------------------- aliases

# float16/bfloat16 computed in float32 and rounded once (written last: every function exists)
globals().update(in_float32(globals(), ACTIVATIONS))
# silu = swish etc., from the registry's aliases
globals().update(registry_aliases(globals(), ACTIVATIONS))
