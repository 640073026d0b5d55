"""The JAX backend with every derivative by autodiff of the forward (same protocol names).

``N_der`` / ``N_der2`` are ``jax.jvp`` of the forward along ones (elementwise), ``softmax_der``
is ``vmap(jacfwd(softmax))``, ``softmax_vjp`` is ``jax.vjp``, cost derivatives are jvps in the
prediction, ``cross_entropy_logits_der`` and ``delta`` are ``jax.grad`` of the summed cost,
``N_der_output(a)`` is the autodiff derivative at the preimage f^-1(a) (the registry's
``Activation.inverse``; absent where the registry declares none).  Forwards are the same
as in :mod:`gradspec.jaxbackend`; where they carry a ``jax.custom_jvp`` (relu, abs, sigmoid,
softplus, elu) autodiff uses that rule.
"""

from __future__ import annotations

import types as _types

from . import _impl


def Network(arch):
    """A :class:`gradspec.jaxbackend.mlp.Network` whose gradients come from ``jax.grad``."""
    from .mlp import Network as _Network

    return _Network(arch, grads="autodiff")


raw: dict = _impl.AUTODIFF_RAW
jaxfns = _types.SimpleNamespace(**raw)
functions: dict = _impl.wrapped("autodiff")
globals().update(functions)

__all__ = ["Network", "functions", "jaxfns", "raw", *sorted(functions)]
