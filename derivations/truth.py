"""Ground truth at arbitrary precision: the derived expressions evaluated in mpmath.

Every input element is converted to an mpmath number exactly (a float64 or float32 value is a
dyadic rational), the expression is evaluated at ``START_DPS`` significant digits and again at
twice that, doubling until two successive results round to the same float64 (cancellation such
as 1 + erf(-20) in gelu needs hundreds of digits; a zero result is pushed to ``MAX_DPS``
before it is believed).  The result is rounded to float64.

This is an oracle for the conformance checks, never the shipped numeric path.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import mpmath
import numpy as np
import sympy as sp

from gradspec.spec import A, Y, Z, activation, cost, pair

from . import cache, derive, truth_store

START_DPS = 30
MAX_DPS = 480  # zeros are escalated this far: deeper cancellation underflows float64
#: Any other value that has not settled (it still moves, or is NaN from a division by a
#: difference that rounded to 0) is escalated further: 1 - 1/(1 + exp(-z)) in sigmoid + log
#: loss at z = 1098 needs ~480 digits, at z = 1e4 4343.
MAX_DPS_UNSETTLED = 7680

_ORDER_KEY = {0: "f", 1: "d1", 2: "d2", 3: "d3", "y": "dy", "1y": "d1dy", "2y": "d2dy"}


def _adaptive(fn: Callable[..., object], args: tuple[float, ...]) -> object:
    """fn(*args) in mpmath, at increasing precision until the float64 rounding is stable."""
    prev = None
    dps = START_DPS
    while True:
        with mpmath.workdps(dps):
            margs = [mpmath.mpf(float(x)) for x in args]
            try:
                val = fn(*margs)
            except (ZeroDivisionError, ValueError):
                val = mpmath.nan
            cur = _to_float64(val)
        # An exact 0 may be total cancellation (1 + erf(-30) is 0 below ~200 digits), so a
        # zero is only trusted once the highest precision also says so.
        # NaN likewise may be 1/(1 - a) with a rounded to 1 at this precision.
        settled = prev is not None and _same(prev, cur) and np.all(np.isfinite(cur) & (cur != 0))
        if settled:
            return cur
        zero = bool(np.any(cur == 0))
        if dps >= (MAX_DPS if zero else MAX_DPS_UNSETTLED):
            return cur
        prev = cur
        dps *= 2


def _to_float64(val: object) -> np.ndarray:
    if isinstance(val, mpmath.matrix | list | tuple | sp.Matrix):
        return np.array([_to_float64(v) for v in val], dtype=np.float64).reshape(-1)
    try:
        return np.float64(float(val))
    except TypeError:  # complex: outside the real domain
        return np.float64(np.nan)


def _same(x: np.ndarray, y: np.ndarray) -> bool:
    return bool(np.array_equal(x, y, equal_nan=True))


# Derivatives of sign/Piecewise contain DiracDelta: zero away from the kink, and kinks are
# never evaluated through the truth (the kink check uses the registry's accepted interval).
_MODULES = [{"DiracDelta": lambda *args: mpmath.mpf(0)}, "mpmath"]


@functools.cache
def _lambdified(key: tuple) -> Callable[..., object]:
    """The derived expression of ``key`` = (kind, entry id or (activation id, cost id), order,
    K) as an mpmath function; the derivation is symbolic in the parameters, the function is
    at the values the ids bind (``leaky_relu[slope=0.2]``; a plain name: the defaults)."""
    kind, name, order, k = key
    d = cache.load()
    if kind == "activation":
        act = activation(name)
        if act.vector:
            expr = derive.vector_activation(act, k)[_ORDER_KEY[order]]
            return sp.lambdify(sp.symbols(f"z0:{k}", real=True), expr, modules=_MODULES)
        expr = d.activations[act.name][_ORDER_KEY[order]].subs(act.substitutions())
        return sp.lambdify((Z,), expr, modules=_MODULES)
    if kind == "cost":
        c = cost(name)
        if c.vector:
            expr = derive.vector_cost(c, k)[_ORDER_KEY[order]]
            args = (*sp.symbols(f"z0:{k}", real=True), *sp.symbols(f"y0:{k}", real=True))
            return sp.lambdify(args, expr, modules=_MODULES)
        var = Z if c.inputs == "logits" else A
        expr = d.costs[c.name][_ORDER_KEY[order]].subs(c.substitutions())
        return sp.lambdify((var, Y), expr, modules=_MODULES)
    act_name, cost_name = name
    p = pair(act_name, cost_name)
    if p.activation.vector:
        expr = derive.vector_pair(p, k)
        args = (*sp.symbols(f"z0:{k}", real=True), *sp.symbols(f"y0:{k}", real=True))
        return sp.lambdify(args, expr, modules=_MODULES)
    values = {**p.activation.substitutions(), **p.cost.substitutions()}
    expr = d.pairs[p.name][_ORDER_KEY[order]].subs(values)
    return sp.lambdify((Z, Y), expr, modules=_MODULES)


#: Memo of element evaluations: checks of several implementations and dtypes, and hypothesis'
#: shrinking, ask for the same points again and again.  Backed by the persistent store
#: (:mod:`.truth_store`): the derandomized profiles ask the same points run after run.
_MEMO: dict[tuple, object] = {}
_MEMO_LIMIT = 2_000_000


def _memo_many(key: tuple, args_list: list[tuple[float, ...]]) -> list[object]:
    """The truth of function ``key`` (a :func:`_lambdified` key) at each of ``args_list``:
    from the process's memo, else from the store (one batched lookup for all of them), else
    evaluated (and handed to the store)."""
    got = [_MEMO.get((key, args)) for args in args_list]
    missing = [i for i, hit in enumerate(got) if hit is None]
    if not missing:
        return got
    if len(_MEMO) > _MEMO_LIMIT:
        _MEMO.clear()
    fn_id = repr(key)
    store = truth_store.store()
    packed = {i: truth_store.pack_args(args_list[i]) for i in missing}
    stored = store.get_many(fn_id, list(dict.fromkeys(packed.values())))
    for i in missing:
        args = args_list[i]
        hit = _MEMO.get((key, args))  # a repeated point of this same call
        if hit is None:
            hit = stored.get(packed[i])
            if hit is None:
                hit = _adaptive(_lambdified(key), args)
                store.add(fn_id, packed[i], hit)
            _MEMO[(key, args)] = hit
        got[i] = hit
    return got


def _elementwise(key: tuple, *arrays: np.ndarray) -> np.ndarray:
    arrays = np.broadcast_arrays(*[np.asarray(x, dtype=np.float64) for x in arrays])
    shape = arrays[0].shape
    # Python floats straight from tolist (the values float(x[idx]) gives, without indexing
    # numpy element by element: a memo hit is most of the cost here)
    columns = [a.reshape(-1).tolist() for a in arrays]
    values = _memo_many(key, list(zip(*columns, strict=True)))
    return np.array(values, dtype=np.float64).reshape(shape)


def _rowwise(key: tuple, tail: tuple[int, ...], *arrays: np.ndarray) -> np.ndarray:
    """Evaluate a row function over the last axis; each row gives an array of shape ``tail``
    (a row that has no real value, outside the domain, gives NaNs)."""
    arrays = np.broadcast_arrays(*[np.asarray(x, dtype=np.float64) for x in arrays])
    rows = arrays[0].shape[:-1]
    out = np.full(rows + tail, np.nan)
    index = list(np.ndindex(rows))
    args_list = [tuple(float(v) for x in arrays for v in x[idx]) for idx in index]
    for idx, val in zip(index, _memo_many(key, args_list), strict=True):
        val = np.asarray(val)
        if val.size == int(np.prod(tail)):
            out[idx] = val.reshape(tail)
    return out


def activation_value(name: str, z: np.ndarray, order: int = 0) -> np.ndarray:
    """f (order 0), f' (1), f'' (2) or the third derivative (3) of ``name`` at ``z``, as float64.

    ``name`` is a registry name (the parameters at their defaults) or a bound entry's id
    (``leaky_relu[slope=0.2]``); the values are part of every memo and store key.

    Vector activations act along the last axis; their order-1 value is the Jacobian
    ``(..., K, K)`` with ``J[..., i, j] = d a_i / d z_j``.
    """
    act = activation(name)
    z = np.asarray(z, dtype=np.float64)
    if act.vector:
        if order > 1:
            raise ValueError(f"{act.name}: only orders 0 and 1 are specified")
        k = z.shape[-1]
        tail = (k,) if order == 0 else (k, k)
        return _rowwise(("activation", act.id, order, k), tail, z)
    return _elementwise(("activation", act.id, order, 0), z)


def cost_value(name: str, a: np.ndarray, y: np.ndarray, order: int | str = 0) -> np.ndarray:
    """C (order 0), dC/da (1) or d2C/da2 (2) of cost ``name`` at (a, y), as float64.

    For the error model, elementwise costs also give order 3 and the y-derivatives
    ``"y"`` (dC/dy), ``"1y"`` (d2C/dady) and ``"2y"`` (d3C/da2dy).
    Vector costs (categorical cross-entropy on logits) act on rows: order 0 gives one value per
    row, order 1 the gradient row, order 2 the Hessian ``(..., K, K)``.
    """
    c = cost(name)
    a = np.asarray(a, dtype=np.float64)
    if c.vector:
        k = a.shape[-1]
        tail = {0: (), 1: (k,), 2: (k, k)}[order]
        return _rowwise(("cost", c.id, order, k), tail, a, y)
    return _elementwise(("cost", c.id, order, 0), a, y)


def pair_value(
    activation_name: str, cost_name: str, z: np.ndarray, y: np.ndarray, order: int | str = 1
) -> np.ndarray:
    """dC/dz (order 1) or d2C/dz2 (order 2, elementwise pairs) of an output activation + cost.

    ``order="1y"`` gives d2C/dzdy (for the error model).
    """
    p = pair(activation_name, cost_name)
    if not p.valid:
        raise ValueError(f"{p.name} is not a valid pair: {p.reason}")
    z = np.asarray(z, dtype=np.float64)
    if p.activation.vector:
        if order != 1:
            raise ValueError(f"{p.name}: only the first derivative is specified")
        k = z.shape[-1]
        key = ("pair", (p.activation.id, p.cost.id), 1, k)
        return _rowwise(key, (k,), z, y)
    key = ("pair", (p.activation.id, p.cost.id), order, 0)
    return _elementwise(key, z, y)
