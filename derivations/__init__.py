"""SymPy derivations of the spec registry, their cache, mpmath ground truth and rendering.

>>> from gradspec.derivations import load, truth
>>> d = load()                      # cached; derives afresh if the registry changed
>>> d.pairs["sigmoid+log_loss"]["display"]
a - y
>>> float(truth.activation_value("sigmoid", 0.0))
0.5
"""

from __future__ import annotations

from . import truth
from .cache import fingerprint, load, write_shipped
from .derive import Derived, derive_all

__all__ = [
    "Derived",
    "derive_all",
    "fingerprint",
    "load",
    "truth",
    "write_shipped",
]
