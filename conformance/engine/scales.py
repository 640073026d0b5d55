"""Rounding scales S of every registry function the checks compare: activations and their
derivatives, costs (elementwise, per row, reduced), composed pairs.

Each scale is the first-order effect of rounding the function's inputs and its output by one
eps (docs/tolerances.md): ``S = |f| + |x f'|`` for one input, ``|C| + |a dC/da| + |y dC/dy|``
for a prediction and a target, the exact condition of softmax for vector rows.  Every truth
and derivative entering S comes from the mpmath evaluation of the derivation
(:mod:`gradspec.derivations.truth`), so S is exact, not estimated.  The comparison itself
(units, thresholds) is :mod:`.errormodel`'s.
"""

from __future__ import annotations

import numpy as np

from gradspec import spec
from gradspec.conformance.engine.errormodel import scale_one, scale_two
from gradspec.derivations import truth as T


def fused_activation(c: spec.Cost) -> spec.Activation | None:
    """The activation a cost on logits applies to its input before the cost proper
    (``cross_entropy_logits``: softmax), or None for a cost on predictions."""
    return None if c.fuses is None else spec.activation(c.fuses)


def reduce(values: np.ndarray, reduction: str) -> np.ndarray:
    """``none``: the values; ``sum``: their sum; ``mean``: the sum over ``values.size``."""
    if reduction == "none":
        return values
    total = np.sum(values)
    return np.asarray(total / values.size if reduction == "mean" else total)


# --- vector activations (softmax rows) --------------------------------------------------------


def vector_rows(act: spec.Activation, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows a = f(z) of a vector activation (truth) and their rounding scale s, per element.

    a_i = exp(z_i - m) / sum_j exp(z_j - m): rounding z_j by eps moves a_i by a_i a_j |z_j|
    and a_i itself by a_i |z_i|, so s_i = a_i (1 + |z_i| + sum_j a_j |z_j|).
    log_softmax, a_i = z_i - logsumexp(z): rounding z_j moves a_i by (delta_ij - p_j) |z_j|
    (p = softmax(z)), and a_i itself rounds, so s_i = |a_i| + |z_i| + sum_j p_j |z_j|.
    """
    z = np.asarray(z, dtype=np.float64)
    a = T.activation_value(act.id, z, 0)
    if act.name == "log_softmax":
        p = np.exp(a)
        return a, np.abs(a) + np.abs(z) + np.sum(p * np.abs(z), axis=-1, keepdims=True)
    return a, a * (1 + np.abs(z) + np.sum(a * np.abs(z), axis=-1, keepdims=True))


def vector_scale(act: spec.Activation, z: np.ndarray, order: int) -> np.ndarray:
    """Rounding scale of a vector activation's rows (order 0) or its Jacobian (order 1).

    The Jacobian J_ij = a_i (delta_ij - a_j) is formed from the rounded a's:
    S_ij = |J_ij| + s_i (delta_ij + a_j) + a_i s_j (the terms' own magnitudes carry the
    error, not their difference), with s the rows' scale of :func:`vector_rows`.
    """
    a, s = vector_rows(act, z)
    if order == 0:
        return s
    eye = np.eye(np.shape(z)[-1])
    if act.name == "log_softmax":
        # J_ij = delta_ij - p_j, p = softmax(z) formed with its own rounding scale
        p, sp_ = vector_rows(spec.activation("softmax"), z)
        return np.abs(eye - p[..., None, :]) + sp_[..., None, :]
    jac = a[..., :, None] * (eye - a[..., None, :])
    return (
        np.abs(jac) + s[..., :, None] * (eye + a[..., None, :]) + a[..., :, None] * s[..., None, :]
    )


# --- elementwise activations ------------------------------------------------------------------


def output_form_allowance(name: str, z: np.ndarray, order: int) -> np.ndarray:
    """|a d f^(order)/da|: the rounding of a = f(z) carried into f^(order) evaluated through
    the output (autodiff of a(1 - a) gives f'' = a(1 - a)(1 - 2a)); zero without an output
    form.  d f^(n)/da = f^(n+1)(z) / f'(z)."""
    if spec.activation(name).output_derivative is None:
        return np.zeros(np.shape(z))
    a = T.activation_value(name, z, 0)
    d1 = T.activation_value(name, z, 1)
    nxt = T.activation_value(name, z, order + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.abs(a * np.where(d1 != 0, nxt / d1, 0.0))


def derivative_scale(
    name: str, z: np.ndarray, d1: np.ndarray, wrt: str, a: np.ndarray
) -> np.ndarray:
    """Rounding scale of f' at z, the derivative taking ``wrt`` = "input" (z) or "output" (a).

    The classic evaluation of f' through the output, g(a) with a = f(z) rounded (sigmoid:
    a (1 - a)), is accepted whichever argument the function takes: its error is that of
    rounding a, |a g'(a)| eps with g'(a) = f''(z) / f'(z).  So activations with an output
    form get that term added to the input form's |f'| + |z f''|.
    """
    d2 = T.activation_value(name, z, 2)
    out = scale_one(d1, z, d2) if wrt == "input" else np.abs(d1)
    if wrt == "output" or spec.activation(name).output_derivative is not None:
        if wrt == "input":
            a = T.activation_value(name, z, 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            g_prime = np.where(d1 != 0, d2 / d1, 0.0)
        out = out + np.abs(np.asarray(a, np.float64) * g_prime)
    return out


def activation_scale(
    act: spec.Activation,
    z: np.ndarray,
    order: int,
    truth: np.ndarray,
    *,
    wrt: str = "input",
    arg: np.ndarray | None = None,
) -> np.ndarray:
    """Rounding scale of f^(order) (0, 1 or 2) of ``act`` at z, ``truth`` being f^(order)(z).

    Vector rows: :func:`vector_scale`.  f: |f| + |z f'|.  f': :func:`derivative_scale` (``arg``
    is what the derivative was called with, z or the rounded output a).  f'': |f''| + |z f'''|
    plus the output form's allowance (f'' by autodiff of a(1 - a)).
    """
    if act.vector:
        return vector_scale(act, z, 0 if np.ndim(truth) == np.ndim(z) else 1)
    if order == 0:
        return scale_one(truth, z, T.activation_value(act.id, z, 1))
    if order == 1:
        return derivative_scale(act.id, z, truth, wrt, arg)
    scale = scale_one(truth, z, T.activation_value(act.id, z, 3))
    return scale + output_form_allowance(act.id, z, 2)


# --- costs ------------------------------------------------------------------------------------


def binary_target(c: spec.Cost) -> bool:
    """Elementwise costs on a target in [0, 1] (log_loss, log_loss_logits)."""
    return not c.vector and c.target_domain.lo == 0.0 and c.target_domain.hi == 1.0


def cost_truth_and_scale(
    c: spec.Cost, a: np.ndarray, y: np.ndarray, order: int, reduction: str
) -> tuple[np.ndarray, np.ndarray]:
    """Truth of C (order 0) or dC/da (order 1) under ``reduction``, with its rounding scale.

    Elementwise: S = |C| + |a dC/da| + |y dC/dy| (order 1: of dC/da), plus |(1 - y) dC/dy|
    for a binary target.  Per row on logits (a = z, fused activation p = f(z)):
    S(C) = |C| + sum_k |z_k| (p_k + |y_k|), S(dC/dz) = |g| + |y| + s (s: p's rounding scale).
    A sum of n terms adds (n - 1) eps sum|C_i| of its own rounding: S = sum S_i + (n - 1)
    sum |C_i|; a mean divides truth and scale by n (the number of values: elements, or rows).
    """
    t = T.cost_value(c.id, a, y, order)
    if c.vector:  # a per-row cost on logits: through its fused (vector) activation
        p, s = vector_rows(fused_activation(c), a)
        if order == 0:
            scale = np.abs(t) + np.sum(np.abs(a) * (p + np.abs(y)), axis=-1)
        else:
            scale = np.abs(t) + np.abs(y) + s
    else:
        slope = T.cost_value(c.id, a, y, order + 1)
        slope_y = T.cost_value(c.id, a, y, "y" if order == 0 else "1y")
        scale = scale_two(t, a, slope, y, slope_y)
        if binary_target(c):
            # A probability target enters through its complement 1 - y as well (torch's
            # (1 - y) z + max(-z, 0) + ...): rounding 1 - y moves C by |(1 - y) dC/dy| eps.
            with np.errstate(invalid="ignore"):
                scale = scale + np.abs((1 - np.asarray(y, np.float64)) * slope_y)
    if reduction == "none" or order == 1:
        # A mean is over the cost's values: elements, or rows for a per-row cost.
        n_values = max(int(np.prod(np.shape(a)[:-1])), 1) if c.vector else t.size
        factor = 1.0 / n_values if reduction == "mean" else 1.0
        return t * factor, scale * factor
    n = t.size
    factor = 1.0 / n if reduction == "mean" else 1.0
    return reduce(t, reduction), np.asarray((np.sum(scale) + (n - 1) * np.sum(np.abs(t))) * factor)


def cost_second_scale(c: spec.Cost, a: np.ndarray, y: np.ndarray, d2: np.ndarray) -> np.ndarray:
    """Rounding scale of d2C/da2 (elementwise costs): |C''| + |a C'''| + |y dC''/dy|."""
    return scale_two(d2, a, T.cost_value(c.id, a, y, 3), y, T.cost_value(c.id, a, y, "2y"))


# --- composed pairs ---------------------------------------------------------------------------


def pair_scale(p: spec.Pair, z: np.ndarray, y: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Rounding scale of dC/dz = g of an output activation + cost pair.

    Closed form a - y with a from a vector activation: |g| + |y| + s (the rows' scale).
    Elementwise: |g| + |z dg/dz| + |y dg/dy|, plus |dC/da| times the output form's allowance
    (f' taken through the rounded output, 1 - a^2 for tanh, is accepted as for the
    activation's own derivative).  Vector, general: g_j = sum_i C'(a_i, y_i) J_ij, each term
    carrying the rounding of J_ij times w_i = |C'| + |a C''| + |y dC'/dy|:
    |g| + |y| + (s + a) sum_i w_i + s w.
    """
    act = p.activation
    if act.vector and p.closed_form:
        return np.abs(g) + np.abs(y) + vector_rows(act, z)[1]
    if not act.vector:
        base = scale_two(
            g,
            z,
            T.pair_value(act.id, p.cost.id, z, y, 2),
            y,
            T.pair_value(act.id, p.cost.id, z, y, "1y"),
        )
        a = T.activation_value(act.id, z, 0)
        c1 = np.abs(T.cost_value(p.cost.id, a, y, 1))
        with np.errstate(invalid="ignore"):
            return base + np.nan_to_num(c1 * output_form_allowance(act.id, z, 1))
    a, s = vector_rows(act, z)
    if act.name == "log_softmax":
        # g_j = C'_j - q_j sum_i C'_i (q = softmax(z)); each C'_i carries the rounding of its
        # argument a_i (s_i |C''_i|) and its own, the product that of q.
        q, sq = vector_rows(spec.activation("softmax"), z)
        c1 = T.cost_value(p.cost.id, a, y, 1)
        w = (
            np.abs(c1)
            + (s + np.abs(a)) * np.abs(T.cost_value(p.cost.id, a, y, 2))
            + np.abs(T.cost_value(p.cost.id, a, y, "1y") * y)
        )
        total = np.sum(c1, axis=-1, keepdims=True)
        return np.abs(g) + w + sq * np.abs(total) + q * np.sum(w, axis=-1, keepdims=True)
    c1 = np.abs(T.cost_value(p.cost.id, a, y, 1))
    c2 = np.abs(T.cost_value(p.cost.id, a, y, 2)) * a
    c3 = np.abs(T.cost_value(p.cost.id, a, y, "1y") * y)
    weight = c1 + c2 + c3
    return np.abs(g) + np.abs(y) + (s + a) * np.sum(weight, axis=-1, keepdims=True) + s * weight
