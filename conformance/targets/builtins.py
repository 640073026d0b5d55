"""The built-in implementations gradspec verifies: the NumPy reference and the JAX backend
(hand-written derivatives, and every derivative by autodiff)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import gradspec.reference as ref
from gradspec import spec
from gradspec.cachedir import CACHE_ENV, cache_off, jax_cache_dir
from gradspec.conformance.targets.namespace import ModuleNamespace, bind
from gradspec.conformance.targets.networks import builtin_networks
from gradspec.conformance.targets.target import Target
from gradspec.reference import mlp

#: The names ``gradspec verify --backend`` accepts (``all``: numpy, jax and jax-autodiff).
BACKENDS = ("numpy", "jax", "jax:cpu", "jax:gpu", "jax-autodiff")
ALL = ("numpy", "jax", "jax-autodiff")


def _target(label: str, module: Any, import_path: str, network: Callable) -> Target:
    ns = ModuleNamespace(module, label, import_path)
    bindings = bind(ns)
    have = ns.names()
    # A built-in should offer every protocol function of the registry: one it lacks (an entry
    # not yet written for it) is reported as missing, never an import error.
    missing = [n for n in spec.all_protocol_names() if n not in have]
    return Target(
        label,
        ns,
        bindings,
        builtin_networks(label, network),
        found=sorted(bindings.found),
        missing=missing,
        problems=list(bindings.problems),
        draws_params=True,
    )


def _persistent_compilation_cache() -> None:
    """Keep the JAX backend's compiled functions between runs (JAX's own persistent cache,
    in the user cache folder): the derandomized profiles compile the same shapes every
    run, and compiling is most of a cold run.  A cache folder the user configured is left
    as it is; ``GRADSPEC_JAX_CACHE=off`` disables ours (``=DIR``: that folder instead, set by
    the backend itself, :func:`gradspec.jaxbackend.enable_cache_from_env`)."""
    import jax

    from gradspec.jaxbackend._backend import enable_cache

    if cache_off() or os.environ.get(CACHE_ENV) or jax.config.jax_compilation_cache_dir:
        return
    enable_cache(jax_cache_dir())


def builtin(name: str) -> Target:
    """``numpy``, ``jax``, ``jax:cpu``, ``jax:gpu`` or ``jax-autodiff``."""
    if name == "numpy":
        return _target("numpy", ref, "gradspec.reference", mlp.Network)
    from gradspec.jaxbackend import get_backend  # jax: imported only when asked for

    _persistent_compilation_cache()

    if name == "jax-autodiff":
        be = get_backend("jax")
        return _target(
            "jax-autodiff", be.autodiff, "gradspec.jaxbackend.autodiff", be.autodiff.Network
        )
    be = get_backend(name)  # raises UsageError naming the devices when jax:gpu is absent
    return _target(name, be, "gradspec.jaxbackend", be.Network)
