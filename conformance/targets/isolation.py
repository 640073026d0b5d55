"""Run untrusted candidate code (a user's ``.py`` file or importable module) in a worker process.

A hostile or broken candidate must never crash, hang or disturb gradspec, so every import and
every call of candidate code happens in a persistent worker subprocess::

    with CandidateProcess("my_nn.py", timeout=5) as cand:
        names = cand.load()                 # {"sigmoid": "function", "COST": "half_squared"}
        a = cand.call("sigmoid", z)         # plain numpy/python result
        res = cand.call("sigmoid", z, return_args=True)   # CallResult(value, args, kwargs)

Failures raise subclasses of :class:`CandidateFailure`, each with a one-line ``reason``:
:class:`LoadError` (import failed), :class:`CandidateError` (the function raised;
:class:`CandidateBadResult` if it returned something that is not plain data),
:class:`CandidateTimeout` (worker killed) and :class:`CandidateCrashed` (worker died).
After a timeout or a crash the next call transparently starts a fresh worker that re-imports
the candidate, so the candidate's global state is reset exactly then.

The worker runs in its own session/process group (killed as a group with SIGKILL), with stdin
from /dev/null, stdout/stderr drained by a parent thread that keeps only the byte counts and the
last 2 KB (:class:`OutputStats`), and the protocol on dedicated pipes.  Replies are unpickled
with a restricted unpickler (NumPy arrays, dtypes, scalars and builtin containers only).
This is a robustness boundary, not a security sandbox: the candidate runs with the user's
permissions and can touch the file system.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import pickle
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from gradspec.cachedir import jax_cache_env
from gradspec.conformance.targets import warm

__all__ = [
    "CallResult",
    "CandidateBadResult",
    "CandidateCrashed",
    "CandidateError",
    "CandidateFailure",
    "CandidateProcess",
    "CandidateTimeout",
    "LoadError",
    "OutputStats",
    "prestart",
    "started",
]

_WORKER_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_isolation_worker.py")
_HEADER = struct.Struct("!Q")
_TAIL = 2048
_STARTUP_ALLOWANCE = 5.0  # seconds added to the import timeout for interpreter + numpy start
#: The worker's math libraries run one thread each (as Dask's workers do by default), unless
#: these are set: the checks call candidates on a few dozen numbers, where a second thread
#: only waits for a core, and on a busy machine (or with ``-j``) an OpenMP parallel region of
#: torch's then waits a scheduler slice: 7-13 ms per 8x4 log_softmax call instead of 8 us,
#: half the wall time of a torch candidate's check.  Results of these small calls do not
#: depend on the thread count (torch and OpenBLAS split work only above ~32k elements).
_ONE_THREAD = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
#: Seconds either side of a worker's pipes polls for the other's next message before it
#: sleeps (the worker for the next request, this process for a reply).  A process asleep on
#: a pipe takes ~0.1-0.4 ms to wake, more on a virtual machine whose idle CPU was halted, and
#: a check is thousands of calls of ~0.1 ms with the checks' own work in between: the
#: round trip of a small call fell from ~0.9 ms to ~0.25 ms, and a 388-check file's run from
#: 16.0 s to 10.6 s (docs/check.md, "Worker pipes").  Spinning yields the CPU to any other
#: runnable process on every try.
SPIN_S = 0.02
#: Overrides the spin, in microseconds (0: never spin).
SPIN_ENV = "GRADSPEC_SPIN_US"


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _spin_for(lanes: int | None) -> float:
    """The spin for ``lanes`` candidates checked at once on this machine (None: unknown, as
    on a cluster's worker): ``SPIN_S`` while every lane has two CPUs, one for its checks and
    one for its worker, else 0; ``$GRADSPEC_SPIN_US`` when set."""
    with contextlib.suppress(KeyError, ValueError):
        return max(0.0, float(os.environ[SPIN_ENV]) * 1e-6)
    if lanes is None or 2 * lanes > _cpus():
        return 0.0
    return SPIN_S


def _default_lanes() -> int:
    """One lane, or pytest-xdist's worker count when the pytest plugin runs under it."""
    try:
        return max(1, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
    except ValueError:
        return 1


_spin_s = _spin_for(_default_lanes()) if hasattr(os, "sched_yield") else 0.0


def set_lanes(lanes: int | None) -> None:
    """How many candidates this machine checks at once (see :func:`_spin_for`); workers
    started after the call spin accordingly."""
    global _spin_s
    _spin_s = _spin_for(lanes) if hasattr(os, "sched_yield") else 0.0


def _spin(fd: int, deadline: float) -> bool:
    """Poll ``fd`` without blocking for up to the spin (never past ``deadline``, a
    ``time.monotonic`` time), yielding the CPU between tries; True once it is readable."""
    if _spin_s <= 0:
        return False
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    end = min(time.monotonic() + _spin_s, deadline)
    while time.monotonic() < end:
        if poller.poll(0):
            return True
        os.sched_yield()
    return False


_SAFE_GLOBALS = {
    ("builtins", "complex"),
    ("builtins", "set"),
    ("builtins", "frozenset"),
    ("numpy", "dtype"),
    ("numpy", "ndarray"),
    ("ml_dtypes", "bfloat16"),  # the scalar type a bfloat16 dtype pickles by
    *((f"numpy.{core}.{mod}", fn) for core in ("core", "_core") for mod, fn in
      (("numeric", "_frombuffer"), ("multiarray", "_reconstruct"), ("multiarray", "scalar"))),
}  # fmt: skip


# ----------------------------------------------------------------- public result types


@dataclass(frozen=True)
class OutputStats:
    """What the candidate printed during one call (or up to a failure): sizes and tails."""

    stdout_bytes: int = 0
    stderr_bytes: int = 0
    stdout_tail: str = ""
    stderr_tail: str = ""

    def summary(self) -> str:
        """E.g. ``"printed 20.0 MB to stdout, 120 B to stderr"``; empty if nothing printed."""
        parts = [
            f"{_size(n)} to {name}"
            for n, name in ((self.stdout_bytes, "stdout"), (self.stderr_bytes, "stderr"))
            if n
        ]
        return "printed " + ", ".join(parts) if parts else ""


class CallResult(NamedTuple):
    """Returned by ``call(..., return_args=True)``: the result and the arguments after the call."""

    value: Any
    args: tuple
    kwargs: dict


class CandidateFailure(Exception):
    """Base class: the candidate could not be loaded or a call failed.  ``reason`` is one line."""

    def __init__(self, reason: str, *, output: OutputStats | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.output = output or OutputStats()


class LoadError(CandidateFailure):
    """Importing the candidate failed (missing, SyntaxError, raised, sys.exit, crash, timeout)."""


class CandidateError(CandidateFailure):
    """The candidate function raised.  ``where``: last frame inside the candidate, one line."""

    def __init__(
        self, reason: str, exc_type: str, message: str, where: str = "", **kw: Any
    ) -> None:
        super().__init__(reason, **kw)
        self.exc_type, self.message, self.where = exc_type, message, where


class CandidateBadResult(CandidateError):
    """The function returned something that cannot be sent back as plain numpy/python data."""


class CandidateTimeout(CandidateFailure):
    """The call did not return within ``timeout`` seconds; the worker was killed."""

    def __init__(self, reason: str, timeout: float, **kw: Any) -> None:
        super().__init__(reason, **kw)
        self.timeout = timeout


class CandidateCrashed(CandidateFailure):
    """The worker died (os._exit, sys.exit, segfault, killed ...).

    ``exit_code`` is the exit status (or the sys.exit code); ``signal`` the signal name, if any.
    """

    def __init__(
        self, reason: str, exit_code: int | str | None = None, signal: str | None = None, **kw: Any
    ) -> None:
        super().__init__(reason, **kw)
        self.exit_code, self.signal = exit_code, signal


# ----------------------------------------------------------------- helpers


def _size(n: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


def _first_line(text: str, limit: int = 200) -> str:
    line = (text.strip().splitlines() or [""])[0]
    return line if len(line) <= limit else line[: limit - 3] + "..."


class _ReplyUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _SAFE_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refused global {module}.{name}")


class _Died(Exception):
    pass


class _TimedOut(Exception):
    pass


def _encode(msg: tuple) -> bytes:
    data = pickle.dumps(msg, protocol=5)
    return _HEADER.pack(len(data)) + data


def _exited(proc: subprocess.Popen | warm.WarmProcess) -> bool:
    """Has the worker exited?  Does not reap it (so its process group id stays reserved)."""
    if isinstance(proc, warm.WarmProcess):  # reaped by the server once released
        return proc.exited()
    if proc.returncode is not None:
        return True
    if hasattr(os, "waitid"):
        try:
            return os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
        except ChildProcessError:
            return True
    return proc.poll() is not None


def _shutdown(proc: subprocess.Popen | warm.WarmProcess, fds: list[int], grace: float) -> None:
    """Close the pipes (the worker exits on EOF), then SIGKILL the whole group and reap."""
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and not _exited(proc):
        time.sleep(0.005)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # grandchildren and a worker ignoring EOF
    with contextlib.suppress(subprocess.TimeoutExpired):  # else stuck in the kernel: give up
        proc.wait(timeout=5)
    if isinstance(proc, warm.WarmProcess):
        proc.release()


class _OutputDrain:
    """Parent thread reading the worker's stdout/stderr pipes: byte counts and 2 KB tails."""

    def __init__(self, out_fd: int, err_fd: int) -> None:
        self._lock = threading.Lock()
        self._names = {out_fd: "stdout", err_fd: "stderr"}
        self._open = set(self._names)
        self._total = {"stdout": 0, "stderr": 0}
        self._tail = {"stdout": bytearray(), "stderr": bytearray()}
        for fd in self._names:
            os.set_blocking(fd, False)
            with contextlib.suppress(OSError):
                fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
        self._thread = threading.Thread(target=self._run, name="gradspec-output", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        poller = select.poll()
        for fd in self._open:
            poller.register(fd, select.POLLIN)
        while self._open:
            for fd, _ in poller.poll():
                with self._lock:
                    try:
                        data = os.read(fd, 1 << 20)
                    except BlockingIOError:
                        continue
                    except OSError:
                        data = b""
                    if not data:
                        poller.unregister(fd)
                        self._open.discard(fd)
                        os.close(fd)
                        continue
                    name = self._names[fd]
                    self._total[name] += len(data)
                    tail = self._tail[name]
                    tail += data[-_TAIL:]
                    del tail[:-_TAIL]

    def mark(self, wait: float = 1.0, reset: bool = False) -> tuple[int, int]:
        """Wait until everything written so far is counted; return the totals."""
        buf = bytearray(4)
        deadline = time.monotonic() + wait
        while True:
            with self._lock:
                pending = 0
                for fd in self._open:
                    fcntl.ioctl(fd, termios.FIONREAD, buf)
                    pending += int.from_bytes(buf, sys.byteorder)
                if not pending or time.monotonic() > deadline:
                    if reset:
                        for tail in self._tail.values():
                            tail.clear()
                    return self._total["stdout"], self._total["stderr"]
            time.sleep(0.0005)

    def since(self, start: tuple[int, int], finished: bool = False) -> OutputStats:
        """Output since ``start`` (from :meth:`mark`); ``finished``: the worker is dead."""
        if finished:
            self._thread.join(0.5)
        else:
            self.mark()
        with self._lock:
            tails = {k: v.decode("utf-8", "replace") for k, v in self._tail.items()}
            return OutputStats(
                self._total["stdout"] - start[0],
                self._total["stderr"] - start[1],
                tails["stdout"],
                tails["stderr"],
            )


def worker_env(sys_path: Sequence[str] = ()) -> dict[str, str]:
    """The environment a worker starts with: this process's, ``sys_path`` for the worker to
    put first, one thread per math library and JAX's persistent cache, unless set."""
    env = dict(os.environ, GRADSPEC_WORKER_PATH=os.pathsep.join(sys_path))
    for var in _ONE_THREAD:  # unless the user chose a number
        env.setdefault(var, "1")
    # a JAX candidate compiles its functions anew for every shape and dtype the checks
    # call them with, each run the same ones: JAX's persistent cache keeps them
    for var, value in jax_cache_env().items():
        env.setdefault(var, value)
    env["GRADSPEC_WORKER_SPIN_US"] = f"{_spin_s * 1e6:g}"  # read (and dropped) by the worker
    return env


class _Worker:
    """One worker process and its pipes.  A finalizer kills it at GC or interpreter exit."""

    def __init__(self, cwd: str, sys_path: list[str], warm_ok: bool = False) -> None:
        pipes = [os.pipe() for _ in range(5)]  # request, response, lifeline, stdout, stderr
        (req_r, req_w), (resp_r, resp_w), (life_r, life_w), (out_r, out_w), (err_r, err_w) = pipes
        env = worker_env(sys_path)
        argv = [sys.executable, "-P", _WORKER_FILE, str(req_r), str(resp_w), str(life_r)]
        try:
            proc = None
            if warm_ok and all(env[var] == "1" for var in _ONE_THREAD):
                proc = warm.spawn(cwd, sys_path, env, (req_r, resp_w, life_r, out_w, err_w))
            self.proc: subprocess.Popen | warm.WarmProcess = proc or subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=out_w, stderr=err_w, cwd=cwd, env=env,
                pass_fds=(req_r, resp_w, life_r), start_new_session=True,
            )  # fmt: skip
        except BaseException:
            for fd in (req_w, resp_r, life_w, out_r, err_r):
                os.close(fd)
            raise
        finally:
            for fd in (req_r, resp_w, life_r, out_w, err_w):
                os.close(fd)
        self._req, self._resp = req_w, resp_r
        os.set_blocking(req_w, False)
        os.set_blocking(resp_r, False)
        self.output = _OutputDrain(out_r, err_r)
        self._fds = [req_w, resp_r, life_w]
        self._finalizer = weakref.finalize(self, _shutdown, self.proc, self._fds, 0.2)

    def close(self, grace: float) -> int | None:
        """Stop the worker (SIGKILL after ``grace`` s); return its exit status."""
        if self._finalizer.detach() is not None:
            _shutdown(self.proc, self._fds, grace)
        return self.proc.returncode

    def request(self, msg: tuple | bytes, timeout: float) -> Any:
        """Send one request (a tuple, or one encoded by _encode) and return the reply.

        Raises _TimedOut or _Died."""
        deadline = time.monotonic() + timeout
        self.send(msg, deadline)
        return self.reply(deadline)

    def send(self, msg: tuple | bytes, deadline: float) -> None:
        """Send one request without waiting for its reply.  Raises _TimedOut or _Died."""
        self._write(memoryview(msg if isinstance(msg, bytes) else _encode(msg)), deadline)

    def reply(self, deadline: float) -> Any:
        """The next reply.  Raises _TimedOut or _Died."""
        (size,) = _HEADER.unpack(self._read(_HEADER.size, deadline))
        body = self._read(size, deadline)
        try:
            return _ReplyUnpickler(io.BytesIO(body)).load()
        except Exception as exc:
            raise _Died(f"sent an invalid reply ({_first_line(str(exc))})") from None

    def _wait(self, fd: int, event: int, deadline: float) -> None:
        poller = select.poll()
        poller.register(fd, event)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _TimedOut
            if poller.poll(min(left, 0.25) * 1000):
                return
            if _exited(self.proc):
                raise _Died

    def _write(self, view: memoryview, deadline: float) -> None:
        while view:
            try:
                view = view[os.write(self._req, view) :]
            except BlockingIOError:
                self._wait(self._req, select.POLLOUT, deadline)
            except (BrokenPipeError, ConnectionResetError):
                raise _Died from None

    def _read(self, n: int, deadline: float) -> bytearray:
        buf = bytearray(n)
        view, pos = memoryview(buf), 0
        while pos < n:
            try:
                got = os.readv(self._resp, [view[pos:]])
            except BlockingIOError:
                if not _spin(self._resp, deadline):
                    self._wait(self._resp, select.POLLIN, deadline)
                continue
            if got == 0:
                raise _Died
            pos += got
        return buf


# ----------------------------------------------------------------- the public class


class CandidateProcess:
    """A candidate (``.py`` path or dotted module name) imported in an isolated worker process.

    ``timeout`` is the default per-call limit in seconds (importing gets it plus a startup
    allowance).  ``paths`` are extra ``sys.path`` entries for the worker (``PYTHONPATH`` is
    inherited too).  A file's folder is the worker's cwd and first on its ``sys.path``; for a
    module name the parent's cwd is used, as with ``python -m``.

    Not thread-safe for concurrent calls (they are serialised by a lock).  ``call`` keywords
    ``timeout`` and ``return_args`` are consumed here, never passed to the candidate.
    """

    def __init__(
        self,
        target: str,
        *,
        timeout: float = 10.0,
        paths: Sequence[str] = (),
        device: str = "cpu",
    ) -> None:
        if not timeout > 0:
            raise ValueError(f"timeout must be positive, got {timeout!r}")
        self.target, self.timeout = target, float(timeout)
        #: The path reports name (``target`` unless it is a copy of the user's file).
        self.shown_as = target
        self.is_file = target.endswith(".py") or os.sep in target or os.path.isfile(target)
        if self.is_file:
            self.path: str | None = os.path.abspath(target)
            self.label = os.path.basename(target)
            self._cwd = os.path.dirname(self.path)
        else:
            self.path, self.label, self._cwd = None, target, os.getcwd()
        self._sys_path = [self._cwd, *(os.path.abspath(p) for p in paths)]
        self._settings = {"device": device}  # read by a FRAMEWORK candidate's adapter
        self._derive_table: list[tuple[str, str, int, bool, str | None]] = []
        self._network_setup: tuple[dict, dict] | None = None
        self._worker: _Worker | None = None
        #: Set while the import request is sent and its reply not yet read (:meth:`start`).
        self._load_deadline: float | None = None
        self._namespace: dict[str, Any] | None = None
        #: The functions the candidate defines itself (not those it imports), once loaded.
        self.own_functions: list[str] = []
        self._lock = threading.RLock()
        self._closed = False
        #: What the candidate printed during the last call (or import).
        self.last_output = OutputStats()
        #: Warnings the last successful call raised in the worker: [(category, message)].
        self.last_warnings: list[tuple[str, str]] = []

    def __enter__(self) -> CandidateProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"CandidateProcess({self.target!r}, pid={self.pid})"

    @property
    def pid(self) -> int | None:
        """The current worker's process id (also its process group id), or None."""
        return self._worker.proc.pid if self._worker else None

    def close(self) -> None:
        """Stop the worker: it exits on EOF, else SIGKILL to its process group.  Idempotent."""
        with self._lock:
            self._closed = True
            self._discard(grace=0.5)

    def start(self) -> None:
        """Start the worker and send it the import, without waiting for it: the candidate
        (and its torch or jax) imports while the caller does other work.  :meth:`load`
        waits for it.  Raises :class:`LoadError` only if no worker can start."""
        with self._lock:
            if self._closed:
                raise RuntimeError(f"{self!r} is closed")
            if self._worker is None:
                self._send_load()

    def load(self) -> dict[str, Any]:
        """Import the candidate in the worker; describe its public namespace.

        Returns ``{name: "function"}`` for callables (``"class"`` for classes) and
        ``{name: value}`` for simple constants (str/int/float/bool/None and lists, tuples and
        dicts of them), e.g. ``{"sigmoid": "function", "COST": "half_squared"}``.  Names come
        from ``__all__`` if the module defines it, else every name not starting with ``_``.
        Raises :class:`LoadError` with a one-line reason.
        """
        with self._lock:
            self._ensure_loaded()
            assert self._namespace is not None
            return dict(self._namespace)

    def derive(self, table: list[tuple[str, str, int, bool, str | None]]) -> None:
        """Ask a FRAMEWORK candidate's worker to define derivatives by autodiff: per row
        ``(name, of, order, jacobian, inverse)``, function ``name`` is the ``order``-th
        derivative of the candidate's ``of`` (see ``frameworks.Adapter.derivative``), or
        with ``inverse`` (a printed preimage in ``a``) the output form f'(inverse(a)).  Kept,
        and defined again in every fresh worker after a crash or timeout.  Raises
        :class:`LoadError`."""
        with self._lock:
            self._ensure_loaded()
            self._derive_table = list(table)
            self._send_derive_table()

    def network(self, functions: dict[str, str | None], settings: dict) -> dict[str, Any]:
        """Ask a FRAMEWORK candidate's worker to adapt its network to the flat protocol
        (``frameworks.network``): ``functions`` maps ``model`` / ``init_params`` / ``loss``
        / ``grads`` to the candidate's names, ``settings`` are the adapter's (the cost's
        printed expression, the reduction, the number of inputs).  The worker then answers
        ``init_params``, ``loss`` and ``grads`` itself.  Kept, and set up again in every
        fresh worker.  Returns the network's description; raises :class:`LoadError`."""
        with self._lock:
            self._ensure_loaded()
            self._network_setup = (dict(functions), dict(settings))
            return self._send_network_setup()

    def call(
        self,
        name: str,
        *args: Any,
        timeout: float | None = None,
        return_args: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Call candidate function ``name`` in the worker and return its plain result.

        Arguments are pickled (fresh copies every call).  Array-likes in the result (torch
        tensors, jax arrays) come back as numpy arrays, dicts/lists/tuples recursively.
        With ``return_args=True`` returns :class:`CallResult` whose ``args``/``kwargs`` are
        the arguments as the candidate left them (to detect in-place mutation).
        Raises :class:`CandidateError`, :class:`CandidateBadResult`, :class:`CandidateTimeout`,
        :class:`CandidateCrashed` (the next call restarts the worker) or :class:`LoadError`.
        """
        limit = self._limit(timeout)
        request = _encode(("call", name, args, kwargs, return_args))  # caller's pickling errors
        return self._exchange(name, request, 1, limit, return_args)[0]

    def call_many(
        self,
        name: str,
        arglist: Sequence[tuple],
        *,
        timeout: float | None = None,
        return_args: bool = False,
        **kwargs: Any,
    ) -> list[Any]:
        """``[call(name, *args) for args in arglist]`` in one request: the worker answers each
        call as it returns, so every call keeps its own ``timeout``, and the calls stop at
        the first failure, which raises as :meth:`call` would.  Saves a round trip per call
        (~0.3 ms), which is what a numeric gradient of a reduced cost is made of.
        ``last_warnings`` holds the warnings of all the calls."""
        limit = self._limit(timeout)
        if not arglist:
            return []
        request = _encode(("call_many", name, [tuple(a) for a in arglist], kwargs, return_args))
        return self._exchange(name, request, len(arglist), limit, return_args)

    def _limit(self, timeout: float | None) -> float:
        limit = self.timeout if timeout is None else float(timeout)
        if not limit > 0:
            raise ValueError(f"timeout must be positive, got {timeout!r}")
        return limit

    def _exchange(
        self, name: str, request: bytes, n: int, limit: float, return_args: bool
    ) -> list[Any]:
        """Send ``request`` and read its ``n`` replies (fewer when one fails), each within
        ``limit`` seconds of the one before."""
        replies = []
        with self._lock:
            self._ensure_loaded()
            worker = self._worker
            assert worker is not None
            start = worker.output.mark(reset=True)
            try:
                worker.send(request, time.monotonic() + limit)
                for _ in range(n):
                    replies.append(worker.reply(time.monotonic() + limit))
                    if replies[-1][0] != "ok":
                        break
            except _TimedOut:
                out = self._discard(start=start)
                msg = f"{name}() did not return within {limit:g} s; worker killed"
                raise CandidateTimeout(msg, limit, output=out) from None
            except _Died as died:
                raise self._crashed(f"{name}()", start, str(died)) from None
            except BaseException:  # KeyboardInterrupt etc.: never leave a half-done call
                self._discard()
                raise
            self.last_output = out = worker.output.since(start)
        warned: list = []
        results = []
        for reply in replies:
            if reply[0] != "ok":
                self.last_warnings = []
                self._raise_for(name, reply, out)
            for w in reply[4] if len(reply) > 4 else []:
                if w not in warned:
                    warned.append(w)
            results.append(CallResult(reply[1], reply[2], reply[3]) if return_args else reply[1])
        self.last_warnings = warned
        return results

    def _raise_for(self, name: str, reply: tuple, out: OutputStats) -> None:
        """Raise the failure a reply that is not "ok" stands for."""
        kind = reply[0]
        if kind == "raised":
            _, exc_type, message, where = reply
            reason = f"{name}() raised {exc_type}: {_first_line(message)}"
            reason += f" (at {where})" if where else ""
            raise CandidateError(reason, exc_type, message, where, output=out)
        if kind == "bad_result":
            raise CandidateBadResult(f"{name}(): {reply[1]}", "BadResult", reply[1], output=out)
        if kind == "exit":
            with self._lock:
                self._discard()
            where = f" (at {reply[2]})" if reply[2] else ""
            msg = f"{name}() called sys.exit({reply[1]!r}){where}; worker restarted"
            raise CandidateCrashed(msg, exit_code=reply[1], output=out)
        with self._lock:
            self._discard()
        raise CandidateCrashed(f"{name}(): worker protocol error: {reply!r:.200}", output=out)

    # ------------------------------------------------------------------ internals

    def _discard(self, grace: float = 0.0, start: tuple[int, int] = (0, 0)) -> OutputStats:
        """Kill the current worker (if any) and return its output since ``start``."""
        worker, self._worker = self._worker, None
        self._load_deadline = None
        if worker is None:
            return OutputStats()
        worker.close(grace)
        self.last_output = out = worker.output.since(start, finished=True)
        return out

    def _crashed(
        self, what: str, start: tuple[int, int], detail: str, during: str = ""
    ) -> CandidateCrashed:
        """Discard the dead worker; ``"<what>: worker was killed by SIGSEGV<during> (at ...)"``."""
        worker = self._worker
        out = self._discard(start=start)
        rc = worker.proc.returncode if worker else None
        sig = None
        if detail:
            how = detail
        elif rc is not None and rc < 0:
            try:
                sig = signal.Signals(-rc).name
            except ValueError:
                sig = f"signal {-rc}"
            how = f"was killed by {sig}"
        else:
            how = f"exited with code {rc}"
        reason = f"{what}: worker {how}{during}{self._fault_frame(out.stderr_tail)}"
        return CandidateCrashed(reason, exit_code=rc, signal=sig, output=out)

    def _fault_frame(self, stderr_tail: str) -> str:
        """The candidate frame from a faulthandler dump (segfaults), as ' (at f.py:3 in g)'."""
        pattern = r'File "([^"]+)", line (\d+) in (\S+)'
        for path, line, func in re.findall(pattern, stderr_tail):
            if self.path is None or os.path.realpath(path) == os.path.realpath(self.path):
                return f" (at {os.path.basename(path)}:{line} in {func})"
        return ""

    def _ensure_loaded(self) -> None:
        if self._closed:
            raise RuntimeError(f"{self!r} is closed")
        if self._worker is None:
            self._send_load()
        if self._load_deadline is not None:
            self._finish_load()

    def _send_load(self) -> None:
        if self.path is not None and not os.path.isfile(self.path):
            raise LoadError(f"{self.label}: file not found ({self.path})")
        try:
            worker = _Worker(self._cwd, self._sys_path, warm.eligible(self.path))
        except OSError as exc:
            raise LoadError(f"{self.label}: cannot start worker: {exc}") from None
        self._worker = worker
        kind = "file" if self.is_file else "module"
        self._load_deadline = time.monotonic() + self.timeout + _STARTUP_ALLOWANCE
        # a worker that died at once is reported by the reply (_finish_load), with its output
        request = ("load", kind, self.path or self.target, self._settings)
        with contextlib.suppress(_TimedOut, _Died):
            worker.send(request, self._load_deadline)

    def _finish_load(self) -> None:
        worker, deadline = self._worker, self._load_deadline
        assert worker is not None and deadline is not None
        self._load_deadline = None
        limit = self.timeout + _STARTUP_ALLOWANCE
        try:
            reply = worker.reply(deadline)
        except _TimedOut:
            out = self._discard()
            msg = f"{self.label}: import did not finish within {limit:g} s"
            raise LoadError(msg, output=out) from None
        except _Died as died:
            crash = self._crashed(self.label, (0, 0), str(died), " during import")
            raise LoadError(crash.reason, output=crash.output) from None
        except BaseException:
            self._discard()
            raise
        self.last_output = worker.output.since((0, 0))
        if reply[0] != "loaded":
            out = self._discard()
            raise LoadError(f"{self.label}: {_first_line(str(reply[1]), 300)}", output=out)
        self._namespace = reply[1]
        self.own_functions = list(reply[3]) if len(reply) > 3 else []
        if self._derive_table:
            self._send_derive_table()
        if self._network_setup is not None:
            self._send_network_setup()

    def _send_derive_table(self) -> None:
        worker = self._worker
        assert worker is not None
        try:
            reply = worker.request(("derive", self._derive_table), self.timeout)
        except (_TimedOut, _Died):
            self._discard()
            msg = f"{self.label}: the worker failed defining autodiff derivatives"
            raise LoadError(msg) from None
        if reply[0] != "derived":
            raise LoadError(f"{self.label}: autodiff derivatives: {_first_line(str(reply[2]))}")

    def _send_network_setup(self) -> dict[str, Any]:
        worker = self._worker
        assert worker is not None and self._network_setup is not None
        try:
            reply = worker.request(("network", *self._network_setup), self.timeout)
        except (_TimedOut, _Died):
            self._discard()
            raise LoadError(f"{self.label}: the worker failed setting up the network") from None
        if reply[0] != "network":
            where = f" (at {reply[3]})" if len(reply) > 3 and reply[3] else ""
            detail = f"{reply[1]}: {_first_line(str(reply[2]))}" if len(reply) > 2 else reply
            raise LoadError(f"{self.label}: setting up the network: {detail}{where}")
        return dict(reply[1])


# ----------------------------------------------------------------- starting early

_STARTED: dict[tuple[str, float, str], CandidateProcess] = {}


def prestart(target: str, *, timeout: float, device: str = "cpu") -> None:
    """Start importing ``target`` (a ``.py`` file) in its worker now, for the next
    :func:`started` of the same target, timeout and device: a command calls this before its
    own imports (~0.5 s), so the candidate's (torch's ~1.3 s) overlap them.  Does nothing
    where that load would fail: the load that follows reports it."""
    if not (timeout > 0 and os.path.isfile(target)):
        return
    proc = CandidateProcess(target, timeout=timeout, device=device)
    try:
        proc.start()
    except LoadError:
        proc.close()
        return
    _STARTED[(os.path.abspath(target), float(timeout), device)] = proc


def started(target: str, *, timeout: float, device: str = "cpu") -> CandidateProcess | None:
    """The process :func:`prestart` started for these arguments (handed over once), or
    None."""
    return _STARTED.pop((os.path.abspath(target), float(timeout), device), None)
