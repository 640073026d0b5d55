"""Small helpers shared by the reference modules: dtype handling, the underflow policy and the
registry's aliases."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from gradspec import spec

#: Underflow to zero (or to a subnormal) is the correctly rounded answer for the tails the
#: reference evaluates (exp(-1e4), erfc(30), products of tiny probabilities); only overflow,
#: division by zero and invalid operations indicate a bug.  Every public function runs under
#: this so callers may use ``np.errstate(all="raise")``.  numpy derives the new error state
#: from the caller's, so the caller's other settings stay in force.
underflow_ok = np.errstate(under="ignore")


def as_float(x: np.typing.ArrayLike) -> np.ndarray:
    """``x`` as a floating array: float16/32/64 kept, integers and bools become float64.

    ``np.asarray`` never copies an array that already has a float dtype, so callers must not
    write into the result (none does: every function here builds new arrays).
    """
    arr = np.asarray(x)
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    return arr


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
