"""Where gradspec keeps what it computed once (standard library only: the candidate worker's
parent imports it before anything heavy).

* :func:`user_cache_dir`: ``$XDG_CACHE_HOME/gradspec``, else ``~/.cache/gradspec``: the
  derivations, the mpmath truth store and JAX's persistent compilation cache (``jax/``).
* :func:`keep_only_recent`: what each version keeps there is named by a fingerprint, so an
  upgrade starts afresh; the files of other fingerprints go after :data:`STALE_DAYS` unused.
* ``$GRADSPEC_JAX_CACHE``: another folder for that compilation cache, or ``off`` (``0``,
  ``no``, ``false``) for none.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from pathlib import Path

CACHE_ENV = "GRADSPEC_JAX_CACHE"
#: Values of ``$GRADSPEC_JAX_CACHE`` that switch the cache off rather than name a folder.
CACHE_OFF = ("0", "off", "no", "false")
#: Files and folders of other fingerprints (other gradspec, mpmath or jax versions) unused this
#: long are removed.
STALE_DAYS = 30


def user_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/gradspec``, else ``~/.cache/gradspec``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gradspec"


def cache_off() -> bool:
    """``$GRADSPEC_JAX_CACHE`` says no persistent compilation cache at all."""
    return os.environ.get(CACHE_ENV, "").strip().lower() in CACHE_OFF


def jax_cache_dir() -> str | None:
    """The folder of JAX's persistent compilation cache: ``$GRADSPEC_JAX_CACHE``, else
    ``jax/`` in :func:`user_cache_dir`; None when switched off."""
    if cache_off():
        return None
    return os.environ.get(CACHE_ENV) or str(user_cache_dir() / "jax")


def jax_cache_env() -> dict[str, str]:
    """The environment that gives a candidate's own JAX (imported by the candidate, in its
    worker) the same persistent cache, caching even its small programs.  JAX reads these
    at import; a folder the user set (``$JAX_COMPILATION_CACHE_DIR``) wins."""
    path = jax_cache_dir()
    if path is None:
        return {}
    return {
        "JAX_COMPILATION_CACHE_DIR": path,
        "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
        "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0",
    }


def keep_only_recent(here: Path, pattern: str) -> None:
    """Mark ``here`` as used now and remove its siblings matching ``pattern`` (files or
    folders) unused for :data:`STALE_DAYS`: each upgrade starts a new one, and the old ones
    would otherwise stay for good.  Names that extend ``here``'s (a database's ``-wal``) are
    its own.  Errors are ignored (a read-only or shared cache)."""
    with contextlib.suppress(OSError):
        if here.exists():
            os.utime(here)
        cutoff = time.time() - STALE_DAYS * 86400
        for other in here.parent.glob(pattern):
            if other.name.startswith(here.name) or other.stat().st_mtime >= cutoff:
                continue
            if other.is_dir():
                shutil.rmtree(other, ignore_errors=True)
            else:
                other.unlink(missing_ok=True)
