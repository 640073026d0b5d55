"""The backend's compiled programs kept on disk between runs, loaded without tracing or lowering.

JAX's persistent compilation cache skips XLA's compile, but not the trace and the MLIR
lowering that compute its key: ~11 ms per function and input shape, and a
``verify --profile quick`` meets ~540 of them (most of the JAX backend's warm run).  The
backend's functions are fixed code, so a compiled program can be keyed by what produced it:

* the function's name (``hand:sigmoid_der``) and its static arguments;
* the input tree, shapes and dtypes, and the x64 mode;
* a fingerprint of this package's source, the registry's expressions, jax and jaxlib, the
  device kind and the host CPU's features (XLA:CPU compiles for them).

A stored program is loaded with ``jax.experimental.serialize_executable`` in ~1.5 ms.  It is
stored only after its loaded copy gave the fresh program's bits on the call that compiled
it; a program that fails to load or to run falls back to ``jax.jit`` (and its file goes).
Programs are compiled with JAX's own cache off: an executable JAX loaded from its cache does
not serialize again (XLA:CPU drops its function table).

Where: ``executables/<fingerprint>/`` in the folder of JAX's persistent cache (folders of
other fingerprints unused for 30 days are removed), and only
while gradspec has that cache on (the commands do; a library user opts in,
:func:`gradspec.jaxbackend.enable_cache_from_env`); ``GRADSPEC_JAX_CACHE=off`` switches
both off.
Arguments already on a device (``jax.Array``) always go through ``jax.jit``.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
import platform
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jax
import numpy as np

from gradspec.cachedir import keep_only_recent
from gradspec.derivations import cache

#: The folder of JAX's persistent cache while gradspec has it on (:func:`use`), else None.
_base: str | None = None


@functools.cache
def _fingerprint() -> str:
    """What a compiled program depends on besides its own key (module docstring)."""
    import jaxlib

    h = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        h.update(path.name.encode() + path.read_bytes())
    h.update(cache.fingerprint().encode())
    h.update(f"{jax.__version__} {jaxlib.__version__} {platform.machine()}".encode())
    dev = jax.devices()[0]
    h.update(f"{dev.platform} {dev.device_kind}".encode())
    h.update(_cpu_features().encode())
    return h.hexdigest()[:16]


def _cpu_features() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return next((line for line in f if line.startswith("flags")), "")
    except OSError:
        return platform.processor()


def use(folder: str | None) -> None:
    """Keep programs under ``folder`` (that of JAX's persistent cache), or nowhere (None).
    Called by :func:`._backend.enable_cache`: opt-in for the library, on for the commands."""
    global _base
    _base = folder


def _folder() -> Path | None:
    """``executables/<fingerprint>`` in the persistent cache's folder, if it is on."""
    return None if _base is None else _under(_base)


@functools.cache
def _under(base: str) -> Path:
    """The folder for this fingerprint, marked as used now (once per process: asked on every
    call), and the folders of other fingerprints unused for ``STALE_DAYS`` removed: each
    upgrade starts a new folder."""
    root = Path(base) / "executables"
    here = root / _fingerprint()
    with contextlib.suppress(OSError):
        here.mkdir(parents=True, exist_ok=True)
    keep_only_recent(here, "*")
    return here


@contextlib.contextmanager
def _jax_cache_off() -> Iterator[None]:
    old = jax.config.jax_enable_compilation_cache
    jax.config.update("jax_enable_compilation_cache", False)
    try:
        yield
    finally:
        jax.config.update("jax_enable_compilation_cache", old)


def _leaf_key(x: Any) -> tuple:
    if isinstance(x, np.ndarray | np.generic):
        return (x.shape, x.dtype.str)
    if isinstance(x, bool | int | float):  # weakly typed: any value, one program
        return (type(x).__name__,)
    raise TypeError  # a jax.Array (placed on a device) or something unforeseen


def _same(a: Any, b: Any) -> bool:
    """The same outputs, bit for bit."""
    la, lb = jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)
    arrays = [(np.asarray(x), np.asarray(y)) for x, y in zip(la, lb, strict=False)]
    return len(la) == len(lb) and all(
        x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes() for x, y in arrays
    )


class Stored:
    """``jitted`` (a ``jax.jit`` function) called through compiled programs kept on disk.

    ``static_argnums`` / ``static_argnames``: those of ``jitted`` (part of a program's key;
    the program is called with the other arguments only)."""

    def __init__(
        self,
        name: str,
        jitted: Callable,
        static_argnums: tuple[int, ...] = (),
        static_argnames: tuple[str, ...] = (),
    ) -> None:
        self.name, self.jitted = name, jitted
        self.static_argnums = frozenset(static_argnums)
        self.static_argnames = frozenset(static_argnames)
        self._programs: dict[tuple, Callable] = {}
        self._lock = threading.Lock()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        dynamic = tuple(a for i, a in enumerate(args) if i not in self.static_argnums)
        statics = tuple(args[i] for i in sorted(self.static_argnums) if i < len(args))
        if set(kwargs) - self.static_argnames or _folder() is None:
            return self.jitted(*args, **kwargs)
        leaves, tree = jax.tree_util.tree_flatten(dynamic)
        try:
            sig = tuple(_leaf_key(x) for x in leaves)
        except TypeError:
            return self.jitted(*args, **kwargs)
        key = (str(tree), sig, statics, tuple(sorted(kwargs.items())), jax.config.jax_enable_x64)
        program = self._programs.get(key)
        if program is None:
            with self._lock:
                program = self._programs.get(key) or self._program(key, args, kwargs, dynamic)
                self._programs[key] = program
        return program(*dynamic)

    def _program(self, key: tuple, args: tuple, kwargs: dict, dynamic: tuple) -> Callable:
        """The stored program for ``key``, else a fresh compilation (stored if it loads back
        to the same bits)."""
        from jax.experimental.serialize_executable import deserialize_and_load, serialize

        folder = _folder()
        assert folder is not None
        path = folder / (hashlib.sha256(repr((self.name, key)).encode()).hexdigest()[:32] + ".bin")
        if path.is_file():
            try:
                loaded = deserialize_and_load(*pickle.loads(path.read_bytes()))
                loaded(*dynamic)  # runs: else it is compiled anew below
                return loaded
            except Exception:  # a stale, truncated or foreign file: compiled again
                with contextlib.suppress(OSError):
                    path.unlink()
        with _jax_cache_off():
            compiled = self.jitted.lower(*args, **kwargs).compile()
        try:
            blob = pickle.dumps(serialize(compiled))
            if _same(deserialize_and_load(*pickle.loads(blob))(*dynamic), compiled(*dynamic)):
                _write(path, blob)
        except Exception:  # not serializable here, or the disk refuses: used, not kept
            pass
        return compiled


def _write(path: Path, blob: bytes) -> None:
    """``blob`` into ``path`` atomically (another process may be writing it too)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
