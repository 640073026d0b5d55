"""The warm start of candidate workers (private; a detached process, see :mod:`.warm`).

Started as ``python -P _warm_server.py NAME IDLE`` with the environment a worker gets.  It
imports what workers import (NumPy, the worker's own code, torch and jax when installed:
~1.1 s each, most of a ``gradspec check`` of a torch or JAX file), then serves the abstract
Unix socket ``NAME``, to connections of its own user only.

One connection asks for one worker.  It passes the worker's five descriptors (request,
response, lifeline, stdout, stderr) and a pickled ``(cwd, sys_path, environ)``; the server
forks, and the child becomes what ``python -P _isolation_worker.py`` would be: its own session
and process group, stdin from /dev/null, those descriptors, that folder, environment and
``sys.path``, fresh random seeds.  The server replies with the child's pid, and with its exit
status (as ``Popen.returncode``) when it exits; it reaps the child only once the client has
closed the connection, so that the child's process group id stays reserved for the client's
``killpg``.  The server itself is single-threaded (a fork copies only the calling thread) and
exits after ``IDLE`` seconds without a connection or a live child.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pickle
import random
import selectors
import signal
import socket
import struct
import sys
import time
import traceback

_HERE = os.path.dirname(os.path.abspath(__file__))
_HEADER = struct.Struct("!Q")
_STATUS = struct.Struct("!q")
_MAX_REQUEST = 1 << 24


def _load_worker() -> object:
    spec = importlib.util.spec_from_file_location(
        "_gradspec_isolation_worker", os.path.join(_HERE, "_isolation_worker.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _preload() -> None:
    """Import what candidates import; a framework that fails to import is left out."""
    for name in ("torch", "jax", "jax.numpy", "ml_dtypes"):
        if importlib.util.find_spec(name.split(".")[0]) is None:
            continue
        with contextlib.suppress(Exception):
            importlib.import_module(name)


def _recv_request(conn: socket.socket) -> tuple[tuple, list[int]]:
    data, fds, _, _ = socket.recv_fds(conn, 1 << 16, 5)
    buf = bytearray(data)
    if len(buf) < _HEADER.size:
        raise ValueError("short request")
    (n,) = _HEADER.unpack_from(buf)
    if n > _MAX_REQUEST:
        raise ValueError("request too large")
    while len(buf) < _HEADER.size + n:
        more = conn.recv(_HEADER.size + n - len(buf))
        if not more:
            raise ValueError("truncated request")
        buf += more
    if len(fds) != 5:
        raise ValueError(f"{len(fds)} descriptors, not 5")
    return pickle.loads(bytes(buf[_HEADER.size :])), fds


def _become_worker(worker: object, request: tuple, fds: list[int], keep: set[int]) -> None:
    """In the forked child: set up as a fresh worker process would be, then serve."""
    cwd, sys_path, environ = request
    req, resp, life, out, err = fds
    os.setsid()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)  # as CPython sets it at start-up
    for fd in keep:  # the server's socket, its connections and their pidfds
        with contextlib.suppress(OSError):
            os.close(fd)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(out, 1)
    os.dup2(err, 2)
    for fd in (devnull, out, err):
        if fd > 2:
            os.close(fd)
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(environ)
    sys.path[:0] = [p for p in sys_path if p]
    sys.argv = [os.path.join(_HERE, "_isolation_worker.py"), str(req), str(resp), str(life)]
    random.seed()
    np = sys.modules.get("numpy")
    if np is not None:
        np.random.seed()
    worker.main(sys.argv[1:])  # type: ignore[attr-defined]


class _Child:
    def __init__(self, conn: socket.socket, pid: int, pidfd: int) -> None:
        self.conn, self.pid, self.pidfd = conn, pid, pidfd
        self.exited = False
        self.client_gone = False


def _returncode(pid: int) -> int | None:
    info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    if info is None:
        return None
    if info.si_code == os.CLD_EXITED:
        return info.si_status
    return -info.si_status


def serve(name: str, idle: float) -> None:
    os.chdir("/")  # hold no folder of the user's
    # A second server for the same name exits here while the first preloads: the "starting"
    # name is held from the first moment, the serving name only once the imports are done.
    starting = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        starting.bind("\0" + name + ".starting")
    except OSError:
        return
    worker = _load_worker()
    _preload()
    if len(os.listdir("/proc/self/task")) > 1:
        return  # a library started a thread (a thread pool the user sized): forking is unsafe
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind("\0" + name)
    except OSError:
        return
    listener.listen(64)
    starting.close()
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ, None)
    children: dict[int, _Child] = {}  # by pid
    last = time.monotonic()
    while True:
        timeout = None if children else max(0.0, last + idle - time.monotonic())
        events = sel.select(timeout)
        if not events and not children and time.monotonic() >= last + idle:
            return
        for key, _ in events:
            tag = key.data
            if tag is None:
                with contextlib.suppress(OSError):
                    conn, _ = listener.accept()
                    last = time.monotonic()
                    _start(conn, worker, listener, sel, children)
            elif tag[0] == "exit":
                child = tag[1]
                child.exited = True
                sel.unregister(child.pidfd)
                if child.client_gone:
                    _reap(child, children)
                else:
                    rc = _returncode(child.pid)
                    with contextlib.suppress(OSError):
                        child.conn.sendall(_STATUS.pack(-(1 << 62) if rc is None else rc))
            else:  # the client's end: readable means closed (it never writes again)
                child = tag[1]
                sel.unregister(child.conn)
                child.client_gone = True
                if child.exited:
                    _reap(child, children)
        last = time.monotonic() if events else last


def _start(conn: socket.socket, worker: object, listener: socket.socket, sel, children) -> None:
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _, uid, _ = struct.unpack("3i", creds)
    fds: list[int] = []
    try:
        if uid != os.getuid():
            raise PermissionError("another user")
        conn.settimeout(2.0)  # a client that connects and says nothing must not stall the rest
        request, fds = _recv_request(conn)
        conn.settimeout(None)
        keep = {listener.fileno(), conn.fileno(), sel.fileno()}
        for c in children.values():
            keep |= {c.conn.fileno(), c.pidfd}
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        pid = os.fork()
        if pid == 0:
            try:
                _become_worker(worker, request, fds, keep)
            except BaseException:
                with contextlib.suppress(BaseException):
                    traceback.print_exc()
            os._exit(70)
        pidfd = os.pidfd_open(pid)
    except Exception:
        conn.close()
        return
    finally:
        for fd in fds:
            os.close(fd)
    child = _Child(conn, pid, pidfd)
    children[pid] = child
    conn.sendall(_STATUS.pack(pid))
    sel.register(pidfd, selectors.EVENT_READ, ("exit", child))
    sel.register(conn, selectors.EVENT_READ, ("client", child))


def _reap(child: _Child, children: dict[int, _Child]) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(child.pid, 0)
    for close in (child.conn.close, lambda: os.close(child.pidfd)):
        with contextlib.suppress(OSError):
            close()
    children.pop(child.pid, None)


if __name__ == "__main__":
    serve(sys.argv[1], float(sys.argv[2]))
