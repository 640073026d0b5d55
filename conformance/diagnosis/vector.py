"""Mistakes in the Jacobian of a vector activation (softmax, log_softmax).

The candidate's Jacobian ``J[..., i, j] = d a_i / d z_j`` is called on fixed probe rows and
compared with the classic wrong Jacobians, evaluated in float64 from the rows' softmax
``p``: softmax's ``diag(p) - p p^T`` used for log_softmax, whose own is ``I - 1 p^T``, and
the transposed Jacobian (row j holding d a_j / d z_i: a vector-Jacobian product confused
with a Jacobian-vector product).  Softmax's Jacobian is symmetric, so only log_softmax can
show the transpose.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from gradspec.conformance.diagnosis.catalog import Signature
from gradspec.conformance.diagnosis.matching import matches
from gradspec.conformance.targets.namespace import ActivationBinding, Namespace

#: The probe rows: K = 3, well inside float16's range, no ties, no saturation.
PROBE_ROWS = ((-1.3, 0.4, 2.1), (0.7, -0.2, -1.6))


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_jacobian(p: np.ndarray) -> np.ndarray:
    """diag(p) - p p^T per row."""
    return p[..., :, None] * np.eye(p.shape[-1]) - p[..., :, None] * p[..., None, :]


def _log_softmax_jacobian(p: np.ndarray) -> np.ndarray:
    """I - 1 p^T per row (row i: e_i - p)."""
    return np.eye(p.shape[-1]) - p[..., None, :]


_JACOBIANS = {"softmax": _softmax_jacobian, "log_softmax": _log_softmax_jacobian}


@dataclass
class VectorProbe:
    """One vector activation's Jacobian on :data:`PROBE_ROWS`, with the truth there."""

    b: ActivationBinding
    dtype: np.dtype
    p: np.ndarray  # softmax of the rows, float64
    got: object
    truth: np.ndarray

    @property
    def where(self) -> str:
        return f"{self.b.der} ({self.b.entry.name}'s Jacobian)"


def probe(ns: Namespace, b: ActivationBinding, dtype: np.dtype, kind: str) -> VectorProbe | None:
    """The probe of a failing derivative check of a vector activation taking z."""
    jacobian = _JACOBIANS.get(b.entry.name)
    if kind != "derivative" or jacobian is None or not b.der or b.der_wrt != "input":
        return None
    z = np.asarray(PROBE_ROWS).astype(dtype)
    p = _softmax(z.astype(np.float64))
    return VectorProbe(b, dtype, p, ns.call(b.der, z), jacobian(p))


def _softmax_for_log_softmax(pr: VectorProbe) -> Iterator[str]:
    wrong = _softmax_jacobian(pr.p)
    if pr.b.entry.name == "log_softmax" and matches(pr.got, wrong, pr.truth, pr.dtype):
        yield f"{pr.where} is softmax's, diag(p) - p p^T; log_softmax's is I - 1 p^T"


def _transposed(pr: VectorProbe) -> Iterator[str]:
    if matches(pr.got, np.swapaxes(pr.truth, -1, -2), pr.truth, pr.dtype):
        yield f"{pr.where} is transposed: J[..., i, j] holds d a_j / d z_i"


ENTRIES: tuple[Signature, ...] = (
    Signature(
        "log_softmax_jacobian_as_softmax",
        "activation",
        _softmax_for_log_softmax,
        "log_softmax's Jacobian written as softmax's, diag(p) - p p^T (the softmax backward "
        "copied), where log_softmax's is I - 1 p^T",
    ),
    Signature(
        "jacobian_transposed",
        "activation",
        _transposed,
        "a vector activation's Jacobian transposed: J[i, j] = d a_j / d z_i instead of "
        "d a_i / d z_j (a vector-Jacobian product taken for a Jacobian-vector product)",
    ),
)
