"""gradspec: the reference specification and conformance suite for neural-network cost
functions, activation functions and backpropagation gradients."""

from __future__ import annotations

__version__ = "0.1.0"
