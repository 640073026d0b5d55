"""An elementwise candidate judged against its own forward function.

Two diagnoses of activations and costs do not compare with a known wrong formula but with the
candidate's own function ``fwd``: the derivative is the exact derivative of ``fwd`` while
``fwd`` is not the spec's function (``declared_function_differs``, a self-consistent
implementation of another function), or ``fwd`` is right and the derivative is a difference
quotient of it with a coarse step (``coarse_numeric_derivative``).  The exact derivative of
``fwd`` is Ridders' (:func:`gradspec.conformance.engine.numeric.derivative`); the coarse
quotients are the mistake itself, evaluated as the candidate would.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gradspec import dtypes
from gradspec.conformance.diagnosis.matching import close, matches
from gradspec.conformance.engine import numeric

Fn = Callable[[np.ndarray], np.ndarray]

#: Steps of the difference quotients tried as the coarse numeric derivative.
COARSE_STEPS = (1e-1, 3e-2, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6)

#: First Ridders step relative to max(1, |x|): 1e-3, as small as the steps the catalog's
#: candidates' own corners (clips, thresholds) leave room for around the probe points.
_STEP_SCALE = 0.02


def differs_text(fn: str, name: str) -> str:
    """How ``declared_function_differs`` reads for function ``fn`` declared as ``name``."""
    return (
        f"{fn} and its derivative agree with each other, but {fn} is not the spec's {name}: "
        "another parameter, approximation or definition is implemented than declared"
    )


def self_consistent(
    fwd: Fn, x: np.ndarray, spec_value: np.ndarray, der: object, dtype: np.dtype | None = None
) -> bool:
    """``fwd`` is not the spec's function, and ``der`` is its exact derivative at ``x``: the
    implementation is another function than declared, not a wrong derivative.

    No claim in float16/bfloat16 (``dtype``): ``fwd`` answers on the dtype's grid there, a
    staircase whose differences say nothing about the derivative of the function it rounds."""
    if dtype is not None and dtypes.is_low(dtype):
        return False
    with np.errstate(all="ignore"):
        own = fwd(x)
        if close(own, spec_value):
            return False
        exact, _ = numeric.derivative(fwd, x, step_scale=_STEP_SCALE)
        return close(der, exact, 1e-5)


def coarse_quotient(
    fwd: Fn, x: np.ndarray, truth: np.ndarray, got: object, dtype: np.dtype
) -> str | None:
    """Which coarse difference quotient of ``fwd`` (kind and step) ``got`` is, if any."""
    with np.errstate(all="ignore"):
        for h in COARSE_STEPS:
            for kind, w in (
                ("central", (fwd(x + h) - fwd(x - h)) / (2 * h)),
                ("forward", (fwd(x + h) - fwd(x)) / h),
            ):
                if matches(got, w, truth, dtype, ratio=0.2):
                    return f"{kind} difference with step h = {h:g}"
    return None
