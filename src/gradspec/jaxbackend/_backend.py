"""Backend selection: ``get_backend("jax" | "jax:cpu" | "jax:gpu")`` and the opt-in compile cache.

GPU: install the CUDA build of jaxlib with ``pip install "gradspec[cuda]"`` (the ``cuda`` extra
pulls ``jax[cuda12]``); ``jax:gpu`` then places every function on the first GPU.  Without a GPU,
``jax:gpu`` raises :class:`gradspec.errors.UsageError` naming the devices JAX does see.
"""

from __future__ import annotations

import os
import types
from collections.abc import Callable

import jax

from gradspec.cachedir import CACHE_ENV, cache_off
from gradspec.errors import UsageError

from . import _executables

_cache_dir: str | None = None


def enable_cache_from_env() -> str | None:
    """Turn on JAX's persistent compilation cache iff ``$GRADSPEC_JAX_CACHE`` names a folder
    (``off``, ``0``, ``no`` or ``false`` name none).

    Opt-in for the library (it writes to disk and changes global JAX config; ``gradspec
    verify`` turns it on in the user cache folder by default); idempotent.  Returns the
    folder in use, or None.
    """
    path = os.environ.get(CACHE_ENV)
    if not path or cache_off() or _cache_dir == path:
        return _cache_dir
    return enable_cache(path)


def enable_cache(path: str) -> str:
    """JAX's persistent compilation cache in folder ``path`` (global JAX config)."""
    global _cache_dir
    os.makedirs(path, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", path)
    # cache even the small, fast-to-compile programs (the defaults skip them)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    _executables.use(path)  # the backend's own programs, next to JAX's cache
    _cache_dir = path
    return path


def _seen_devices() -> str:
    return ", ".join(f"{d.platform}:{d.id} ({d.device_kind})" for d in jax.devices())


def device_for(spec: str):
    """The jax.Device for a backend spec, or None for the default device ("jax")."""
    spec = spec.strip().lower()
    if spec == "jax":
        return None
    platform = spec.partition(":")[2] if spec.startswith("jax:") else ""
    if platform not in ("cpu", "gpu"):
        raise UsageError(f"unknown backend {spec!r}; use jax, jax:cpu or jax:gpu")
    try:
        devices = jax.devices(platform)
    except RuntimeError:
        raise UsageError(
            f"backend {spec} asked for a {platform.upper()} but JAX sees only: {_seen_devices()}"
            ' (for NVIDIA GPUs: pip install "gradspec[cuda]")'
        ) from None
    return devices[0]


class Backend(types.SimpleNamespace):
    """The protocol functions on one device: ``b.sigmoid(z)``, ``b.autodiff.sigmoid_der(z)``.

    Attributes: ``name`` (the spec string), ``device`` (a jax.Device, None = default),
    ``functions`` (protocol name -> NumPy-facing function), ``autodiff`` (the same names with
    derivatives by JAX autodiff), ``jaxfns`` (the raw jitted functions), ``Network``.
    """

    def __repr__(self) -> str:
        where = self.device if self.device is not None else jax.devices()[0]
        return f"<gradspec JAX backend {self.name!r} ({self.kind}) on {where}>"


def make_backend(name: str, device, kind: str) -> Backend:
    from . import _impl
    from .mlp import Network

    functions: dict[str, Callable] = _impl.wrapped(kind, device)
    raw = _impl.HAND_RAW if kind == "hand" else _impl.AUTODIFF_RAW
    b = Backend(
        name=name,
        kind=kind,
        device=device,
        functions=functions,
        jaxfns=types.SimpleNamespace(**raw),
        Network=lambda arch: Network(arch, grads=kind, device=device),
        **functions,
    )
    if kind == "hand":
        b.autodiff = make_backend(name, device, "autodiff")
    else:
        from ._autodiff_ops import PRECISION_NOTES

        b.PRECISION_NOTES = dict(PRECISION_NOTES)
    return b


def get_backend(spec: str = "jax") -> Backend:
    """The JAX backend for ``spec``: "jax" (default device), "jax:cpu" or "jax:gpu".

    Raises UsageError (one line) for an unknown spec or a platform JAX does not see.
    """
    enable_cache_from_env()
    return make_backend(spec, device_for(spec), "hand")
