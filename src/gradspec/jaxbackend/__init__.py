"""gradspec.jaxbackend: the whole spec, jit-compiled with JAX, under the protocol names.

Every registry activation and cost (``sigmoid``, ``sigmoid_der``, ``sigmoid_der2``,
``sigmoid_der_output``, ``softmax``, ``softmax_der`` (Jacobian), ``softmax_vjp``,
``half_squared_der``, ``log_loss_logits``, ``cross_entropy_logits`` (per row), ...), plus
``reduce``, ``reduce_der`` and ``delta(activation, cost, z, y)``, is a module-level function here:
NumPy (or jax) arrays in, NumPy arrays of the input's dtype out, called exactly like
``gradspec.reference``.  Derivatives are the hand-written formulas of the spec;
:mod:`gradspec.jaxbackend.autodiff` has the same names with derivatives by ``jax.jvp`` /
``jax.grad`` of the forwards.  ``jaxfns`` (and ``raw``) hold the jitted jax functions for
benchmarks (jax arrays in and out, no checks, dtype follows JAX's own x64 setting).

The tables are built from the registry (:func:`gradspec.spec.protocol_names`): a registry
function this backend does not implement is simply absent from ``functions``, ``raw``, the
module and every :class:`Backend` (its aliases too), and ``gradspec verify`` lists it as
missing; :func:`protocol_names` gives what is implemented.

Dtypes: float16/32/64 and bfloat16 are kept; float64 inputs run inside ``jax.enable_x64(True)``, a
thread-local context, so the global ``jax_enable_x64`` flag is never changed.  Mixed float
dtypes raise TypeError, unequal shapes ValueError (no promotion, no broadcasting).

Devices: ``get_backend("jax" | "jax:cpu" | "jax:gpu")``.  For a GPU install the CUDA jaxlib
with ``pip install "gradspec[cuda]"``; ``jax:gpu`` without one raises UsageError.
Compilation happens on first call (~0.1 s per function and shape); set
``GRADSPEC_JAX_CACHE=/some/dir`` to opt in to JAX's persistent compilation cache.
Importing this package compiles nothing.
"""

from __future__ import annotations

import types as _types

from . import _impl
from ._backend import Backend, enable_cache_from_env, get_backend
from ._impl import protocol_names


def Network(arch, *, grads: str = "hand", device=None):
    """A jitted :class:`gradspec.jaxbackend.mlp.Network` for a reference ``mlp.Arch``."""
    from .mlp import Network as _Network

    return _Network(arch, grads=grads, device=device)


raw: dict = _impl.HAND_RAW
jaxfns = _types.SimpleNamespace(**raw)
functions: dict = _impl.wrapped("hand")
globals().update(functions)

enable_cache_from_env()

__all__ = [
    "Backend",
    "Network",
    "functions",
    "get_backend",
    "jaxfns",
    "protocol_names",
    "raw",
    *sorted(functions),
]
