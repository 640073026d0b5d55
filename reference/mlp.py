"""A dense multi-layer perceptron with hand-written backpropagation.

Parameters ``{"W0": (fan_in, fan_out), "b0": (fan_out,), "W1": ...}`` (no ``b`` keys without
bias); layer l computes ``z = a_prev @ Wl + bl`` and ``a = f(z)``.  ``X`` is ``(N, inputs)``,
``Y`` is ``(N, outputs)``.  The loss is the reduction over examples (``sum``, or ``mean`` =
sum / N) of the per-example sum over outputs of the cost (``cross_entropy_logits``: one value
per row).  The dtype of the parameters is kept throughout: X and Y are cast to it, so float32
parameters give float32 activations and gradients.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from gradspec import spec

from . import activations as acts
from . import chain, costs
from ._util import underflow_ok

Params = dict[str, np.ndarray]


@dataclass(frozen=True)
class Arch:
    """The architecture of a dense MLP, validated against the registry on construction.

    ``sizes`` = (inputs, hidden..., outputs); ``output_activation`` None means the hidden
    ``activation``.  A cost on logits (``log_loss_logits``, ``cross_entropy_logits``) needs
    ``output_activation="identity"``; other costs must form a valid registry pair with the
    output activation.  Unknown names raise :class:`gradspec.spec.UnknownName`; invalid
    combinations raise ValueError.
    """

    sizes: tuple[int, ...]
    activation: str
    output_activation: str | None = None
    cost: str = "half_squared"
    reduction: str = "mean"
    bias: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "sizes", tuple(int(s) for s in self.sizes))
        if len(self.sizes) < 2 or min(self.sizes) < 1:
            raise ValueError(f"sizes must be >= 2 positive layer widths, got {self.sizes}")
        spec.activation(self.activation)
        if spec.reduction(self.reduction).name == "none":
            raise ValueError("an MLP loss is a scalar: reduction must be 'sum' or 'mean'")
        spec.validate_output_layer(self.out_activation, self.cost)

    @property
    def out_activation(self) -> str:
        """The output layer's activation (``activation`` when not given)."""
        return self.activation if self.output_activation is None else self.output_activation

    @property
    def n_layers(self) -> int:
        return len(self.sizes) - 1

    def layer_activation(self, layer: int) -> str:
        return self.out_activation if layer == self.n_layers - 1 else self.activation

    @property
    def layer_activations(self) -> tuple[str, ...]:
        """The activation of every layer, first to last."""
        return tuple(self.layer_activation(i) for i in range(self.n_layers))

    @property
    def label(self) -> str:
        """``mlp[3-4-1 sigmoid/sigmoid log_loss sum]``: how reports and check ids name it."""
        sizes = "-".join(str(s) for s in self.sizes)
        return f"mlp[{sizes} {self.activation}/{self.out_activation} {self.cost} {self.reduction}]"

    @classmethod
    def from_mapping(cls, arch: Mapping[str, Any]) -> Arch:
        """An Arch from a candidate's ``ARCH`` dict (keys sizes, activation, cost; optional
        output_activation, reduction = "mean", bias = True).  Raises TypeError, KeyError,
        ValueError or :class:`gradspec.spec.UnknownName` for an unusable one."""
        if not isinstance(arch, Mapping):
            raise TypeError(f"must be a dict, not {type(arch).__name__}")
        sizes = arch["sizes"]
        if not isinstance(sizes, list | tuple):
            raise TypeError("sizes must be a list of layer widths")
        return cls(
            sizes=tuple(sizes),
            activation=arch["activation"],
            output_activation=arch.get("output_activation"),
            cost=arch["cost"],
            reduction=arch.get("reduction", "mean"),
            bias=bool(arch.get("bias", True)),
        )


def init_params(arch: Arch, seed: int, dtype: np.typing.DTypeLike = np.float64) -> Params:
    """Glorot-uniform weights U(-r, r), r = sqrt(6 / (fan_in + fan_out)), zero biases.

    Uses its own ``np.random.default_rng(seed)``; numpy's global RNG is never touched.
    The Glorot range keeps the variance of activations and gradients roughly constant
    from layer to layer for tanh/sigmoid-like units.
    """
    rng = np.random.default_rng(seed)
    params: Params = {}
    for layer, (fan_in, fan_out) in enumerate(itertools.pairwise(arch.sizes)):
        r = np.sqrt(6.0 / (fan_in + fan_out))
        params[f"W{layer}"] = rng.uniform(-r, r, size=(fan_in, fan_out)).astype(dtype)
        if arch.bias:
            params[f"b{layer}"] = np.zeros(fan_out, dtype=dtype)
    return params


def flatten(params: Mapping[str, ArrayLike]) -> tuple[np.ndarray, list[tuple[str, tuple]]]:
    """All parameters as one float64 vector (keys in sorted order) and the layout to undo it."""
    layout = [(k, np.shape(params[k])) for k in sorted(params)]
    if not layout:
        return np.zeros(0), layout
    flat = np.concatenate([np.ravel(np.asarray(params[k], np.float64)) for k, _ in layout])
    return flat, layout


def unflatten(
    flat: np.ndarray, layout: list[tuple[str, tuple]], dtype: np.typing.DTypeLike = np.float64
) -> Params:
    """The inverse of :func:`flatten`, each tensor cast to ``dtype``."""
    out, i = {}, 0
    for k, shape in layout:
        n = int(np.prod(shape))
        out[k] = np.asarray(flat[i : i + n]).reshape(shape).astype(dtype)
        i += n
    return out


def _dtype(params: Params) -> np.dtype:
    return params["W0"].dtype


@underflow_ok
def forward(arch: Arch, params: Params, X: ArrayLike) -> list[tuple[np.ndarray, np.ndarray]]:
    """(z, a) for every layer, first to last; the last ``a`` is the prediction."""
    a = np.asarray(X, dtype=_dtype(params))
    layers = []
    for layer in range(arch.n_layers):
        z = a @ params[f"W{layer}"]
        if arch.bias:
            z = z + params[f"b{layer}"]
        a = getattr(acts, spec.activation(arch.layer_activation(layer)).name)(z)
        layers.append((z, a))
    return layers


def predict(arch: Arch, params: Params, X: ArrayLike) -> np.ndarray:
    """The network's output for X (for a cost on logits: the logits)."""
    return forward(arch, params, X)[-1][1]


def _per_example(arch: Arch, out: np.ndarray, Y: np.ndarray) -> np.ndarray:
    c = spec.cost(arch.cost)
    values = getattr(costs, c.name)(out, Y)
    return values if c.vector else values.sum(axis=-1)


@underflow_ok
def loss(arch: Arch, params: Params, X: ArrayLike, Y: ArrayLike) -> float:
    """sum or mean over examples of the per-example cost summed over the outputs."""
    out = predict(arch, params, X)
    per_example = _per_example(arch, out, np.asarray(Y, dtype=out.dtype))
    total = per_example.sum()
    return float(total / len(per_example) if arch.reduction == "mean" else total)


@dataclass(frozen=True)
class Variant:
    """A backward pass with chain-rule factors substituted: how the gradient comes out when
    one factor is computed wrongly.  :func:`backprop` with a variant is the reference network
    committing a known mistake (``gradspec.conformance.diagnosis`` names a failing candidate
    by comparing it with such variants); with none it is the correct backward pass.

    ``dC_da(a, y)`` replaces the cost derivative at the output, which then starts from
    ``dC_da(a, y) * f'(z)`` instead of the fused ``delta`` of the output pair.  ``da_dz``
    maps a layer to ``factor(z, a)`` replacing that layer's activation derivative.
    """

    dC_da: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None
    da_dz: Mapping[int, Callable[[np.ndarray, np.ndarray], np.ndarray]] = field(
        default_factory=dict
    )


def _output_delta(arch: Arch, layers: list, Y: np.ndarray, variant: Variant | None) -> np.ndarray:
    """dC/dz at the output layer (before the reduction's scale)."""
    z_out, a_out = layers[-1]
    last = arch.n_layers - 1
    if variant is None or (variant.dC_da is None and last not in variant.da_dz):
        return chain.delta(arch.out_activation, arch.cost, z_out, Y)
    dC = variant.dC_da(a_out, Y) if variant.dC_da else chain.dC_da(arch.cost, a_out, Y)
    factor = variant.da_dz.get(last)
    return dC * (factor(z_out, a_out) if factor else chain.da_dz(arch.out_activation, z_out))


def _hidden_delta(
    arch: Arch, layer: int, layers: list, upstream: np.ndarray, variant: Variant | None
) -> np.ndarray:
    """dC/dz at hidden ``layer`` from dC/da of its output."""
    z, a = layers[layer]
    factor = variant.da_dz.get(layer) if variant is not None else None
    if factor is not None:
        return upstream * factor(z, a)
    return chain.dC_dz(arch.layer_activation(layer), z, upstream)


@underflow_ok
def backprop(
    arch: Arch, params: Params, X: ArrayLike, Y: ArrayLike, variant: Variant | None = None
) -> tuple[Params, list[np.ndarray]]:
    """The gradient of :func:`loss` in every parameter (same keys) and the error signal
    delta = dC/dz of every layer, first to last (mean: each carrying its 1/N).

    ``variant`` substitutes wrong chain-rule factors (see :class:`Variant`).
    """
    dtype = _dtype(params)
    X = np.asarray(X, dtype=dtype)
    Y = np.asarray(Y, dtype=dtype)
    layers = forward(arch, params, X)
    # mean over N examples: every example's error signal carries 1/N
    scale = 1.0 / X.shape[0] if arch.reduction == "mean" else 1.0
    d = _output_delta(arch, layers, Y, variant) * scale
    g: Params = {}
    deltas: list[np.ndarray] = [d] * arch.n_layers
    for layer in reversed(range(arch.n_layers)):
        deltas[layer] = d
        a_prev = layers[layer - 1][1] if layer > 0 else X
        # dz/dW = a_prev, summed over the examples of the batch by the matrix product
        g[f"W{layer}"] = chain.dz_dw(a_prev).T @ d
        if arch.bias:
            g[f"b{layer}"] = d.sum(axis=0)
        if layer > 0:
            upstream = chain.dC_da_prev(d, params[f"W{layer}"])
            d = _hidden_delta(arch, layer - 1, layers, upstream, variant)
    return {k: g[k].astype(dtype, copy=False) for k in params}, deltas


def grads(arch: Arch, params: Params, X: ArrayLike, Y: ArrayLike) -> Params:
    """The gradient of :func:`loss` in every parameter, by backpropagation (same keys)."""
    return backprop(arch, params, X, Y)[0]


def train_step(arch: Arch, params: Params, X: ArrayLike, Y: ArrayLike, lr: float) -> Params:
    """One gradient-descent step: a new dict ``params - lr * grads`` (inputs untouched)."""
    g = grads(arch, params, X, Y)
    return {k: (p - lr * g[k]).astype(p.dtype, copy=False) for k, p in params.items()}


def minibatch_grads(
    arch: Arch, params: Params, X: ArrayLike, Y: ArrayLike, batch_size: int
) -> list[Params]:
    """Gradients of consecutive batches, in order, no shuffling.

    Each is the gradient of that batch's own loss, so with ``mean`` the short last batch
    averages over its true size (not over ``batch_size``).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    X, Y = np.asarray(X), np.asarray(Y)
    return [
        grads(arch, params, X[i : i + batch_size], Y[i : i + batch_size])
        for i in range(0, len(X), batch_size)
    ]


class Network:
    """An :class:`Arch` bundled with the functions above, in the candidate-protocol shape
    (the same methods a third-party implementation provides, without the ``arch`` argument).
    """

    def __init__(self, arch: Arch) -> None:
        self.arch = arch

    def __repr__(self) -> str:
        return f"Network({self.arch!r})"

    def init_params(self, seed: int, dtype: np.typing.DTypeLike = np.float64) -> Params:
        return init_params(self.arch, seed, dtype)

    def forward(self, params: Params, X: ArrayLike) -> list[tuple[np.ndarray, np.ndarray]]:
        return forward(self.arch, params, X)

    def predict(self, params: Params, X: ArrayLike) -> np.ndarray:
        return predict(self.arch, params, X)

    def loss(self, params: Params, X: ArrayLike, Y: ArrayLike) -> float:
        return loss(self.arch, params, X, Y)

    def grads(self, params: Params, X: ArrayLike, Y: ArrayLike) -> Params:
        return grads(self.arch, params, X, Y)

    def train_step(self, params: Params, X: ArrayLike, Y: ArrayLike, lr: float) -> Params:
        return train_step(self.arch, params, X, Y, lr)

    def minibatch_grads(
        self, params: Params, X: ArrayLike, Y: ArrayLike, batch_size: int
    ) -> list[Params]:
        return minibatch_grads(self.arch, params, X, Y, batch_size)
