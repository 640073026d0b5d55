"""The catalog of known wrong formulas, and naming the ones a failing candidate matches.

Run only after a check failed.  For the failing function (or network) the candidate is
called again on a fixed probe input, and its output is compared with every known-wrong
formula evaluated on the same input with the reference implementation.  A formula *matches*
when the candidate is much closer to it than to the truth; each match is named, with its
place: which function, which layer, which parameter tensor, which chain-rule factor.
Diagnoses read ``"<signature id>: <what and where>"``.

Modules: :mod:`.catalog` (the entry type and its runner), :mod:`.matching` (closeness),
one module per family of detectors (:mod:`.activations`, :mod:`.costs`, :mod:`.pairs`,
:mod:`.networks`, :mod:`.state`, with :mod:`.own` shared by the first two), :mod:`.attach`
(results by id).
"""

from __future__ import annotations

from gradspec.conformance.diagnosis.attach import ENTRIES, diagnose_report
from gradspec.conformance.diagnosis.catalog import Signature, texts

#: Every signature the catalog knows: id -> the classic mistake it names.
SIGNATURES: dict[str, str] = texts(ENTRIES)

__all__ = ["ENTRIES", "SIGNATURES", "Signature", "diagnose_report"]
