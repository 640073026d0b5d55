"""Calling an implementation's function safely: exceptions, warnings and garbage become a
:class:`~.results.Violation` with a one-line reason; nothing the candidate does escapes."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import numpy as np

from gradspec import dtypes
from gradspec.conformance.engine.results import Violation


class Namespace(Protocol):
    """Where an implementation's functions live and how to call them."""

    label: str

    def names(self) -> set[str]: ...

    def constant(self, name: str, default: Any = None) -> Any: ...

    def call(self, name: str, *args: Any) -> Any: ...

    def import_line(self, name: str) -> str: ...


def call(ns: Namespace, name: str, *args: Any, record: list[str] | None = None) -> Any:
    """``ns.call(name, *args)`` with numpy's default error state; warnings go to ``record``."""
    with _guarded(name, record):
        return ns.call(name, *_copies(args))


def call_many(
    ns: Namespace, name: str, arglist: list[tuple], record: list[str] | None = None
) -> list[Any]:
    """``[call(ns, name, *args) for args in arglist]``; one round trip where the namespace
    offers ``call_many`` (a candidate in its worker), else the calls one by one.  Stops at
    the first failure, a Violation as from :func:`call`."""
    many = getattr(ns, "call_many", None)
    if many is None:
        return [call(ns, name, *args, record=record) for args in arglist]
    with _guarded(name, record):
        return many(name, [_copies(args) for args in arglist])


#: Rows per call when a check hands a row-wise function inputs of its own length (kinks,
#: extremes, NaN probes): the drawn examples' batch.  A candidate that compiles per shape
#: (``jax.jit``, torch.compile) then compiles one shape, not one per function and check:
#: a JAX candidate met 11 shapes per function, each compiled anew.
CALL_ROWS = 8


def call_rows(
    ns: Namespace,
    name: str,
    args: tuple,
    out_shape: tuple[int, ...],
    record: list[str] | None = None,
    *,
    rowwise: bool = True,
) -> Any:
    """``call(ns, name, *args)``; for a ``rowwise`` function (output row i depends only on
    row i of its inputs, and ``out_shape`` leads with their length n: not a reduced cost,
    whose gradient's rows depend on n) the rows in chunks of
    :data:`CALL_ROWS`, the last one padded by repeating its last row, in one round trip;
    the outputs' first n rows.  If a chunk's output is not :data:`CALL_ROWS` rows (the
    candidate returns its own shape), one call on all of ``args``, judged as it is."""
    n = out_shape[0] if out_shape else -1
    same = all(isinstance(a, np.ndarray) and a.shape[:1] == (n,) for a in args)
    if not (rowwise and same and n > 0) or n == CALL_ROWS:
        return call(ns, name, *args, record=record)
    pick = [np.minimum(np.arange(i, i + CALL_ROWS), n - 1) for i in range(0, n, CALL_ROWS)]
    outs = call_many(ns, name, [tuple(a[rows] for a in args) for rows in pick], record)
    if not all(isinstance(o, np.ndarray) and o.shape[:1] == (CALL_ROWS,) for o in outs):
        return call(ns, name, *args, record=record)
    return np.concatenate(outs)[:n]


def _copies(args: tuple) -> tuple:
    """Fresh copies of the array arguments: a candidate's in-place change stays its own."""
    return tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args)


@contextlib.contextmanager
def _guarded(name: str, record: list[str] | None) -> Iterator[None]:
    """numpy's default error state around a candidate's call; its warnings go to ``record``
    and its exceptions become a Violation (a failed check, not ours)."""
    with (
        warnings.catch_warnings(record=True) as caught,
        np.errstate(over="warn", invalid="warn", divide="warn", under="ignore"),
    ):
        warnings.simplefilter("always")
        try:
            yield
        except Violation:
            raise
        except Exception as exc:  # the candidate's own error
            reason = getattr(exc, "reason", None) or f"{type(exc).__name__}: {exc}"
            raise Violation(f"{name} raised {_one_line(reason)}") from None
    if record is not None:
        for w in caught:
            text = f"{name}: {type(w.message).__name__}: {w.message}"
            if text not in record:
                record.append(text)


class Forward:
    """x -> the implementation's ``name`` at ``args_of(x)``, checked by ``check(x, out)``:
    the forward that numeric differences evaluate, at one x (``f(x)``) or at many in one
    call of the namespace (``f.many([x1, x2])``, one round trip to a candidate's worker)."""

    def __init__(
        self,
        ns: Namespace,
        name: str,
        args_of: Callable[[np.ndarray], tuple],
        check: Callable[[np.ndarray, Any], np.ndarray],
    ) -> None:
        self.ns, self.name, self.args_of, self.check = ns, name, args_of, check

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.check(x, call(self.ns, self.name, *self.args_of(x)))

    def many(self, xs: list[np.ndarray]) -> list[np.ndarray]:
        outs = call_many(self.ns, self.name, [self.args_of(x) for x in xs])
        return [self.check(x, o) for x, o in zip(xs, outs, strict=True)]


def as_array(name: str, out: Any, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """The candidate's output as a real float64 array, or a Violation saying what it was."""
    if out is None:
        raise Violation(f"{name} returned None")
    try:
        arr = np.asarray(out)
    except Exception as exc:
        raise Violation(f"{name} returned {type(out).__name__}, not an array ({exc})") from None
    if arr.dtype.kind == "c":
        raise Violation(f"{name} returned complex values ({arr.dtype})")
    if arr.dtype.kind not in "fiub" and not dtypes.is_float(arr.dtype):  # bfloat16: kind V
        raise Violation(f"{name} returned {arr.dtype} values, not real numbers")
    if shape is not None and arr.shape != tuple(shape):
        with contextlib.suppress(ValueError):
            arr = np.broadcast_to(arr, shape) if arr.size == 1 and shape == () else arr
        if arr.shape != tuple(shape):
            raise Violation(f"{name} returned shape {arr.shape}, expected {tuple(shape)}")
    return arr.astype(np.float64)


def _one_line(text: str) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= 300 else line[:297] + "..."
