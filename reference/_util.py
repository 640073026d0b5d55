"""Small helpers shared by the reference modules: dtype handling (low precision through
float32), the underflow policy and the registry's aliases."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from gradspec import dtypes, spec

#: Underflow to zero (or to a subnormal) is the correctly rounded answer for the tails the
#: reference evaluates (exp(-1e4), erfc(30), products of tiny probabilities); only overflow,
#: division by zero and invalid operations indicate a bug.  Every public function runs under
#: this so callers may use ``np.errstate(all="raise")``.  numpy derives the new error state
#: from the caller's, so the caller's other settings stay in force.
underflow_ok = np.errstate(under="ignore")


def as_float(x: np.typing.ArrayLike) -> np.ndarray:
    """``x`` as a floating array: float16/32/64 and bfloat16 kept, integers and bools become
    float64.

    ``np.asarray`` never copies an array that already has a float dtype, so callers must not
    write into the result (none does: every function here builds new arrays).
    """
    arr = np.asarray(x)
    if not dtypes.is_float(arr.dtype):  # bfloat16's NumPy kind is V, not floating
        arr = arr.astype(np.float64)
    return arr


def _low(x: object) -> bool:
    return isinstance(x, np.ndarray | np.generic) and dtypes.is_low(x.dtype)


def via_float32(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` on float16/bfloat16 arrays computed in float32 and rounded once to the input's
    dtype, as low-precision kernels do: the result is the correctly rounded float32 answer
    (error <= eps/2 of the dtype plus float32's own, 2**-13 resp. 2**-16 of it), where
    NumPy's float16 ufuncs would round after every operation and bfloat16 has no scipy
    kernels (erf).  Other inputs pass through unchanged."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        low = next((a.dtype for a in args if _low(a)), None)
        if low is None:
            return fn(*args, **kwargs)
        wide = [np.asarray(a, np.float32) if _low(a) else a for a in args]
        return np.asarray(fn(*wide, **kwargs)).astype(low)

    return wrapper


def in_float32(
    namespace: Mapping[str, object], entries: Iterable[spec.Activation | spec.Cost]
) -> dict[str, object]:
    """Every protocol function of ``entries`` that ``namespace`` defines, wrapped by
    :func:`via_float32`."""
    return {
        name: via_float32(namespace[name])
        for e in entries
        for name in spec.protocol_names(e)
        if name in namespace
    }


def like(out: np.typing.ArrayLike, dtype: np.dtype) -> np.ndarray:
    """``out`` cast back to ``dtype``: scipy kernels and numpy scalars may upcast float32."""
    return np.asarray(out, dtype=dtype)


def keep_nan(out: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``out`` with NaN wherever ``x`` is NaN: constant derivatives must still propagate NaN."""
    return np.where(np.isnan(x), x, out)


def registry_aliases(
    namespace: Mapping[str, object], entries: Iterable[spec.Activation | spec.Cost]
) -> dict[str, object]:
    """Alias protocol name -> function for every alias of ``entries`` whose canonical function
    ``namespace`` defines (silu -> swish, bce_der -> log_loss_der): the registry's ``aliases``
    are the one list of them."""
    return {
        alias: namespace[name]
        for e in entries
        for alias, name in spec.alias_names(e).items()
        if name in namespace
    }
