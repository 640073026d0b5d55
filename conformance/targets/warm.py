"""Candidate workers forked from a warm server instead of started cold.

A cold worker is a new interpreter that imports NumPy, then the candidate and its torch or
jax: ~1.1 s of the 1.5-1.8 s a ``gradspec check`` of a small torch file takes, even though the
command's own imports overlap it.  A warm worker is forked from a server that has imported
them already (``_warm_server.py``): the first check starts the server in the background and
runs cold; the checks that follow within :data:`IDLE_S` seconds of the last one get forked
workers.  The child is set up as a fresh worker would be (session, descriptors, folder,
environment, ``sys.path``, random seeds), and is isolated the same way: its crash, hang or
output is its own, and it is killed as a process group.

Used only when all hold (otherwise the worker starts cold, as before):

* switched on in this process (:func:`enable`; ``gradspec check`` does) and not off in the
  environment: ``GRADSPEC_WARM_WORKER=off`` (``0``, ``no``, ``false``) disables it, a number
  sets the server's idle lifetime in seconds;
* Linux (the server waits on process descriptors, ``os.pidfd_open``);
* the candidate is a ``.py`` file whose source never mentions ``environ`` or ``putenv``: a
  file that sets ``JAX_ENABLE_X64`` or ``OMP_NUM_THREADS`` before importing jax or torch must
  import them itself, after its own setting;
* the math libraries run one thread each (gradspec's default for workers; the caller,
  :mod:`.isolation`, asks only then): a process with thread pools cannot be forked safely.

One server serves one user and one setting: its socket name digests the interpreter, the
worker's environment, the server's and the worker's code and the installed NumPy, torch, jax
and ml_dtypes, so an upgrade or another environment gets a server of its own (an old one exits
when idle).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import os
import pickle
import select
import signal
import socket
import struct
import subprocess
import sys
import time

_HERE = os.path.dirname(os.path.abspath(__file__))
_SERVER = os.path.join(_HERE, "_warm_server.py")
_HEADER = struct.Struct("!Q")
_STATUS = struct.Struct("!q")
ENV = "GRADSPEC_WARM_WORKER"
#: Seconds a server stays up after its last worker: an edit-and-check session's pauses.
IDLE_S = 900.0
#: Environment variables that change from shell to shell without changing what a worker
#: imports: passed to the child, not part of the server's identity.
_VOLATILE = (
    "PWD", "OLDPWD", "_", "SHLVL", "COLUMNS", "LINES", "GRADSPEC_WORKER_PATH",
    "GRADSPEC_WORKER_SPIN_US", "PYTEST_CURRENT_TEST",
)  # fmt: skip
#: Seconds to wait for a server's answer before starting the worker cold.
_ANSWER_S = 2.0
#: A process starts a missing server at most this often.
_RESTART_S = 10.0

_enabled = False
_last_start: dict[str, float] = {}


def enable(on: bool = True) -> None:
    """Let this process's workers be forked from a warm server (see the module docstring)."""
    global _enabled
    _enabled = on


def enabled() -> bool:
    """Whether :func:`enable` switched warm workers on in this process."""
    return _enabled


def _idle() -> float | None:
    """The server's idle lifetime, or None when warm workers are off."""
    if not _enabled or not hasattr(os, "pidfd_open"):
        return None
    value = os.environ.get(ENV, "").strip().lower()
    if value in ("0", "off", "no", "false"):
        return None
    try:
        return float(value) if value else IDLE_S
    except ValueError:
        return IDLE_S


def eligible(path: str | None) -> bool:
    """A candidate file that may run in a forked worker (see the module docstring)."""
    if path is None or _idle() is None:
        return False
    try:
        with open(path, "rb") as f:
            source = f.read()
    except OSError:
        return False
    return b"environ" not in source and b"putenv" not in source


@functools.cache
def _installed() -> bytes:
    """Where NumPy, torch, jax and ml_dtypes are installed, and when they last changed."""
    parts = []
    for name in ("numpy", "torch", "jax", "jaxlib", "ml_dtypes"):
        spec = importlib.util.find_spec(name)
        origin = getattr(spec, "origin", None) or ""
        with contextlib.suppress(OSError):
            origin += f"@{os.stat(origin).st_mtime_ns}"
        parts.append(f"{name}={origin}")
    for path in (_SERVER, os.path.join(_HERE, "_isolation_worker.py")):
        with open(path, "rb") as f:
            parts.append(hashlib.sha256(f.read()).hexdigest())
    return "\n".join(parts).encode()


def _name(env: dict[str, str]) -> str:
    h = hashlib.sha256(sys.executable.encode())
    h.update(_installed())
    for key in sorted(env):
        if key not in _VOLATILE:
            h.update(f"{key}={env[key]}\0".encode())
    return f"gradspec-warm-{os.getuid()}-{h.hexdigest()[:20]}"


class WarmProcess:
    """A worker forked by the server: what :class:`subprocess.Popen` gives the isolation
    layer (``pid``, ``returncode``, ``poll``, ``wait``), read from the server's connection."""

    def __init__(self, conn: socket.socket, pid: int) -> None:
        self._conn, self.pid = conn, pid
        self.returncode: int | None = None
        #: The server went away before the worker's status came (the status is unknown).
        self.lost = False

    def _status(self, timeout: float | None) -> bool:
        """Has the worker exited (waiting up to ``timeout`` s for the server to say so)?"""
        if self.returncode is not None or self.lost:
            return True
        if not select.select([self._conn], [], [], timeout)[0]:
            return False
        data = b""
        with contextlib.suppress(OSError):
            data = self._conn.recv(_STATUS.size, socket.MSG_WAITALL)
        if len(data) == _STATUS.size:
            (self.returncode,) = _STATUS.unpack(data)
            return True
        try:  # the server died: the worker, now init's, is alive until it cannot be signalled
            os.kill(self.pid, 0)
        except ProcessLookupError:
            self.lost = True
            return True
        except PermissionError:
            pass
        return False

    def exited(self) -> bool:
        return self._status(0)

    def poll(self) -> int | None:
        self._status(0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._status(0.05 if deadline is None else max(0.0, deadline - time.monotonic())):
            if deadline is not None and time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(_SERVER, timeout or 0.0)
        return self.returncode

    def release(self) -> None:
        """Let the server reap the worker (after the caller's last ``killpg``)."""
        with contextlib.suppress(OSError):
            self._conn.close()


def spawn(
    cwd: str, sys_path: list[str], env: dict[str, str], fds: tuple[int, int, int, int, int]
) -> WarmProcess | None:
    """A worker forked from the warm server for ``env``, given the descriptors (request,
    response, lifeline, stdout, stderr; the caller keeps and closes its own copies), or None
    (no server yet: one is started for the next call; or warm workers are off)."""
    idle = _idle()
    if idle is None:
        return None
    name = _name(env)
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.settimeout(_ANSWER_S)
        try:
            conn.connect("\0" + name)
        except OSError:
            conn.close()
            _start_server(name, env, idle)
            return None
        child_env = {k: v for k, v in env.items() if k != "GRADSPEC_WORKER_PATH"}
        payload = pickle.dumps((cwd, list(sys_path), child_env), protocol=5)
        socket.send_fds(conn, [_HEADER.pack(len(payload)) + payload], list(fds))
        data = conn.recv(_STATUS.size, socket.MSG_WAITALL)
        if len(data) != _STATUS.size:
            conn.close()
            return None
        conn.settimeout(None)
        return WarmProcess(conn, _STATUS.unpack(data)[0])
    except OSError:
        conn.close()
        return None


def _server_pid(env: dict[str, str]) -> int | None:
    """The pid of the server for ``env``, if one is serving."""
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect("\0" + _name(env))
        creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        return struct.unpack("3i", creds)[0]
    except OSError:
        return None
    finally:
        conn.close()  # a connection that asks for nothing: the server drops it


def ready(env: dict[str, str], timeout: float) -> int | None:
    """Start the server for ``env`` if none serves, and wait up to ``timeout`` s for it;
    its pid, or None (warm workers off, or it did not come up)."""
    idle = _idle()
    if idle is None:
        return None
    deadline = time.monotonic() + timeout
    while (pid := _server_pid(env)) is None and time.monotonic() < deadline:
        _start_server(_name(env), env, idle)
        time.sleep(0.05)
    return pid


def stop(env: dict[str, str]) -> bool:
    """Stop the server for ``env`` (its live workers go on); whether one was serving."""
    pid = _server_pid(env)
    if pid is None:
        return False
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGTERM)
    return True


def _start_server(name: str, env: dict[str, str], idle: float) -> None:
    """Start the server for ``name`` in its own session, detached (at most every
    :data:`_RESTART_S` s per process; a second server for one name exits at once)."""
    now = time.monotonic()
    if now - _last_start.get(name, -_RESTART_S) < _RESTART_S:
        return
    _last_start[name] = now
    server_env = {k: v for k, v in env.items() if k != "GRADSPEC_WORKER_PATH"}
    argv = [sys.executable, "-P", _SERVER, name, repr(idle)]
    quiet = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)]
    with contextlib.suppress(OSError):  # no server: workers keep starting cold
        os.posix_spawn(sys.executable, argv, server_env, file_actions=quiet, setsid=True)
