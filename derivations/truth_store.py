"""A persistent memo of the truth oracle's evaluations, shared by runs and processes.

The profiles that gate CI are derandomized: every run of ``gradspec verify`` draws the same
inputs, so the mpmath evaluations of one run (tens of thousands of elements, each at two or
more precisions) are the next run's too.  They are kept in one SQLite file per *truth
fingerprint* in the user cache folder: the derivation fingerprint (registry expressions,
parameters, kinks, ``derive.py``, SymPy), the source of ``truth.py`` (the precision ladder),
the storage :data:`FORMAT` and the mpmath version.  Any change to those starts a new file, so
a stored value is always what the oracle would compute now.  SQLite serialises concurrent
writers (two backends verified in two processes).  The files of other fingerprints go after
30 days unused (:func:`gradspec.cachedir.keep_only_recent`).

Reads: the values a process asks for, looked up by the table's primary key in batches (one
query per array of arguments): the cost grows with what is asked, not with what the store
holds (a store of 12 million values, loaded function by function, made a warm
``verify --profile quick`` take 19-20 s instead of 10.5 s).  One connection per process.
Writes: new values are kept in memory and written in one transaction at exit (or every
:data:`FLUSH_EVERY` values), except those computed while :func:`persisting` is off: a
randomized draw (the thorough profile) turns it off around its checks, since its points would
never be asked for again and only grow the file (one store grew to 1.7 GB).  Fixed inputs and
the derandomized profiles ask the same points run after run.
``GRADSPEC_TRUTH_CACHE=off`` disables the store (the in-process memo stays); any error of
the store (read-only or full disk, a corrupt file) disables it for the rest of the run with
one line on stderr, and the oracle computes as if it were absent.
"""

from __future__ import annotations

import atexit
import contextlib
import contextvars
import hashlib
import os
import sqlite3
import struct
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import mpmath
import numpy as np

from gradspec.cachedir import keep_only_recent

from . import cache

FLUSH_EVERY = 20_000
#: Keys per lookup query: well under SQLite's limit on bound parameters (32,766).
BATCH = 500
_PERSIST: contextvars.ContextVar[bool] = contextvars.ContextVar("truth_persist", default=True)
#: The layout of a stored row (:func:`pack_args`, :func:`_pack_value`): part of the
#: fingerprint, so a change of it starts a new file.  A change of this module's other code
#: does not (it would cost every user a cold run for nothing).
FORMAT = 1
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS truth (fn TEXT, args BLOB, value BLOB, PRIMARY KEY (fn, args))"
)


def fingerprint() -> str:
    """What a stored value depends on: derivations, the oracle's code, mpmath."""
    h = hashlib.sha256()
    h.update(cache.fingerprint().encode())
    h.update(Path(__file__).with_name("truth.py").read_bytes())
    h.update(f"format {FORMAT}".encode())
    h.update(mpmath.__version__.encode())
    return h.hexdigest()[:16]


def pack_args(args: tuple[float, ...]) -> bytes:
    """The store's key of one argument tuple."""
    return struct.pack(f"<{len(args)}d", *args)


def _pack_value(value: object) -> bytes:
    """A tag byte (``s`` scalar, ``a`` the flat array of a row function), then the float64s."""
    arr = np.asarray(value, dtype=np.float64)
    return (b"s" if arr.ndim == 0 else b"a") + arr.reshape(-1).tobytes()


def _unpack_value(blob: bytes) -> object:
    if blob[:1] == b"s":  # one float64: no array built
        return np.float64(struct.unpack_from("=d", blob, 1)[0])
    return np.frombuffer(blob[1:], dtype=np.float64).copy()


class TruthStore:
    """Values by (function key, exact float64 arguments); see the module docstring."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._pending: list[tuple[str, bytes, bytes]] = []
        self._lock = threading.Lock()
        self._broken = path is None
        self._con: sqlite3.Connection | None = None
        self._pid = os.getpid()

    def _fail(self, exc: Exception) -> None:
        # Straight to stderr, not a Python warning: checks record the warnings raised while
        # they run, and this one is nobody's result.
        self._broken = True
        print(
            f"gradspec: truth cache {self.path} disabled for this run: {type(exc).__name__}: {exc}",
            file=sys.stderr,
        )

    def _connect(self) -> sqlite3.Connection:
        """The process's connection (under ``_lock``), opened on first use (and again in a
        forked child: a SQLite connection must not cross a fork)."""
        if self._con is None or self._pid != os.getpid():
            assert self.path is not None
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # used under the lock from whichever thread asks (a run's checks or its flush)
            con = sqlite3.connect(self.path, timeout=60, check_same_thread=False)
            # Write-ahead logging: readers never wait for a writer (two processes of one run).
            con.execute("PRAGMA journal_mode=WAL")
            con.execute(_SCHEMA)
            self._con, self._pid = con, os.getpid()
        return self._con

    def get_many(self, fn: str, keys: Sequence[bytes]) -> dict[bytes, object]:
        """The stored values of ``fn`` among packed ``keys`` (those absent are left out)."""
        found: dict[bytes, object] = {}
        if self._broken or not keys:
            return found
        with self._lock:
            try:
                con = self._connect()
                for i in range(0, len(keys), BATCH):
                    part = keys[i : i + BATCH]
                    marks = ",".join("?" * len(part))
                    rows = con.execute(
                        f"SELECT args, value FROM truth WHERE fn = ? AND args IN ({marks})",
                        (fn, *part),
                    ).fetchall()
                    for args, blob in rows:
                        found[args] = _unpack_value(blob)
            except (sqlite3.Error, OSError) as exc:
                self._fail(exc)
                return {}
            except (ValueError, IndexError, struct.error) as exc:  # a corrupt row
                self._fail(exc)
                return {}
        return found

    def add(self, fn: str, args: bytes, value: object) -> None:
        """Keep ``value`` for the store, if :func:`persisting` is on."""
        if self._broken or not _PERSIST.get():
            return
        with self._lock:
            self._pending.append((fn, args, _pack_value(value)))
            full = len(self._pending) >= FLUSH_EVERY
        if full:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            rows, self._pending = self._pending, []
            if not rows or self._broken:
                return
            try:
                con = self._connect()
                with con:  # one transaction
                    con.executemany("INSERT OR IGNORE INTO truth VALUES (?, ?, ?)", rows)
            except (sqlite3.Error, OSError) as exc:
                self._fail(exc)


def _open() -> TruthStore:
    if os.environ.get("GRADSPEC_TRUTH_CACHE", "").lower() in ("0", "off", "no", "false"):
        return TruthStore(None)
    path = cache.user_cache_dir() / f"truth-{fingerprint()}.sqlite"
    keep_only_recent(path, "truth-*.sqlite*")
    return TruthStore(path)


_STORE: TruthStore | None = None


def store() -> TruthStore:
    """The process's store, opened on first use and flushed at exit."""
    global _STORE
    if _STORE is None:
        _STORE = _open()
        atexit.register(_STORE.flush)
    return _STORE


@contextlib.contextmanager
def persisting(on: bool = True) -> Iterator[None]:
    """Within the block, values the oracle computes are written to the store (``on``, the
    default outside any block) or only kept in the process (see the module docstring)."""
    token = _PERSIST.set(on)
    try:
        yield
    finally:
        _PERSIST.reset(token)
