"""Inferring the derivative convention of an activation when it is not declared.

``<act>_der`` may take the input z (the protocol's default) or the output a = f(z) (the
classic ``sigmoid_der(output) = output * (1 - output)``).  A candidate that does not declare
``<ACT>_DER_WRT`` is probed: its derivative is called on z and on a = f(z) at a few points
away from kinks and saturation, and compared with f'(z).  When the output form matches and
the input form does not, the derivative is checked as an output form, with a warning that
the convention was inferred.  When neither matches, nothing is inferred: the checks fail and
the diagnosis names the confusion, as for any wrong derivative.
"""

from __future__ import annotations

import numpy as np

from gradspec.conformance.engine.calling import as_array, call_rows
from gradspec.conformance.engine.results import Violation
from gradspec.conformance.targets.namespace import ActivationBinding, Namespace
from gradspec.derivations import truth as T

#: Probe points: inside every activation's smooth region, away from 0 (the kinks) and from
#: saturation, where input and output forms differ for every entry with an output form.
PROBE = np.array([-1.7, -0.9, -0.35, 0.4, 0.8, 1.6])

#: Relative agreement a probe must show to count as a match (far looser than rounding,
#: far tighter than the difference between the two forms, which is O(1) at these points).
MATCH = 1e-4


def _close(got: np.ndarray, want: np.ndarray) -> bool:
    return bool(np.all(np.abs(got - want) <= MATCH * (np.abs(want) + 1e-3)))


def infer(ns: Namespace, b: ActivationBinding) -> None:
    """Set ``b.der_wrt = "output"`` (and ``b.wrt_inferred``) when only the output form fits."""
    entry = b.entry
    if b.der is None or b.wrt_declared or entry.vector or entry.output_derivative is None:
        return
    z = PROBE
    d1 = T.activation_value(entry.id, z, 1)
    a = T.activation_value(entry.id, z, 0)
    try:
        on_z = as_array(b.der, call_rows(ns, b.der, (z,), z.shape), z.shape)
        on_a = as_array(b.der, call_rows(ns, b.der, (a,), z.shape), z.shape)
    except Violation:  # the checks will report it
        return
    if _close(on_a, d1) and not _close(on_z, d1):
        b.der_wrt = "output"
        b.wrt_inferred = True


def note(b: ActivationBinding) -> str:
    return (
        f"{b.der} takes the output a = {b.entry.name}(z) (inferred; declare "
        f'{b.entry.name.upper()}_DER_WRT = "output" to say so)'
    )
