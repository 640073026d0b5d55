"""The chain-rule factors of one dense layer, z = a_prev @ W + b, a = f(z), cost C(a, y).

    dC/dW = a_prev^T (dC/da * da/dz)      dC/db = sum over examples of dC/dz
    dC/da_prev = (dC/dz) @ W^T             (a neuron feeds every neuron of the next layer,
                                            so its gradient sums over all those paths)

Names follow the factors: :func:`dC_da`, :func:`da_dz`, :func:`dz_dw`, :func:`dz_db`,
:func:`dz_da_prev`; :func:`delta` is dC/dz for an output layer (with the registry's closed forms),
:func:`dC_dz` carries an upstream gradient through an activation (hidden layers), and
:func:`dC_da_prev` passes it back through W.  Shapes are per batch: rows are examples.
Activations and costs are named by registry ids: a plain name is the entry at its defaults,
a bound id (``softplus[beta=2]``, ``huber[delta=0.5]``) the entry at those values.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy as sp
from numpy.typing import ArrayLike

from gradspec import spec

from . import activations as acts
from . import costs
from ._util import as_float, underflow_ok, via_float32


@functools.cache
def _closed_form(activation: str, cost: str) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """The registry's closed form of dC/dz for the pair (ids) as a NumPy function of (a, y),
    evaluated in the order the registry writes it (``2*(a - y)``, not ``2*a - 2*y``); a
    parameter in it takes the bound value."""
    p = spec.pair(activation, cost)
    expr = spec.closed_form_expr(p, evaluate=False)
    subs = {**p.activation.substitutions(), **p.cost.substitutions()}
    if subs:
        expr = expr.subs(subs)
    return sp.lambdify((spec.A, spec.Y), expr, modules="numpy")


def _sigmoid_focal_delta(
    z: np.ndarray, y: np.ndarray, act: spec.Activation, cost: spec.Cost
) -> np.ndarray:
    """dC/dz of sigmoid + focal with a (1 - a) multiplied in by hand, from log a and
    log(1 - a) (-softplus(-z), -softplus(z)): C'(a) divides by 1 - a, which rounds to 0 for
    large z (float32: z > 17) while the product stays finite."""
    g = cost.values["gamma"]
    la, lu = -acts.softplus(-z), -acts.softplus(z)
    a, u = np.exp(la), np.exp(lu)
    pos = g * u**g * a * la - u ** (g + 1.0)
    neg = a ** (g + 1.0) - g * a**g * u * lu
    return (y * pos + (1.0 - y) * neg).astype(z.dtype)


#: Pairs whose chain-rule product 0 * inf at saturation is written out by hand (no closed
#: form: the registry claims none for them); called with (z, y) and the bound entries.
_STABLE_DELTA = {"sigmoid+focal": _sigmoid_focal_delta}


def _activation(name: str) -> spec.Activation:
    return spec.activation(name)  # raises UnknownName listing the valid names


def _call(entry: spec.Activation | spec.Cost, suffix: str, *args: ArrayLike) -> np.ndarray:
    """The reference function ``<entry><suffix>`` at the entry's bound values (keywords)."""
    return getattr(acts if entry.kind == "activation" else costs, entry.name + suffix)(
        *args, **entry.values
    )


def dC_da(cost: str, a: ArrayLike, y: ArrayLike) -> np.ndarray:
    """dC/da of cost ``cost`` (registry name, alias or bound id) elementwise; for a cost on
    logits, dC/dz."""
    return _call(spec.cost(cost), "_der", a, y)


def da_dz(activation: str, z: ArrayLike) -> np.ndarray:
    """da/dz: f'(z) elementwise, same shape as z; for softmax the Jacobian (..., K, K)."""
    return _call(_activation(activation), "_der", z)


def dz_dw(a_prev: ArrayLike) -> np.ndarray:
    """dz_j/dW_ij = a_prev_i: the weight's gradient is the input it multiplies."""
    return as_float(a_prev)


def dz_db(z: ArrayLike) -> np.ndarray:
    """dz/db = 1 for every unit."""
    return np.ones_like(as_float(z))


def dz_da_prev(W: ArrayLike) -> np.ndarray:
    """dz_j/da_prev_i = W_ij: the Jacobian of a dense layer in its input is W itself."""
    return as_float(W)


@underflow_ok
def dC_dz(activation: str, z: ArrayLike, upstream: ArrayLike) -> np.ndarray:
    """dC/dz given dC/da (``upstream``): upstream * f'(z); softmax via its vector-Jacobian product.

    Softmax couples the units of a row, so the product with the Jacobian is needed;
    :func:`gradspec.reference.activations.softmax_vjp` does it in O(K) without forming J.
    """
    entry = _activation(activation)
    z = as_float(z)
    g = np.asarray(upstream, dtype=z.dtype)
    if entry.vector:
        return _call(entry, "_vjp", z, g)
    return g * _call(entry, "_der", z)


@via_float32
@underflow_ok
def delta(activation: str, cost: str, z: ArrayLike, y: ArrayLike) -> np.ndarray:
    """dC/dz of an output layer: the error signal backprop starts from, shape of ``z``.

    Where the registry claims a closed form for the pair (``spec.Pair.closed_form``: a - y for
    sigmoid+log_loss, softmax+cross_entropy and identity+half_squared; 2(a - y) for
    identity+squared) it is evaluated at a = f(z): it skips the 1/(a(1-a)) and -y/a divisions,
    which blow up as a saturates.  Other pairs go through dC/da * f'(z) (softmax: per row
    through the Jacobian).  A cost on logits takes z directly and needs
    ``activation == "identity"``; unusable output layers raise ValueError
    (:func:`gradspec.spec.validate_output_layer`).

    ``activation`` and ``cost`` are registry ids: ``delta("softplus[beta=2]",
    "huber[delta=0.5]", z, y)`` is dC/dz at those values (a plain name: the defaults).
    """
    act_entry, cost_entry = spec.validate_output_layer(activation, cost)
    z = as_float(z)
    y = np.asarray(y, dtype=z.dtype)
    if cost_entry.inputs == "logits":
        return _call(cost_entry, "_der", z, y)
    p = spec.pair(act_entry.id, cost_entry.id)
    a = _call(act_entry, "", z)
    if p.closed_form is not None:
        return _closed_form(act_entry.id, cost_entry.id)(a, y)
    if p.name in _STABLE_DELTA:
        return _STABLE_DELTA[p.name](z, y, act_entry, cost_entry)
    return dC_dz(act_entry.id, z, _call(cost_entry, "_der", a, y))


def dC_da_prev(delta: ArrayLike, W: ArrayLike) -> np.ndarray:
    """dC/da_prev = delta @ W^T: each input unit sums the gradient over every path out of it."""
    d = as_float(delta)
    return d @ np.asarray(W, dtype=d.dtype).T


@dataclass(frozen=True)
class LayerFactors:
    """Every chain-rule factor of one dense layer for one example (1-D arrays, W 2-D)."""

    a_prev: np.ndarray  # input to the layer  (fan_in,)
    W: np.ndarray  # weights              (fan_in, fan_out)
    b: np.ndarray  # biases               (fan_out,)
    z: np.ndarray  # pre-activation       (fan_out,)
    a: np.ndarray  # activation output    (fan_out,)
    dC_da: np.ndarray  # upstream gradient (fan_out,)
    da_dz: np.ndarray  # f'(z) (fan_out,), softmax: Jacobian (fan_out, fan_out)
    dC_dz: np.ndarray  # delta             (fan_out,)
    dC_dW: np.ndarray  # outer(a_prev, delta)  (fan_in, fan_out)
    dC_db: np.ndarray  # delta             (fan_out,)
    dC_da_prev: np.ndarray  # W @ delta    (fan_in,)


def layer_factors(
    activation: str,
    a_prev: ArrayLike,
    W: ArrayLike,
    b: ArrayLike | None = None,
    *,
    cost: str | None = None,
    y: ArrayLike | None = None,
    upstream: ArrayLike | None = None,
) -> LayerFactors:
    """All factors of one layer for one example, for printing in a demo.

    Output layer: pass ``cost`` and ``y``.  Hidden layer: pass ``upstream`` = dC/da (the next
    layer's ``dC_da_prev``).  ``b`` defaults to zeros (a layer without bias).
    """
    a_prev = as_float(a_prev)
    W = np.asarray(W, dtype=a_prev.dtype)
    b = np.zeros(W.shape[1], dtype=a_prev.dtype) if b is None else np.asarray(b, a_prev.dtype)
    z = a_prev @ W + b
    a = _call(_activation(activation), "", z)
    if cost is not None:
        if y is None:
            raise ValueError("an output layer needs the target y")
        upstream_ = dC_da(cost, z if spec.cost(cost).inputs == "logits" else a, y)
        d = delta(activation, cost, z, y)
    elif upstream is not None:
        upstream_ = np.asarray(upstream, dtype=a_prev.dtype)
        d = dC_dz(activation, z, upstream_)
    else:
        raise ValueError("pass cost and y (output layer) or upstream (hidden layer)")
    return LayerFactors(
        a_prev=a_prev,
        W=W,
        b=b,
        z=z,
        a=a,
        dC_da=upstream_,
        da_dz=da_dz(activation, z),
        dC_dz=d,
        dC_dW=np.outer(dz_dw(a_prev), d),
        dC_db=d * dz_db(z),
        dC_da_prev=dC_da_prev(d, W),
    )
