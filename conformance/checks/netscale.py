"""The rounding scale of a dense network's gradient: how far a correct backward pass in a
lower precision may land from the exact gradient, entry by entry.

The ``reference`` check compares a candidate's gradient with the reference network's in
units of eps(dtype) * S, S from :func:`gradient_scale`.  S is the first-order effect of
rounding every operation of the forward and backward pass by one eps, carried through the
network as magnitudes (docs/tolerances.md, "Network gradients against the reference"):

* a sum (a matrix product's inner sum, the batch sum of a weight's or a bias's gradient)
  rounds by eps times the sum of its terms' magnitudes, not of its value: a bias gradient
  sum_n (a_n - y_n) of rows that nearly cancel carries the rounding of every row;
* the output's error signal a - y rounds by eps (|a| + |y|), not eps |a - y|: a well-fitted
  output cancels;
* every factor carries its own scale into a product: S(x y) = S(x) |y| + |x| S(y) + |x y|.

Forward, with S(X) = 0:  S(z) = (|a_prev| + S(a_prev)) |W| + |b|,  S(a) = |a| + |f'(z)| S(z).
Backward, from the output's error signal d with scale D:
S(dW) = |a_prev|^T (D + |d|) + S(a_prev)^T |d|,  S(db) = sum_n (D + |d|),
upstream u = d W^T: S(u) = (D + |d|) |W|^T, and the layer below's D = S(u) |f'| + |u| S(f')
+ |d_prev| with S(f') = |f'| + |f''| S(z) + |a f''/f'| (f' taken through the rounded output,
a (1 - a) for sigmoid, is as right as through z).  Constants (log n of a pairwise sum, the
factor 2 of 2 (a - y)) are the budget's business, not the scale's.

Everything is evaluated in float64 with the reference functions: a scale needs one digit.
"""

from __future__ import annotations

import numpy as np

from gradspec import spec
from gradspec.reference import activations as acts
from gradspec.reference import chain, mlp
from gradspec.reference import costs as cost_fns
from gradspec.reference.mlp import Arch

Params = dict[str, np.ndarray]


def _call(entry: spec.Activation | spec.Cost, suffix: str, *args: np.ndarray) -> np.ndarray:
    module = acts if entry.kind == "activation" else cost_fns
    return np.asarray(getattr(module, entry.name + suffix)(*args, **entry.values), np.float64)


def _vector_rows(a: np.ndarray, s_z: np.ndarray) -> np.ndarray:
    """Scale of softmax rows a from inputs of scale s_z: a_i (1 + s_i + sum_j a_j s_j)."""
    return a * (1 + s_z + np.sum(a * s_z, axis=-1, keepdims=True))


def _activation_scale(act: spec.Activation, z, a, s_z) -> np.ndarray:
    """S(a) for a = f(z), z of scale s_z."""
    if act.vector:
        return _vector_rows(np.abs(a), s_z)
    return np.abs(a) + np.abs(_call(act, "_der", z)) * s_z


def _derivative_scale(act: spec.Activation, z, a, s_z) -> tuple[np.ndarray, np.ndarray]:
    """(|f'(z)|, S(f'(z))) of an elementwise activation."""
    d1 = _call(act, "_der", z)
    d2 = np.abs(_call(act, "_der2", z))
    with np.errstate(divide="ignore", invalid="ignore"):
        through_output = np.where(d1 != 0, np.abs(a) * d2 / np.abs(d1), 0.0)
    return np.abs(d1), np.abs(d1) + d2 * s_z + np.nan_to_num(through_output)


def _output_scale(arch: Arch, z, a, s_z, s_a, y, d) -> np.ndarray:
    """D, the scale of the output's error signal d = dC/dz (before the reduction's 1/N)."""
    act, cost = spec.validate_output_layer(arch.out_activation, arch.cost)
    y = np.abs(y)
    if cost.inputs == "logits":  # f(z) - y through the cost's own activation
        fused = spec.activation(cost.fuses) if cost.fuses else None
        if fused is not None and fused.vector:
            p = _call(fused, "", z)
            return _vector_rows(np.abs(p), s_z) + y + np.abs(d)
        p = _call(fused, "", z) if fused is not None else z
        slope = _call(fused, "_der", z) if fused is not None else np.ones_like(z)
        return np.abs(p) + np.abs(slope) * s_z + y + np.abs(d)
    if spec.pair(act.id, cost.id).closed_form is not None:  # a - y (or 2 (a - y))
        return s_a + y + np.abs(d)
    c1 = np.abs(_call(cost, "_der", a, y))
    c2 = np.abs(_call(cost, "_der2", a, y))
    # dC/da rounds with a (and cancels against y): S(C') = |C'| + |C''| (S(a) + |y|)
    s_c1 = c1 + c2 * (s_a + y)
    if act.vector:  # d = a (C' - sum a C'): every term's magnitude
        row = np.sum(np.abs(a) * c1, axis=-1, keepdims=True)
        rows_s = np.sum(np.abs(a) * s_c1 + s_a * c1, axis=-1, keepdims=True)
        return s_a * (c1 + row) + np.abs(a) * (s_c1 + rows_s) + np.abs(d)
    f1, s_f1 = _derivative_scale(act, z, a, s_z)
    return s_c1 * f1 + c1 * s_f1 + np.abs(d)


def gradient_scale(arch: Arch, params: Params, X: np.ndarray, Y: np.ndarray) -> Params:
    """S per parameter (reference keys and shapes): the gradient's rounding scale at
    ``params`` and the batch (X, Y), evaluated in float64 (see the module docstring)."""
    p = {k: np.asarray(v, np.float64) for k, v in params.items()}
    X = np.asarray(X, np.float64)
    Y = np.asarray(Y, np.float64)
    with np.errstate(all="ignore"):
        layers = mlp.forward(arch, p, X)
        _, deltas = mlp.backprop(arch, p, X, Y)
        # forward: inputs (a_prev, S(a_prev)) of every layer and S(z), S(a) of its output
        ins, s_zs, s_as = [], [], []
        a_prev, s_prev = X, np.zeros_like(X)
        for layer, (z, a) in enumerate(layers):
            W = np.abs(p[f"W{layer}"])
            s_z = (np.abs(a_prev) + s_prev) @ W
            if arch.bias:
                s_z = s_z + np.abs(p[f"b{layer}"])
            act = spec.activation(arch.layer_activation(layer))
            ins.append((a_prev, s_prev))
            s_zs.append(s_z)
            s_as.append(_activation_scale(act, z, a, s_z))
            a_prev, s_prev = a, s_as[-1]
        last = arch.n_layers - 1
        z, a = layers[last]
        n = X.shape[0] if arch.reduction == "mean" else 1
        D = _output_scale(arch, z, a, s_zs[last], s_as[last], Y, deltas[last] * n) / n
        out: Params = {}
        for layer in reversed(range(arch.n_layers)):
            d = np.abs(deltas[layer])
            a_in, s_in = ins[layer]
            out[f"W{layer}"] = np.abs(a_in).T @ (D + d) + s_in.T @ d
            if arch.bias:
                out[f"b{layer}"] = np.sum(D + d, axis=0)
            if layer == 0:
                break
            W = np.abs(p[f"W{layer}"])
            u = np.abs(chain.dC_da_prev(deltas[layer], p[f"W{layer}"]))
            s_u = (D + d) @ W.T
            z_b, a_b = layers[layer - 1]
            act = spec.activation(arch.layer_activation(layer - 1))
            d_below = np.abs(deltas[layer - 1])
            if act.vector:
                a_b = np.abs(a_b)
                row = np.sum(a_b * u, axis=-1, keepdims=True)
                s_a_b = s_as[layer - 1]
                D = a_b * (s_u + np.sum(a_b * s_u, axis=-1, keepdims=True))
                D = D + s_a_b * (u + row) + d_below
            else:
                f1, s_f1 = _derivative_scale(act, z_b, a_b, s_zs[layer - 1])
                D = s_u * f1 + u * s_f1 + d_below
    return {k: np.nan_to_num(out[k], nan=np.inf) for k in p}
