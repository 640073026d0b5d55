"""Dense MLP in JAX: the architecture and parameter layout of :mod:`gradspec.reference.mlp`.

Parameters ``{"W0": (fan_in, fan_out), "b0": (fan_out,), ...}``, ``z = a_prev @ W + b``; the
loss is ``sum`` or ``mean`` (= sum / N) over examples of the per-example sum of the cost over
the outputs.  Every step is one jitted program (``arch`` is a static argument, so networks
with equal architectures share compilations):

* :func:`loss`, :func:`grads` (hand-written backprop), :func:`grads_autodiff` (``jax.grad``),
* :func:`step` (one GD/SGD update ``p - lr g``), :func:`train` (``steps`` full-batch GD
  updates in one ``lax.fori_loop``), :func:`train_batches` (one update per stacked minibatch
  in one ``lax.scan``; returns the per-step losses too).

These take and return jax arrays.  :class:`Network` wraps them for NumPy callers with the
reference's methods; float64 parameters run under a scoped ``jax.enable_x64``.  Matrix
products use ``Precision.HIGHEST`` (on GPUs the default float32 matmul may use TF32).
"""

from __future__ import annotations

import contextlib
import itertools
import types

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from gradspec import spec
from gradspec.reference.mlp import Arch, init_params

from . import _ops
from ._executables import Stored

__all__ = [
    "Arch",
    "Network",
    "grads",
    "grads_autodiff",
    "init_params",
    "loss",
    "step",
    "train",
    "train_batches",
]

_HI = lax.Precision.HIGHEST


def _act(name: str):
    return getattr(_ops, spec.activation(name).name)


def forward(arch: Arch, params: dict, X) -> list[tuple]:
    """(z, a) for every layer, first to last (jax arrays; not jitted on its own)."""
    a = X
    layers = []
    for layer in range(arch.n_layers):
        z = jnp.matmul(a, params[f"W{layer}"], precision=_HI)
        if arch.bias:
            z = z + params[f"b{layer}"]
        a = _act(arch.layer_activation(layer))(z)
        layers.append((z, a))
    return layers


def _loss(arch: Arch, params: dict, X, Y):
    c = spec.cost(arch.cost)
    values = getattr(_ops, c.name)(forward(arch, params, X)[-1][1], Y)
    per_example = values if c.vector else jnp.sum(values, axis=-1)
    total = jnp.sum(per_example)
    return total / X.shape[0] if arch.reduction == "mean" else total


def _grads(arch: Arch, params: dict, X, Y) -> dict:
    layers = forward(arch, params, X)
    out = spec.activation(arch.out_activation).name
    scale = 1.0 / X.shape[0] if arch.reduction == "mean" else 1.0
    d = _ops.delta(out, spec.cost(arch.cost).name, layers[-1][0], Y) * scale
    g = {}
    for layer in reversed(range(arch.n_layers)):
        a_prev = layers[layer - 1][1] if layer > 0 else X
        g[f"W{layer}"] = jnp.matmul(a_prev.T, d, precision=_HI)
        if arch.bias:
            g[f"b{layer}"] = jnp.sum(d, axis=0)
        if layer > 0:
            upstream = jnp.matmul(d, params[f"W{layer}"].T, precision=_HI)
            hidden = spec.activation(arch.layer_activation(layer - 1))
            z_prev = layers[layer - 1][0]
            if hidden.vector:
                d = getattr(_ops, hidden.name + "_vjp")(z_prev, upstream)
            else:
                d = upstream * getattr(_ops, hidden.name + "_der")(z_prev)
    return {k: g[k] for k in params}


def _grads_autodiff(arch: Arch, params: dict, X, Y) -> dict:
    return jax.grad(_loss, argnums=1)(arch, params, X, Y)


def _grad_fn(kind: str):
    return _grads if kind == "hand" else _grads_autodiff


def _step(arch: Arch, params: dict, X, Y, lr, kind: str = "hand") -> dict:
    g = _grad_fn(kind)(arch, params, X, Y)
    return {k: p - lr * g[k] for k, p in params.items()}


def _train(arch: Arch, params: dict, X, Y, lr, steps, kind: str = "hand") -> dict:
    return lax.fori_loop(0, steps, lambda _, p: _step(arch, p, X, Y, lr, kind), params)


def _train_batches(arch: Arch, params: dict, Xb, Yb, lr, kind: str = "hand"):
    def body(p, batch):
        xb, yb = batch
        return _step(arch, p, xb, yb, lr, kind), _loss(arch, p, xb, yb)

    return lax.scan(body, params, (Xb, Yb))


loss = jax.jit(_loss, static_argnums=0)
grads = jax.jit(_grads, static_argnums=0)
grads_autodiff = jax.jit(_grads_autodiff, static_argnums=0)
step = jax.jit(_step, static_argnums=(0, 5))
train = jax.jit(_train, static_argnums=(0, 6))
train_batches = jax.jit(_train_batches, static_argnums=(0, 5))
_predict = jax.jit(lambda arch, params, X: forward(arch, params, X)[-1][1], static_argnums=0)
_forward = jax.jit(forward, static_argnums=0)

#: the raw jitted functions (jax arrays in and out), for benchmarks
jaxfns = types.SimpleNamespace(
    forward=_forward,
    predict=_predict,
    loss=loss,
    grads=grads,
    grads_autodiff=grads_autodiff,
    step=step,
    train=train,
    train_batches=train_batches,
)


#: The programs :class:`Network` runs, kept on disk between runs (:mod:`._executables`).
_STORED = {
    id(fn): Stored(f"mlp:{name}", fn, static_argnums=statics)
    for name, fn, statics in (
        ("forward", _forward, (0,)),
        ("predict", _predict, (0,)),
        ("loss", loss, (0,)),
        ("grads", grads, (0,)),
        ("grads_autodiff", grads_autodiff, (0,)),
        ("step", step, (0, 5)),
        ("train", train, (0, 6)),
        ("train_batches", train_batches, (0, 5)),
    )
}


class Network:
    """An :class:`Arch` with the reference Network's methods, computed by the jitted programs.

    ``grads`` selects the gradient used by ``grads``/``train_step``/``minibatch_grads``/
    ``train``: ``"hand"`` (backprop as in the reference) or ``"autodiff"`` (``jax.grad``).
    NumPy in, NumPy out.  The parameters' dtype is kept throughout: X and Y are cast to it
    (as in the reference); parameters of mixed dtypes raise TypeError, wrong shapes ValueError.
    """

    def __init__(self, arch: Arch, *, grads: str = "hand", device=None) -> None:
        if grads not in ("hand", "autodiff"):
            raise ValueError(f"grads must be 'hand' or 'autodiff', got {grads!r}")
        self.arch = arch
        self.kind = grads
        self.device = device
        self.jaxfns = jaxfns

    def __repr__(self) -> str:
        return f"jaxbackend.Network({self.arch!r}, grads={self.kind!r})"

    # ------------------------------------------------------------------ plumbing
    def _prepare(self, params: dict, *data):
        names = sorted(params)
        expected = {f"W{i}" for i in range(self.arch.n_layers)}
        if self.arch.bias:
            expected |= {f"b{i}" for i in range(self.arch.n_layers)}
        if set(names) != expected:
            raise ValueError(f"params keys {names}; the architecture needs {sorted(expected)}")
        dtypes = {np.dtype(params[k].dtype) for k in names}
        if len(dtypes) > 1:
            raise TypeError(f"parameters of mixed dtypes {sorted(map(str, dtypes))}; use one")
        dtype = dtypes.pop()
        if dtype not in (np.float32, np.float64):
            raise TypeError(f"parameters must be float32 or float64, got {dtype}")
        for i, (fan_in, fan_out) in enumerate(itertools.pairwise(self.arch.sizes)):
            if params[f"W{i}"].shape != (fan_in, fan_out):
                raise ValueError(f"W{i} has shape {params[f'W{i}'].shape}, not {(fan_in, fan_out)}")
            if self.arch.bias and params[f"b{i}"].shape != (fan_out,):
                raise ValueError(f"b{i} has shape {params[f'b{i}'].shape}, not {(fan_out,)}")
        arrays = [np.asarray(x, dtype=dtype) for x in data]
        widths = (self.arch.sizes[0], self.arch.sizes[-1])
        for name, arr, width in zip(("X", "Y"), arrays, widths, strict=False):
            if arr.ndim < 2 or arr.shape[-1] != width:
                raise ValueError(f"{name} has shape {arr.shape}; expected (..., N, {width})")
        if len(arrays) == 2 and arrays[0].shape[:-1] != arrays[1].shape[:-1]:
            raise ValueError(f"X {arrays[0].shape} and Y {arrays[1].shape}: example counts differ")
        p = {k: np.asarray(params[k]) for k in names}
        return p, arrays, dtype

    def _run(self, fn, params, data, *rest, extra=()):
        p, arrays, dtype = self._prepare(params, *data)
        with _x64(dtype):  # device_put inside the scope: outside, float64 becomes float32
            if self.device is not None:
                p, arrays = jax.device_put((p, arrays), self.device)
            out = _STORED[id(fn)](self.arch, p, *arrays, *rest, *extra)
            return jax.tree.map(np.array, out)

    # ------------------------------------------------------------------ the protocol
    def init_params(self, seed: int, dtype=np.float64) -> dict:
        return init_params(self.arch, seed, dtype)

    def forward(self, params: dict, X) -> list[tuple[np.ndarray, np.ndarray]]:
        return [tuple(layer) for layer in self._run(_forward, params, (X,))]

    def predict(self, params: dict, X) -> np.ndarray:
        return self._run(_predict, params, (X,))

    def loss(self, params: dict, X, Y) -> float:
        return float(self._run(loss, params, (X, Y)))

    def grads(self, params: dict, X, Y) -> dict:
        return self._run(grads if self.kind == "hand" else grads_autodiff, params, (X, Y))

    def train_step(self, params: dict, X, Y, lr: float) -> dict:
        return self._run(step, params, (X, Y), lr, extra=(self.kind,))

    def minibatch_grads(self, params: dict, X, Y, batch_size: int) -> list[dict]:
        """Gradients of consecutive batches, in order, no shuffling (each its own loss)."""
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        X, Y = np.asarray(X), np.asarray(Y)
        return [
            self.grads(params, X[i : i + batch_size], Y[i : i + batch_size])
            for i in range(0, len(X), batch_size)
        ]

    def train(self, params: dict, X, Y, lr: float, steps: int) -> dict:
        """``steps`` full-batch gradient-descent updates in one jitted ``lax.fori_loop``."""
        return self._run(train, params, (X, Y), lr, steps, extra=(self.kind,))

    def train_batches(self, params: dict, Xb, Yb, lr: float) -> tuple[dict, np.ndarray]:
        """One SGD update per minibatch ``Xb[i], Yb[i]`` (shapes (S, B, in), (S, B, out)) in one
        ``lax.scan``; returns the final parameters and each batch's loss before its update."""
        return self._run(train_batches, params, (Xb, Yb), lr, extra=(self.kind,))


def _x64(dtype: np.dtype):
    """x64 on for float64 work only, scoped to this thread and this call."""
    return jax.enable_x64(True) if dtype == np.float64 else contextlib.nullcontext()
