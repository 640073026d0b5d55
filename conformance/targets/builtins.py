"""The built-in implementations gradspec verifies: the NumPy reference and the JAX backend
(hand-written derivatives, and every derivative by autodiff)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gradspec.conformance.targets.namespace import ModuleNamespace
from gradspec.conformance.targets.networks import builtin_networks


@dataclass
class Target:
    label: str
    namespace: Any
    networks: list = field(default_factory=list)


def builtin(name: str) -> Target:
    """``numpy``, ``jax``, ``jax:cpu``, ``jax:gpu`` or ``jax-autodiff``."""
    if name == "numpy":
        import gradspec.reference as ref
        from gradspec.reference import mlp

        return Target(
            "numpy",
            ModuleNamespace(ref, "numpy", "gradspec.reference"),
            builtin_networks("numpy", mlp.Network),
        )
    from gradspec.jaxbackend import get_backend

    if name == "jax-autodiff":
        be = get_backend("jax")
        ns = ModuleNamespace(be.autodiff, "jax-autodiff", "gradspec.jaxbackend.autodiff")
        nets = builtin_networks("jax-autodiff", be.autodiff.Network)
        return Target("jax-autodiff", ns, nets)
    be = get_backend(name)  # raises UsageError naming the devices when jax:gpu is absent
    ns = ModuleNamespace(be, name, "gradspec.jaxbackend")
    return Target(name, ns, builtin_networks(name, be.Network))
