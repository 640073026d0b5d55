"""The implementation protocol over JAX: jitted raw functions and their NumPy-facing wrappers.

:func:`jit_all` and :func:`wrap_all` turn a table of raw (jnp) functions keyed by protocol name
into two dicts: ``raw`` (the ``jax.jit``-compiled functions, jax arrays in and out) and
``wrapped`` (NumPy in, NumPy out, same dtype as the input, float64 computed under a scoped
``jax.enable_x64``).  Only the names the table holds are built: a registry function the
backend does not implement is simply absent (aliases of it too).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Collection
from typing import Any

import jax
import numpy as np

from gradspec import dtypes as gs_dtypes
from gradspec import spec

from ._executables import Stored

_FLOATS = tuple(gs_dtypes.resolve(n) for n in gs_dtypes.NAMES)


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
                    f"{fname}: {n} has dtype {dt}; expected {', '.join(gs_dtypes.NAMES)}"
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


#: The smallest padded length of :func:`run_bucketed`.  The checks' draws hold 1 to 32
#: elements, so 32 makes them one shape per function and dtype: each distinct shape costs a
#: trace and an MLIR lowering (~10 ms) even when the compiled code comes from the persistent
#: cache, while 32 elements instead of 8 cost nothing measurable per call.
MIN_BUCKET = 32


def _bucket(n: int) -> int:
    """The padded length for ``n`` elements (rows): the next power of two, at least
    :data:`MIN_BUCKET`."""
    return max(MIN_BUCKET, 1 << (n - 1).bit_length())


def run_bucketed(
    fn: Callable, arrays: list, dtype: np.dtype, vector: bool, device=None, static: tuple = ()
):
    """:func:`run` of a function acting elementwise (``vector``: row by row along the last
    axis) on inputs padded to a power-of-two length, the result cut back to the real ones.

    ``jax.jit`` compiles once per input shape, and compiling costs ~100x a call: padding
    (with copies of the last element or row, so the padding never leaves the domain) makes
    the many shapes of a test run a handful.  Elements (rows) do not interact, so each
    result is the one the unpadded call gives.
    """
    if any(isinstance(a, jax.Array) for a in arrays) or arrays[0].size == 0:
        return run(fn, arrays, dtype, device, static)
    shape = arrays[0].shape
    lead = shape[:-1] if vector else shape
    n = int(np.prod(lead))
    flat = [np.reshape(a, (n, shape[-1]) if vector else (n,)) for a in arrays]
    pad = _bucket(n) - n
    padded = [np.concatenate([f, np.repeat(f[-1:], pad, axis=0)]) for f in flat]
    res = run(fn, padded, dtype, device, static)
    return res[:n].reshape(lead + res.shape[1:])


def _wrap(
    name: str,
    jitted: Callable,
    argnames: tuple[str, ...],
    vector: bool,
    device,
    params: tuple[str, ...] = (),
    label: str = "",
):
    doc = jitted.__doc__
    jitted = Stored(f"{label}:{name}", jitted, static_argnames=params)

    def fn(*args, **values):
        if len(args) != len(argnames):
            raise TypeError(f"{name}() takes {len(argnames)} arguments ({', '.join(argnames)})")
        unknown = sorted(set(values) - set(params))
        if unknown:
            raise TypeError(f"{name}() has no parameter {unknown[0]!r}")
        arrays, dtype = as_arrays(name, argnames, args)
        check_shapes(name, argnames, arrays, vector)
        # parameters are static: one compilation per value, the value a weakly typed constant
        f = functools.partial(jitted, **{k: float(v) for k, v in values.items()})
        return run_bucketed(f if values else jitted, arrays, dtype, vector, device)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


def resolve_pair(activation: str, cost: str, have: Collection[str]) -> tuple[str, str, bool]:
    """Canonical ids (``softplus[beta=2]`` for a bound id or alias, the name at the defaults)
    and whether the last axis is a class axis.

    ValueError for an output layer the spec does not allow
    (:func:`gradspec.spec.validate_output_layer`); NotImplementedError when the backend lacks
    the activation's or the cost's forward (``have``: the names it implements).
    """
    act, c = spec.validate_output_layer(activation, cost)
    lacking = [n for n in (act.name, c.name) if n not in have]
    if lacking:
        raise NotImplementedError(f"delta: this backend does not implement {', '.join(lacking)}")
    return act.id, c.id, c.vector if c.inputs == "logits" else act.vector


class _DeltaBanks:
    """The deltas of one cost (at its defaults) on every activation it pairs with, as one
    jitted ``lax.switch`` over them, the activation's position its branch.

    Each jitted function is traced and lowered to MLIR in every process even when its
    compiled code comes from the persistent cache (~16 ms a pair delta, ~200 of them per
    dtype in a verify); in one module the lowering of the ops the branches share is done
    once (~6 ms a pair), while a call costs ~50 us more.  A branch is the same computation
    as the pair's own jitted delta.  Bound ids (``softplus[beta=2]``) and costs on logits
    keep their own compilation."""

    def __init__(self, op: Callable, have: Collection[str], label: str = "") -> None:
        self.op, self.have, self.label = op, have, label
        self.banks: dict[tuple[str, bool], tuple[Callable, dict[str, int]]] = {}

    def get(self, act: str, cost: str) -> tuple[Callable, int] | None:
        if "[" in act or "[" in cost:
            return None
        vector = spec.activation(act).vector
        key = (cost, vector)
        if key not in self.banks:
            names = [
                p.activation.name
                for p in spec.PAIRS
                if p.valid
                and p.cost.name == cost
                and p.activation.vector == vector
                and p.activation.name in self.have
            ]
            branches = [functools.partial(self.op, a, cost) for a in names]
            jitted = jax.jit(lambda z, y, i: jax.lax.switch(i, branches, z, y))
            stored = Stored(f"{self.label}:delta-bank:{cost}:{vector}:{','.join(names)}", jitted)
            self.banks[key] = (stored, {a: i for i, a in enumerate(names)})
        jitted, index = self.banks[key]
        return (jitted, index[act]) if act in index else None


def _wrap_delta(jitted: Callable, have: Collection[str], device, banks: _DeltaBanks):
    jitted = Stored(f"{banks.label}:delta", jitted, static_argnums=(2, 3))

    def delta(activation, cost, z, y):
        """dC/dz for an output activation and a cost, by registry ids (softmax: per row);
        a bound id (``softplus[beta=2]``, ``huber[delta=0.5]``) at its values."""
        act, c, vector = resolve_pair(activation, cost, have)
        arrays, dtype = as_arrays("delta", ("z", "y"), (z, y))
        check_shapes("delta", ("z", "y"), arrays, vector)
        bank = banks.get(act, c)
        if bank is not None:
            return run_bucketed(bank[0], arrays, dtype, vector, device, static=(bank[1],))
        return run_bucketed(jitted, arrays, dtype, vector, device, static=(act, c))

    return delta


#: The static arguments of the reductions' jitted functions: (reduction,) and (reduction, n).
_REDUCE_STATICS = {"reduce": (1,), "reduce_der": (1, 2)}


def _wrap_reduce(name: str, jitted: Callable, device, label: str = ""):
    jitted = Stored(f"{label}:{name}", jitted, static_argnums=_REDUCE_STATICS[name])

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


def _argnames(entry: spec.Activation | spec.Cost, name: str) -> tuple[str, ...]:
    if entry.kind == "cost":
        return ("z", "y") if entry.inputs == "logits" else ("a", "y")
    if name.endswith("_vjp"):
        return ("z", "g")
    return ("a",) if name.endswith("_der_output") else ("z",)


def protocol_table(ops: dict[str, Callable]) -> list[tuple[str, Callable, tuple, bool]]:
    """(name, raw function, argument names, vector?) for every registry protocol name in
    ``ops``, in registry order (vector: acts along the last axis)."""
    return [
        (name, ops[name], _argnames(e, name), e.vector)
        for e in (*spec.ACTIVATIONS, *spec.COSTS)
        for name in spec.protocol_names(e)
        if name in ops
    ]


def _param_names(name: str) -> tuple[str, ...]:
    """The registry parameters of the entry a protocol name belongs to (keyword arguments)."""
    for e in (*spec.ACTIVATIONS, *spec.COSTS):
        if name in spec.protocol_names(e):
            return tuple(p.name for p in e.params)
    return ()


def _aliases() -> dict[str, str]:
    """alias protocol name -> canonical protocol name (silu -> swish, bce_der -> log_loss_der)."""
    return {
        al: n for e in (*spec.ACTIVATIONS, *spec.COSTS) for al, n in spec.alias_names(e).items()
    }


def jit_all(ops: dict[str, Callable]) -> dict[str, Callable]:
    """The ``jax.jit``-compiled raw functions keyed by protocol name (aliases included).

    Nothing compiles here: ``jax.jit`` traces and compiles on the first call per shape/dtype.
    """
    raw: dict[str, Callable] = {}
    for name, f, _argn, _vec in protocol_table(ops):
        params = _param_names(name)
        raw[name] = jax.jit(f, static_argnames=params) if params else jax.jit(f)
    for name, statics in _REDUCE_STATICS.items():
        raw[name] = jax.jit(ops[name], static_argnums=statics)
    raw["delta"] = jax.jit(ops["delta"], static_argnums=(0, 1))
    # the wrapper's calling order: arrays first, static names last
    raw["_delta_zy"] = jax.jit(lambda z, y, a, c: ops["delta"](a, c, z, y), static_argnums=(2, 3))
    for al, canon in _aliases().items():
        if canon in raw:
            raw[al] = raw[canon]
    return raw


def wrap_all(
    ops: dict[str, Callable], raw: dict[str, Callable], device=None, label: str = ""
) -> dict:
    """NumPy-facing wrappers around ``raw`` (from :func:`jit_all`), optionally on ``device``;
    ``label`` names the table (``hand``, ``autodiff``) in the keys of stored programs
    (:mod:`._executables`)."""
    wrapped: dict[str, Callable] = {}
    for name, _f, argn, vec in protocol_table(ops):
        wrapped[name] = _wrap(name, raw[name], argn, vec, device, _param_names(name), label)
    for name in ("reduce", "reduce_der"):
        wrapped[name] = _wrap_reduce(name, raw[name], device, label)
    wrapped["delta"] = _wrap_delta(
        raw["_delta_zy"], set(ops), device, _DeltaBanks(ops["delta"], set(ops), label)
    )
    for al, canon in _aliases().items():
        if canon in wrapped:
            wrapped[al] = wrapped[canon]
    return wrapped
