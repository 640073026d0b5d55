"""The implementation protocol over JAX: jitted raw functions and their NumPy-facing wrappers.

:func:`build` turns a table of raw (jnp) functions into two dicts keyed by protocol name:
``raw`` (the ``jax.jit``-compiled functions, jax arrays in and out) and ``wrapped`` (NumPy in,
NumPy out, same dtype as the input, float64 computed under a scoped ``jax.enable_x64``).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from typing import Any

import jax
import numpy as np

from gradspec import spec

_FLOATS = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))

# Which registry costs on logits fuse which activation (delta accepts it or identity).
FUSED = {"log_loss_logits": "sigmoid", "cross_entropy_logits": "softmax"}


def _is_weak(x: Any) -> bool:
    """Python numbers and lists carry no dtype of their own; integer/bool arrays are promoted."""
    if isinstance(x, (bool, int, float, list, tuple)):
        return True
    dt = getattr(x, "dtype", None)
    return dt is not None and np.dtype(dt).kind in "biu"


def as_arrays(fname: str, names: tuple[str, ...], args: tuple) -> tuple[list, np.dtype]:
    """Arguments as arrays of one float dtype; mixed float dtypes raise TypeError (one line)."""
    strong = {}
    for n, x in zip(names, args, strict=True):
        if not _is_weak(x):
            dt = np.dtype(getattr(x, "dtype", None) or np.asarray(x).dtype)
            if dt not in _FLOATS:
                raise TypeError(
                    f"{fname}: {n} has dtype {dt}; expected float16, float32 or float64"
                )
            strong[n] = dt
    dtypes = set(strong.values())
    if len(dtypes) > 1:
        desc = ", ".join(f"{n} is {d}" for n, d in strong.items())
        raise TypeError(f"{fname}: mixed dtypes ({desc}); convert to one dtype (no promotion)")
    dtype = dtypes.pop() if dtypes else np.dtype(np.float64)
    out = [x if isinstance(x, jax.Array) else np.asarray(x, dtype=dtype) for x in args]
    # a Python number next to an array stands for a constant array of that shape
    shape = next((o.shape for o in out if o.ndim), ())
    out = [
        np.broadcast_to(o, shape) if isinstance(x, (bool, int, float)) else o
        for o, x in zip(out, args, strict=True)
    ]
    return out, dtype


def check_shapes(fname: str, names: tuple[str, ...], arrays: list, vector: bool) -> None:
    shapes = [tuple(a.shape) for a in arrays]
    if len(set(shapes)) > 1:
        desc = ", ".join(f"{n} {s}" for n, s in zip(names, shapes, strict=True))
        raise ValueError(f"{fname}: shapes differ ({desc}); the spec needs equal shapes")
    if vector and (len(shapes[0]) == 0 or shapes[0][-1] == 0):
        raise ValueError(
            f"{fname}: needs at least one axis with K >= 1 classes (last axis), got {shapes[0]}"
        )


def run(fn: Callable, arrays: list, dtype: np.dtype, device=None, static: tuple = ()):
    """Call a jitted function, x64 scoped to float64 inputs, on ``device`` if given.

    The transfer to the device happens inside the x64 scope too: outside it, device_put
    would silently demote float64 to float32.
    """
    with jax.enable_x64(True) if dtype == np.float64 else contextlib.nullcontext():
        if device is not None:
            arrays = [jax.device_put(a, device) for a in arrays]
        res = np.array(fn(*arrays, *static))
    if res.dtype != dtype:  # never expected: a weakly typed constant went wrong somewhere
        raise AssertionError(f"internal: result dtype {res.dtype} for {dtype} input")
    return res


def _wrap(name: str, jitted: Callable, argnames: tuple[str, ...], vector: bool, device):
    def fn(*args):
        if len(args) != len(argnames):
            raise TypeError(f"{name}() takes {len(argnames)} arguments ({', '.join(argnames)})")
        arrays, dtype = as_arrays(name, argnames, args)
        check_shapes(name, argnames, arrays, vector)
        return run(jitted, arrays, dtype, device)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = jitted.__doc__
    return fn


def resolve_pair(activation: str, cost: str) -> tuple[str, str, bool]:
    """Canonical names and whether the last axis is a class axis; ValueError if not allowed."""
    act = spec.activation(activation)
    c = spec.cost(cost)
    if c.inputs == "logits":
        if act.name != "identity":  # as gradspec.reference.chain.delta
            raise ValueError(
                f"delta: {c.name} is a cost on logits and already includes its output "
                f"activation ({FUSED[c.name]}); use activation 'identity', not {act.name!r}"
            )
        return act.name, c.name, c.vector
    p = spec.pair(act.name, c.name)
    if not p.valid:
        raise ValueError(f"delta: pair {p.name} is not valid: {p.reason}")
    return act.name, c.name, act.vector


def _wrap_delta(jitted: Callable, device):
    def delta(activation, cost, z, y):
        """dC/dz for an output activation and a cost, by names (softmax: per row)."""
        act, c, vector = resolve_pair(activation, cost)
        arrays, dtype = as_arrays("delta", ("z", "y"), (z, y))
        check_shapes("delta", ("z", "y"), arrays, vector)
        return run(jitted, arrays, dtype, device, static=(act, c))

    return delta


def _wrap_reduce(name: str, jitted: Callable, device):
    def fn(values, reduction, n=None):
        red = spec.reduction(reduction).name
        arrays, dtype = as_arrays(name, ("values",), (values,))
        if name == "reduce_der":
            return run(jitted, arrays, dtype, device, static=(red, n))
        if n is not None:
            raise TypeError("reduce() takes no n")
        return run(jitted, arrays, dtype, device, static=(red,))

    fn.__name__ = fn.__qualname__ = name
    return fn


def protocol_table(ops: dict[str, Callable]) -> list[tuple[str, Callable, tuple, bool]]:
    """(name, raw function, argument names, vector?) for every protocol name of the registry."""
    rows = []
    for act in spec.ACTIVATIONS:
        n, vec = act.name, act.vector
        rows.append((n, ops[n], ("z",), vec))
        rows.append((n + "_der", ops[n + "_der"], ("z",), vec))
        if not vec:
            rows.append((n + "_der2", ops[n + "_der2"], ("z",), vec))
        if act.output_derivative is not None:
            rows.append((n + "_der_output", ops[n + "_der_output"], ("a",), vec))
    rows.append(("softmax_vjp", ops["softmax_vjp"], ("z", "g"), True))
    for c in spec.COSTS:
        n, vec = c.name, c.vector
        argn = ("z", "y") if c.inputs == "logits" else ("a", "y")
        rows.append((n, ops[n], argn, vec))
        rows.append((n + "_der", ops[n + "_der"], argn, vec))
        rows.append((n + "_der2", ops[n + "_der2"], argn, vec))  # vector: the Hessian
    return rows


def _aliases() -> dict[str, str]:
    """alias protocol name -> canonical protocol name (silu -> swish, bce_der -> log_loss_der)."""
    out = {}
    for e in (*spec.ACTIVATIONS, *spec.COSTS):
        for al in e.aliases:
            for suffix in ("", "_der", "_der2", "_der_output"):
                out[al + suffix] = e.name + suffix
    return out


def jit_all(ops: dict[str, Callable]) -> dict[str, Callable]:
    """The ``jax.jit``-compiled raw functions keyed by protocol name (aliases included).

    Nothing compiles here: ``jax.jit`` traces and compiles on the first call per shape/dtype.
    """
    raw: dict[str, Callable] = {}
    for name, f, _argn, _vec in protocol_table(ops):
        raw[name] = jax.jit(f)
    raw["reduce"] = jax.jit(ops["reduce"], static_argnums=1)
    raw["reduce_der"] = jax.jit(ops["reduce_der"], static_argnums=(1, 2))
    raw["delta"] = jax.jit(ops["delta"], static_argnums=(0, 1))
    # the wrapper's calling order: arrays first, static names last
    raw["_delta_zy"] = jax.jit(lambda z, y, a, c: ops["delta"](a, c, z, y), static_argnums=(2, 3))
    for al, canon in _aliases().items():
        if canon in raw:
            raw[al] = raw[canon]
    return raw


def wrap_all(ops: dict[str, Callable], raw: dict[str, Callable], device=None) -> dict:
    """NumPy-facing wrappers around ``raw`` (from :func:`jit_all`), optionally on ``device``."""
    wrapped: dict[str, Callable] = {}
    for name, _f, argn, vec in protocol_table(ops):
        wrapped[name] = _wrap(name, raw[name], argn, vec, device)
    for name in ("reduce", "reduce_der"):
        wrapped[name] = _wrap_reduce(name, raw[name], device)
    wrapped["delta"] = _wrap_delta(raw["_delta_zy"], device)
    for al, canon in _aliases().items():
        if canon in wrapped:
            wrapped[al] = wrapped[canon]
    return wrapped


@functools.cache
def protocol_names() -> tuple[str, ...]:
    """Every canonical protocol name the backend exposes (aliases excluded)."""
    names = [row[0] for row in protocol_table(_NAME_PROBE)]
    return (*names, "reduce", "reduce_der", "delta")


class _Probe(dict):
    def __missing__(self, key):
        return None


_NAME_PROBE = _Probe()
