"""Reference NumPy costs: ``C(a, y)``, ``C_der(a, y)`` = dC/da and ``C_der2(a, y)`` per entry.

Elementwise costs take a prediction ``a`` and a target ``y`` of the same (broadcastable) shape
and return an array of that shape in ``a``'s floating dtype.  The costs on logits take the
pre-activation ``z`` instead of ``a``; ``cross_entropy_logits`` works per row along the last
axis.  Inputs are never mutated; underflow is silenced (see ``_util.underflow_ok``).

Conventions at kinks: ``absolute_der(a, a) = 0`` (sign(0)); ``huber_der2 = 1`` at
``|a - y| = delta`` (the quadratic piece is closed, as in the registry's Piecewise);
``hinge_der = 0`` and ``squared_hinge_der2 = 0`` at the margin ``y a = 1`` (the registry's
Piecewise, PyTorch and JAX).

Reductions: :func:`reduce` and :func:`reduce_der`; ``mean`` divides by the number of cost
values.  :func:`cost_value` / :func:`cost_grad` look a cost up by registry name (or alias).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from gradspec import spec
from gradspec.spec import default

from . import activations as act
from ._deferred import deferred
from ._util import (
    as_float,
    in_float32,
    keep_nan,
    like,
    registry_aliases,
    underflow_ok,
    via_float32,
)

sc = deferred("scipy.special")  # imported on first use: ~0.3 s a one-function check never needs

#: Parameter default, read from the registry (the one place it is written).
_DELTA = default("huber", "delta")
_BETA = default("smooth_l1", "beta")
_GAMMA = default("focal", "gamma")


def _pair(a: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Prediction as a float array, target in the prediction's dtype (float32 stays float32)."""
    a = as_float(a)
    return a, np.asarray(y, dtype=a.dtype)


# --------------------------------------------------------------------------- half_squared


@underflow_ok
def half_squared(a: ArrayLike, y: ArrayLike) -> np.ndarray:
    """C = (a - y)^2 / 2; the 1/2 makes dC/da = a - y."""
    a, y = _pair(a, y)
    return 0.5 * (a - y) ** 2


@underflow_ok
def half_squared_der(a: ArrayLike, y: ArrayLike) -> np.ndarray:
    """dC/da = a - y."""
    a, y = _pair(a, y)
    return a - y


@underflow_ok
def half_squared_der2(a: ArrayLike, y: ArrayLike) -> np.ndarray:
    """d2C/da2 = 1."""
    a, y = _pair(a, y)
    return keep_nan(np.ones_like(a - y), a - y)


# --------------------------------------------------------------------------- squared


@underflow_ok
def squared(a: ArrayLike, y: ArrayLike) -> np.ndarray:
    """C = (a - y)^2."""
    a, y = _pair(a, y)
    return (a - y) ** 2


@underflow_ok
def squared_der(a: ArrayLike, y: ArrayLike) -> np.ndarray:
    """dC/da = 2 (a - y)."""
    a, y = _pair(a, y)
    return 2.0 * (a - y)


@underflow_ok
def squared_der2(a: ArrayLike, y: ArrayLike) -> np.ndarray:
    """d2C/da2 = 2."""
    return 2.0 * half_squared_der2(a, y)


# --------------------------------------------------------------------------- absolute


@underflow_ok
def absolute(a: ArrayLike, y: ArrayLike) -> np.ndarray:
    """C = |a - y|."""
    a, y = _pair(a, y)
    return np.abs(a - y)


@underflow_ok
def absolute_der(a: ArrayLike, y: ArrayLike) -> np.ndarray:
    """dC/da = sign(a - y); at the kink a = y the value 0 (middle of the subdifferential)."""
    a, y = _pair(a, y)
    return np.sign(a - y)


@underflow_ok
def absolute_der2(a: ArrayLike, y: ArrayLike) -> np.ndarray:
    """d2C/da2 = 0 (the delta at a = y is dropped)."""
    a, y = _pair(a, y)
    return keep_nan(np.zeros_like(a - y), a - y)


# --------------------------------------------------------------------------- huber


@underflow_ok
def huber(a: ArrayLike, y: ArrayLike, delta: float = _DELTA) -> np.ndarray:
    """C = r^2/2 if |r| <= delta else delta (|r| - delta/2), r = a - y (delta: the registry's
    parameter, default 1).

    Quadratic near 0, linear in the tails, C and C' continuous at |r| = delta.
    """
    a, y = _pair(a, y)
    delta = float(delta)
    r = a - y
    linear = delta * (np.abs(r) - delta / 2)
    return like(np.where(np.abs(r) <= delta, 0.5 * r * r, linear), a.dtype)


@underflow_ok
def huber_der(a: ArrayLike, y: ArrayLike, delta: float = _DELTA) -> np.ndarray:
    """dC/da = clip(r, -delta, delta): r inside, delta sign(r) outside (continuous)."""
    a, y = _pair(a, y)
    delta = float(delta)
    return like(np.clip(a - y, -delta, delta), a.dtype)


@underflow_ok
def huber_der2(a: ArrayLike, y: ArrayLike, delta: float = _DELTA) -> np.ndarray:
    """d2C/da2 = 1 if |r| <= delta else 0; 1 at the kinks |r| = delta (closed quadratic piece)."""
    a, y = _pair(a, y)
    r = a - y
    return like(keep_nan(np.where(np.abs(r) <= float(delta), 1.0, 0.0), r), a.dtype)


# --------------------------------------------------------------------------- log_loss


@underflow_ok
def log_loss(a: ArrayLike, y: ArrayLike) -> np.ndarray:
    """Binary cross-entropy C = -(y log a + (1 - y) log(1 - a)), a in (0, 1), y in [0, 1].

    log1p(-a) is exact for small a where log(1 - a) rounds; xlogy/xlog1py give 0 log 0 = 0,
    so a hard target (y = 0 or 1) with a saturated prediction is 0, not NaN.  Near a = 1 the
    prediction itself has already lost the information: prefer :func:`log_loss_logits`.
    """
    a, y = _pair(a, y)
    return like(-(sc.xlogy(y, a) + sc.xlog1py(1.0 - y, -a)), a.dtype)


@underflow_ok
def log_loss_der(a: ArrayLike, y: ArrayLike) -> np.ndarray:
    """dC/da = -y/a + (1 - y)/(1 - a) = (a - y) / (a (1 - a)).

    The single fraction avoids cancelling the two large terms when a is near y; 1 - a is exact
    for a in [1/2, 1] (Sterbenz).
    """
    a, y = _pair(a, y)
    return (a - y) / (a * (1.0 - a))


@underflow_ok
def log_loss_der2(a: ArrayLike, y: ArrayLike) -> np.ndarray:
    """d2C/da2 = y / a^2 + (1 - y) / (1 - a)^2 (both terms >= 0: no cancellation).

    Divided twice instead of by the square so tiny a does not underflow a^2 to 0.
    """
    a, y = _pair(a, y)
    b = 1.0 - a
    return y / a / a + (1.0 - y) / b / b


# --------------------------------------------------------------------------- cross_entropy


@underflow_ok
def cross_entropy(a: ArrayLike, y: ArrayLike) -> np.ndarray:
    """Elementwise categorical term C = -y log a (sum over the class axis for the loss).

    xlogy gives 0 for y = 0 even when a = 0.  A probability of exactly 0 with y > 0 is +inf;
    prefer :func:`cross_entropy_logits`.
    """
    a, y = _pair(a, y)
    return like(-sc.xlogy(y, a), a.dtype)


@underflow_ok
def cross_entropy_der(a: ArrayLike, y: ArrayLike) -> np.ndarray:
    """dC/da = -y / a."""
    a, y = _pair(a, y)
    return -y / a


@underflow_ok
def cross_entropy_der2(a: ArrayLike, y: ArrayLike) -> np.ndarray:
    """d2C/da2 = y / a^2, divided twice so a^2 cannot underflow to 0."""
    a, y = _pair(a, y)
    return y / a / a


# --------------------------------------------------------------------------- hinge


@underflow_ok
def hinge(a: ArrayLike, y: ArrayLike) -> np.ndarray:
    """C = max(0, 1 - y a), labels y in {-1, +1} (any real y is allowed)."""
    a, y = _pair(a, y)
    return like(np.maximum(1.0 - y * a, 0.0), a.dtype)


@underflow_ok
def hinge_der(a: ArrayLike, y: ArrayLike) -> np.ndarray:
    """dC/da = -y if y a < 1 else 0; 0 on the margin y a = 1 (inside [-y, 0] or [0, -y])."""
    a, y = _pair(a, y)
    m = y * a
    return like(keep_nan(np.where(m < 1.0, -y, 0.0 * y), m), a.dtype)


@underflow_ok
def hinge_der2(a: ArrayLike, y: ArrayLike) -> np.ndarray:
    """d2C/da2 = 0 (the delta at the margin is dropped)."""
    a, y = _pair(a, y)
    m = y * a
    return keep_nan(np.zeros_like(m), m)


# --------------------------------------------------------------------------- squared_hinge


@underflow_ok
def squared_hinge(a: ArrayLike, y: ArrayLike) -> np.ndarray:
    """C = max(0, 1 - y a)^2."""
    a, y = _pair(a, y)
    h = np.maximum(1.0 - y * a, 0.0)
    return like(h * h, a.dtype)


@underflow_ok
def squared_hinge_der(a: ArrayLike, y: ArrayLike) -> np.ndarray:
    """dC/da = -2 y max(0, 1 - y a) (continuous at the margin)."""
    a, y = _pair(a, y)
    return like(-2.0 * y * np.maximum(1.0 - y * a, 0.0), a.dtype)


@underflow_ok
def squared_hinge_der2(a: ArrayLike, y: ArrayLike) -> np.ndarray:
    """d2C/da2 = 2 y^2 if y a < 1 else 0; 0 on the margin (the Piecewise's closed side)."""
    a, y = _pair(a, y)
    m = y * a
    return like(keep_nan(np.where(m < 1.0, 2.0 * y * y, 0.0 * y), m), a.dtype)


# --------------------------------------------------------------------------- kl_div


@underflow_ok
def kl_div(a: ArrayLike, y: ArrayLike) -> np.ndarray:
    """Elementwise KL term C = y log(y / a) on probabilities (0 log 0 = 0).

    xlogy(y, y / a) is 0 for y = 0; one division then one log keeps full relative accuracy
    (y log y - y log a would cancel when a is close to y).
    """
    a, y = _pair(a, y)
    return like(sc.xlogy(y, y / a), a.dtype)


@underflow_ok
def kl_div_der(a: ArrayLike, y: ArrayLike) -> np.ndarray:
    """dC/da = -y / a (the cross-entropy's: they differ by y log y, constant in a)."""
    return cross_entropy_der(a, y)


@underflow_ok
def kl_div_der2(a: ArrayLike, y: ArrayLike) -> np.ndarray:
    """d2C/da2 = y / a^2."""
    return cross_entropy_der2(a, y)


# --------------------------------------------------------------------------- poisson_nll


@underflow_ok
def poisson_nll(a: ArrayLike, y: ArrayLike) -> np.ndarray:
    """Poisson negative log-likelihood of the rate a > 0 for count y (log y! dropped):
    C = a - y log a; xlogy gives 0 for y = 0."""
    a, y = _pair(a, y)
    return like(a - sc.xlogy(y, a), a.dtype)


@underflow_ok
def poisson_nll_der(a: ArrayLike, y: ArrayLike) -> np.ndarray:
    """dC/da = 1 - y / a = (a - y) / a (the single fraction: no cancellation near a = y)."""
    a, y = _pair(a, y)
    return (a - y) / a


@underflow_ok
def poisson_nll_der2(a: ArrayLike, y: ArrayLike) -> np.ndarray:
    """d2C/da2 = y / a^2, divided twice so a^2 cannot underflow to 0."""
    a, y = _pair(a, y)
    return y / a / a


# --------------------------------------------------------------------------- poisson_nll_log


@underflow_ok
def poisson_nll_log(z: ArrayLike, y: ArrayLike) -> np.ndarray:
    """Poisson NLL on the log-rate z: C = exp(z) - y z (the rate exp(z) is never logged)."""
    z, y = _pair(z, y)
    return like(np.exp(z) - y * z, z.dtype)


@underflow_ok
def poisson_nll_log_der(z: ArrayLike, y: ArrayLike) -> np.ndarray:
    """dC/dz = exp(z) - y."""
    z, y = _pair(z, y)
    return like(np.exp(z) - y, z.dtype)


@underflow_ok
def poisson_nll_log_der2(z: ArrayLike, y: ArrayLike) -> np.ndarray:
    """d2C/dz2 = exp(z), independent of y."""
    z, y = _pair(z, y)
    return like(np.exp(z) + 0.0 * y, z.dtype)  # broadcast to (z, y), propagate NaN in y


# --------------------------------------------------------------------------- log_cosh


@underflow_ok
def log_cosh(a: ArrayLike, y: ArrayLike) -> np.ndarray:
    """C = log(cosh(r)), r = a - y, as |r| + log1p(exp(-2|r|)) - log 2.

    cosh overflows for |r| > 710, and that form cancels for small r (to r^2/2 out of terms
    of size log 2); for |r| < 1, log(cosh r) = log1p(2 sinh(r/2)^2) keeps every digit.
    """
    a, y = _pair(a, y)
    r = np.abs(a - y)
    big = r + np.log1p(np.exp(-2.0 * r)) - math.log(2.0)
    small = np.log1p(2.0 * np.sinh(np.minimum(r, 1.0) / 2.0) ** 2)
    return like(np.where(r < 1.0, small, big), a.dtype)


@underflow_ok
def log_cosh_der(a: ArrayLike, y: ArrayLike) -> np.ndarray:
    """dC/da = tanh(a - y)."""
    a, y = _pair(a, y)
    return np.tanh(a - y)


@underflow_ok
def log_cosh_der2(a: ArrayLike, y: ArrayLike) -> np.ndarray:
    """d2C/da2 = sech^2(a - y), in the tail-accurate form of tanh'."""
    a, y = _pair(a, y)
    return act.tanh_der(a - y)


# --------------------------------------------------------------------------- smooth_l1


@underflow_ok
def smooth_l1(a: ArrayLike, y: ArrayLike, beta: float = _BETA) -> np.ndarray:
    """C = r^2 / (2 beta) if |r| < beta else |r| - beta/2, r = a - y (PyTorch's
    smooth_l1_loss; beta: the registry's parameter, default 1)."""
    a, y = _pair(a, y)
    beta = float(beta)
    r = np.abs(a - y)
    return like(np.where(r < beta, 0.5 * r * r / beta, r - 0.5 * beta), a.dtype)


@underflow_ok
def smooth_l1_der(a: ArrayLike, y: ArrayLike, beta: float = _BETA) -> np.ndarray:
    """dC/da = clip(r / beta, -1, 1): r / beta inside, sign(r) outside (continuous)."""
    a, y = _pair(a, y)
    return like(np.clip((a - y) / float(beta), -1.0, 1.0), a.dtype)


@underflow_ok
def smooth_l1_der2(a: ArrayLike, y: ArrayLike, beta: float = _BETA) -> np.ndarray:
    """d2C/da2 = 1/beta if |r| < beta else 0 (0 at the kinks |r| = beta, as PyTorch)."""
    a, y = _pair(a, y)
    r = a - y
    beta = float(beta)
    return like(keep_nan(np.where(np.abs(r) < beta, 1.0 / beta, 0.0), r), a.dtype)


# --------------------------------------------------------------------------- focal


@underflow_ok
def focal(a: ArrayLike, y: ArrayLike, gamma: float = _GAMMA) -> np.ndarray:
    """Binary focal loss C = -y (1 - a)^gamma log a - (1 - y) a^gamma log(1 - a) (Lin et al.
    2017), a in (0, 1); log1p(-a) for log(1 - a), xlogy so a 0 weight gives 0."""
    a, y = _pair(a, y)
    g = float(gamma)
    u = 1.0 - a
    return like(-(sc.xlogy(y * u**g, a) + sc.xlog1py((1.0 - y) * a**g, -a)), a.dtype)


@underflow_ok
def focal_der(a: ArrayLike, y: ArrayLike, gamma: float = _GAMMA) -> np.ndarray:
    """dC/da = y (gamma (1-a)^(gamma-1) log a - (1-a)^gamma / a)
    + (1 - y) (a^gamma / (1 - a) - gamma a^(gamma-1) log(1 - a)).

    The gamma terms are the derivative of the modulating factor; (1-a)^(gamma-1) log a is
    written (1-a)^gamma (log a / (1 - a)) so gamma < 1 never forms an infinite power."""
    a, y = _pair(a, y)
    g = float(gamma)
    u = 1.0 - a
    la, lu = np.log(a), np.log1p(-a)
    pos = g * u**g * (la / u) - u**g / a
    neg = a**g / u - g * a**g * (lu / a)
    return like(y * pos + (1.0 - y) * neg, a.dtype)


@underflow_ok
def focal_der2(a: ArrayLike, y: ArrayLike, gamma: float = _GAMMA) -> np.ndarray:
    """d2C/da2 = y (-g(g-1) u^(g-2) log a + 2 g u^(g-1) / a + u^g / a^2)
    + (1 - y) (-g(g-1) a^(g-2) log u + 2 g a^(g-1) / u + a^g / u^2),  u = 1 - a, g = gamma."""
    a, y = _pair(a, y)
    g = float(gamma)
    u = 1.0 - a
    la, lu = np.log(a), np.log1p(-a)
    pos = -g * (g - 1.0) * u**g * la / (u * u) + 2.0 * g * u**g / (u * a) + u**g / (a * a)
    neg = -g * (g - 1.0) * a**g * lu / (a * a) + 2.0 * g * a**g / (a * u) + a**g / (u * u)
    return like(y * pos + (1.0 - y) * neg, a.dtype)


# --------------------------------------------------------------------------- log_loss_logits


@underflow_ok
def log_loss_logits(z: ArrayLike, y: ArrayLike) -> np.ndarray:
    """Log loss of sigmoid(z): C = log(1 + exp(z)) - y z = max(z, 0) - y z + log1p(exp(-|z|)).

    Never evaluates exp of a positive number, and never forms sigmoid(z) (which rounds to 1
    for z > 37 and would make log(1 - a) infinite).
    """
    z, y = _pair(z, y)
    return like(np.maximum(z, 0.0) - y * z + np.log1p(np.exp(-np.abs(z))), z.dtype)


@underflow_ok
def log_loss_logits_der(z: ArrayLike, y: ArrayLike) -> np.ndarray:
    """dC/dz = sigmoid(z) - y (stable sigmoid)."""
    z, y = _pair(z, y)
    return act.sigmoid(z) - y


@underflow_ok
def log_loss_logits_der2(z: ArrayLike, y: ArrayLike) -> np.ndarray:
    """d2C/dz2 = sigmoid'(z), independent of y."""
    z, y = _pair(z, y)
    return act.sigmoid_der(z) + 0.0 * y  # broadcast to the shape of (z, y), propagate NaN in y


# --------------------------------------------------------------------------- cross_entropy_logits


def _log_softmax(z: np.ndarray) -> np.ndarray:
    """log softmax(z) along the last axis = (z - m) - log1p(sum_{j != j*} exp(z_j - m)),
    m = z_{j*} the row max: the max's own term is exactly 1, and log1p keeps the digits of a
    small remainder (a confident row's loss of 1e-5 stays accurate to the last place)."""
    top = np.argmax(z, axis=-1)[..., None]
    shifted = z - np.take_along_axis(z, top, axis=-1)
    rest = np.exp(shifted)
    np.put_along_axis(rest, top, 0.0, axis=-1)
    return shifted - np.log1p(np.sum(rest, axis=-1, keepdims=True))


@underflow_ok
def cross_entropy_logits(z: ArrayLike, y: ArrayLike) -> np.ndarray:
    """Categorical cross-entropy on logits, per row: C = -sum_k y_k log softmax(z)_k.

    When the rows of y sum to 1 (the registry's ``target_simplex``) this is
    logsumexp(z) - sum_k y_k z_k.  It is evaluated through log softmax with the row max
    subtracted: logsumexp - y.z would cancel two large numbers when z is large.
    Shapes: z, y (..., K) -> (...,).
    """
    z, y = _pair(z, y)
    return like(-np.sum(y * _log_softmax(z), axis=-1), z.dtype)


@underflow_ok
def cross_entropy_logits_der(z: ArrayLike, y: ArrayLike) -> np.ndarray:
    """dC/dz = softmax(z) - y for rows of y summing to 1; shape (..., K).

    Written as softmax(z) sum_k y_k - y, the exact gradient of :func:`cross_entropy_logits`
    for any y, so value and gradient stay consistent even off the simplex.
    """
    z, y = _pair(z, y)
    return act.softmax(z) * np.sum(y, axis=-1, keepdims=True) - y


@underflow_ok
def cross_entropy_logits_der2(z: ArrayLike, y: ArrayLike) -> np.ndarray:
    """The Hessian d2C/dz2 = (sum_k y_k) (diag(a) - a a^T), a = softmax(z); shape (..., K, K).

    For rows of y summing to 1 it is the softmax Jacobian, independent of y.
    """
    z, y = _pair(z, y)
    return act.softmax_der(z) * np.sum(y, axis=-1)[..., None, None]


# --------------------------------------------------------------------------- aliases

# float16/bfloat16 computed in float32 and rounded once (every cost function exists by now)
globals().update(in_float32(globals(), spec.COSTS))
# bce = log_loss etc., from the registry's aliases
globals().update(registry_aliases(globals(), spec.COSTS))


# --------------------------------------------------------------------------- reductions


@via_float32
@underflow_ok
def reduce(values: ArrayLike, reduction: str) -> np.ndarray:
    """Reduce cost values: ``none`` (unchanged), ``sum``, or ``mean`` (sum / values.size).

    Unknown names raise :class:`gradspec.spec.UnknownName`.
    """
    name = spec.reduction(reduction).name
    values = as_float(values)
    if name == "none":
        return values.copy()
    if name == "sum":
        return np.sum(values)
    return np.sum(values) / values.size


@via_float32
@underflow_ok
def reduce_der(elementwise_grad: ArrayLike, reduction: str, n: int | None = None) -> np.ndarray:
    """The gradient of the reduced cost from the per-value gradient: ``mean`` carries 1/n.

    ``n`` is the number of cost values averaged, by default ``elementwise_grad.size``; pass it
    for per-row costs (``cross_entropy_logits``), whose gradient has K entries per value.
    """
    name = spec.reduction(reduction).name
    g = as_float(elementwise_grad)
    if name == "mean":
        return like(g / (g.size if n is None else n), g.dtype)
    return g.copy()


def _functions(name: str) -> tuple[spec.Cost, object, object]:
    entry = spec.cost(name)  # raises UnknownName with the list of valid names
    return entry, globals()[entry.name], globals()[f"{entry.name}_der"]


def cost_value(name: str, a: ArrayLike, y: ArrayLike, reduction: str = "none") -> np.ndarray:
    """The cost ``name`` (registry name or alias) of (a, y), reduced."""
    _, fn, _ = _functions(name)
    return reduce(fn(a, y), reduction)


def cost_grad(name: str, a: ArrayLike, y: ArrayLike, reduction: str = "none") -> np.ndarray:
    """d(reduced cost)/da, same shape as ``a``; ``mean`` divides by the number of values."""
    entry, _, der = _functions(name)
    a = as_float(a)
    n = int(np.prod(a.shape[:-1])) if entry.vector else None
    return reduce_der(der(a, y), reduction, n=n)
