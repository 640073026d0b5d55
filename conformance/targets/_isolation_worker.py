"""Worker side of :mod:`gradspec.conformance.targets.isolation` (private; the child process).

Started as ``python -P _isolation_worker.py REQ_FD RESP_FD LIFE_FD`` by :class:`CandidateProcess`.
It imports only the standard library and NumPy (never ``gradspec``), imports the candidate, then
answers length-prefixed pickled requests on ``REQ_FD`` with replies on ``RESP_FD``.  A candidate
declaring ``FRAMEWORK = "torch"`` or ``"jax"`` is called through the adapter of ``frameworks.py``
(loaded from this folder by path; torch or jax are imported then, and only then).  Stdout and
stderr belong to the candidate; the protocol never touches them.  ``LIFE_FD`` is never written:
when the parent closes it (or dies) a watcher thread ends the worker at once, even mid-call.

Replies hold only plain data (strings, numbers, NumPy arrays, dicts, lists, tuples): the parent
unpickles them with a restricted unpickler, so results are converted here first.
"""

from __future__ import annotations

import contextlib
import faulthandler
import importlib
import importlib.util
import os
import pickle
import select
import struct
import sys
import threading
import time
import traceback
import warnings
from typing import Any

import numpy as np

_HEADER = struct.Struct("!Q")
_SCALARS = (type(None), bool, int, float, complex, str, bytes)
_DEFAULT_ERR = {"divide": "warn", "over": "warn", "under": "ignore", "invalid": "warn"}
_MAX_DEPTH = 64
#: Seconds the worker polls for its next request before it sleeps (see ``_await``): set by the
#: parent (``GRADSPEC_WORKER_SPIN_US``, dropped from the candidate's environment), 0: never.
_SPIN_S = 0.0
_FRAMEWORKS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "frameworks.py")


class BadResult(Exception):
    """The candidate returned something that cannot be sent back as plain data."""


def _read_exact(fd: int, n: int) -> bytes | None:
    """``n`` bytes from the non-blocking request pipe ``fd`` (None at EOF): the next request
    is awaited spinning for up to :data:`_SPIN_S`, then in ``poll``."""
    buf = bytearray(n)
    view = memoryview(buf)
    pos = 0
    while pos < n:
        try:
            got = os.readv(fd, [view[pos:]])
        except BlockingIOError:
            _await(fd)
            continue
        if got == 0:
            return None
        pos += got
    return bytes(buf)


def _await(fd: int) -> None:
    """Wait until ``fd`` is readable: polled without blocking for :data:`_SPIN_S`, yielding
    the CPU between tries, then asleep in poll (isolation.SPIN_S says why)."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    end = time.monotonic() + _SPIN_S
    while time.monotonic() < end:
        if poller.poll(0):
            return
        os.sched_yield()
    poller.poll()  # POLLHUP at EOF wakes it too


def _recv(fd: int) -> Any:
    head = _read_exact(fd, _HEADER.size)
    if head is None:
        return None
    body = _read_exact(fd, _HEADER.unpack(head)[0])
    return None if body is None else pickle.loads(body)


def _send(fd: int, obj: Any) -> None:
    try:
        data = pickle.dumps(obj, protocol=5)
    except BaseException as exc:  # e.g. a hostile __reduce__ in an object-dtype array
        data = pickle.dumps(("bad_result", f"result cannot be pickled: {type(exc).__name__}"))
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view) :]


def _watch_lifeline(fd: int) -> None:
    try:
        os.read(fd, 1)  # returns only on EOF: the parent closed it or died
    finally:
        os._exit(0)


# ----------------------------------------------------------------- conversion of results


def _plain(obj: Any, depth: int = 0) -> Any:
    """Convert a candidate's result into plain NumPy/Python data, or raise BadResult."""
    if depth > _MAX_DEPTH:
        raise BadResult("result is nested too deeply (or contains a cycle)")
    t = type(obj)
    if t in _SCALARS:
        return obj
    if t is np.ndarray or isinstance(obj, np.generic):
        if obj.dtype.hasobject:
            if all(type(x) in _SCALARS for x in np.ravel(obj)):
                return obj
            raise BadResult("result is an object-dtype array holding non-scalar objects")
        # bfloat16 (ml_dtypes, which the candidate imported) is a float: kind V, named so
        bfloat16 = obj.dtype.name == "bfloat16" and obj.dtype.names is None
        if obj.dtype.names is not None or (obj.dtype.kind in "MmV" and not bfloat16):
            raise BadResult(f"result has unsupported dtype {obj.dtype}")
        return obj
    if isinstance(obj, dict):
        return {_plain(k, depth + 1): _plain(v, depth + 1) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        items = [_plain(x, depth + 1) for x in obj]
        return items if isinstance(obj, list) else tuple(items)
    for base in (bool, int, float, complex, str, bytes):  # IntEnum, str subclasses, ...
        if isinstance(obj, base):
            return base(obj)
    if isinstance(obj, np.ndarray):  # ndarray subclasses (np.matrix, masked arrays)
        return _plain(np.asarray(obj).copy(), depth + 1)
    if hasattr(obj, "detach") and hasattr(obj, "numpy"):  # torch tensors
        return _plain(_tensor_array(obj), depth + 1)
    if hasattr(obj, "__array__") or hasattr(obj, "__array_interface__"):  # jax, cupy-on-host, ...
        return _plain(np.asarray(obj), depth + 1)
    raise BadResult(f"result of type {t.__module__}.{t.__qualname__} is not plain data")


def _tensor_array(obj: Any) -> np.ndarray:
    """A torch tensor as NumPy.  torch.bfloat16 has no NumPy dtype of its own: its 16 bits,
    viewed as int16, become ml_dtypes' bfloat16 (what the checks sent in)."""
    t = obj.detach().cpu()
    if str(t.dtype) == "torch.bfloat16":
        import ml_dtypes

        return t.view(sys.modules["torch"].int16).numpy().view(ml_dtypes.bfloat16)
    return np.asarray(t.numpy())


# ----------------------------------------------------------------- exceptions and frames


class _Candidate:
    def __init__(self) -> None:
        self.module: Any = None
        self.file = ""  # realpath of the candidate file (or module file)
        self.root = ""  # folder whose files count as "the candidate"
        self.adapter: Any = None  # frameworks.Adapter for a torch/jax candidate
        self.derived: dict[str, Any] = {}  # name -> derivative made by the framework's autodiff
        #: protocol name -> a network adapter's function, called with NumPy arrays as they are
        #: (it converts for itself): ``init_params``, ``loss``, ``grads`` of a torch module
        #: or a JAX pytree network (frameworks.TorchNetwork / JaxNetwork).
        self.native: dict[str, Any] = {}

    def where(self, tb: Any) -> str:
        """One line naming the last traceback frame inside the candidate, or ""."""
        frames = [f for f in traceback.extract_tb(tb) if f.filename != __file__]
        if not frames:
            return ""

        def real(f: traceback.FrameSummary) -> str:
            return os.path.realpath(f.filename)

        picked = [f for f in frames if real(f) == self.file] or [
            f
            for f in frames
            if self.root and real(f).startswith(self.root + os.sep) and "-packages" not in real(f)
        ]
        if not picked:
            return ""  # e.g. a failed import inside importlib: no candidate frame to show
        f = picked[-1]
        name = os.path.relpath(real(f), self.root) if self.root else os.path.basename(f.filename)
        code = f": {f.line.strip()[:100]}" if f.line else ""
        return f"{name}:{f.lineno} in {f.name}{code}"


def _describe(exc: BaseException) -> str:
    try:
        text = str(exc)
    except Exception:  # hostile __str__
        text = "<unprintable message>"
    return text


def _exc_reply(cand: _Candidate, exc: BaseException) -> tuple:
    if isinstance(exc, SystemExit):
        return ("exit", _exit_code(exc), cand.where(exc.__traceback__))
    return ("raised", type(exc).__name__, _describe(exc), cand.where(exc.__traceback__))


def _exit_code(exc: SystemExit) -> int | str:
    code = exc.code
    return code if isinstance(code, int) else (0 if code is None else str(code)[:200])


# ----------------------------------------------------------------- requests


def _is_constant(value: Any, depth: int = 0) -> bool:
    if depth > 8:
        return False
    if type(value) in (type(None), bool, int, float, str):
        return True
    if type(value) in (list, tuple):
        return len(value) <= 1000 and all(_is_constant(v, depth + 1) for v in value)
    if type(value) is dict:
        return len(value) <= 1000 and all(
            type(k) in (str, int) and _is_constant(v, depth + 1) for k, v in value.items()
        )
    return False


def _frameworks() -> Any:
    spec = importlib.util.spec_from_file_location("_gradspec_frameworks", _FRAMEWORKS_FILE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses and pickling look the module up by name
    spec.loader.exec_module(module)
    return module


def _declared_framework(module: Any) -> Any:
    manifest = getattr(module, "GRADSPEC", None)
    if isinstance(manifest, dict) and "FRAMEWORK" in manifest:
        return manifest["FRAMEWORK"]
    return getattr(module, "FRAMEWORK", None)


def _setup_framework(cand: _Candidate, settings: dict) -> str | None:
    """Make the adapter a FRAMEWORK candidate asks for; a one-line reason when impossible."""
    framework = _declared_framework(cand.module)
    if framework is None or framework == "numpy":
        return None
    fw = _frameworks()
    if framework not in fw.ROUTES:
        return f"FRAMEWORK must be 'numpy', 'torch' or 'jax', not {framework!r}"
    try:
        cand.adapter = fw.make(framework, str(settings.get("device") or "cpu"))
    except fw.DeviceError as exc:
        return str(exc)
    except ImportError as exc:
        return f"FRAMEWORK = {framework!r}, but it cannot be imported ({exc})"
    return None


def _derive(cand: _Candidate, table: list) -> tuple:
    """Define the derivatives the parent asks for: (name, of, order, jacobian, inverse) each
    (``inverse``: an output form at that printed preimage, see frameworks.Adapter)."""
    if cand.adapter is None:
        return ("raised", "ValueError", "autodiff asked for a candidate without FRAMEWORK", "")
    for name, of, order, jacobian, *inverse in table:
        func = getattr(cand.module, of, None)
        if not callable(func):
            continue
        if inverse and inverse[0]:
            cand.derived[name] = cand.adapter.output_derivative(func, inverse[0])
        else:
            cand.derived[name] = cand.adapter.derivative(func, order, jacobian)
    return ("derived", sorted(cand.derived))


def _network(cand: _Candidate, functions: dict, settings: dict) -> tuple:
    """Adapt a torch module or a JAX pytree network to the flat protocol (``functions``: the
    candidate's real names of ``model`` / ``init_params`` / ``loss`` / ``grads``); reply
    with its description, or a one-line reason."""
    if cand.adapter is None:
        return ("raised", "ValueError", "a network asked for a candidate without FRAMEWORK", "")
    own = {k: getattr(cand.module, v, None) for k, v in functions.items() if v}
    try:
        fw = sys.modules[type(cand.adapter).__module__]  # frameworks.py, loaded by path
        net = fw.network(cand.adapter, own, settings)
        description = net.describe()
    except Exception as exc:
        return _exc_reply(cand, exc)
    cand.native = {n: getattr(net, n) for n in ("init_params", "loss", "grads")}
    return ("network", _plain(description))


def _load(cand: _Candidate, kind: str, target: str, settings: dict | None = None) -> tuple:
    try:
        if kind == "file":
            cand.file = os.path.realpath(target)
            cand.root = os.path.dirname(cand.file)
            name = os.path.splitext(os.path.basename(target))[0]
            if not name.isidentifier() or name in sys.modules:
                name = "_gradspec_candidate"
            spec = importlib.util.spec_from_file_location(name, target)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
        else:
            module = importlib.import_module(target)
            cand.file = os.path.realpath(getattr(module, "__file__", None) or "")
            top = sys.modules[target.partition(".")[0]]
            top_file = getattr(top, "__file__", None)
            if top_file:
                cand.root = os.path.dirname(os.path.realpath(top_file))
                if os.path.basename(top_file) == "__init__.py":
                    cand.root = os.path.dirname(cand.root)
    except SyntaxError as exc:
        return ("load_error", f"SyntaxError: {exc.msg} (line {exc.lineno})")
    except SystemExit as exc:
        return ("load_error", f"called sys.exit({_exit_code(exc)!r}) during import")
    except BaseException as exc:
        where = cand.where(exc.__traceback__)
        return (
            "load_error",
            f"{type(exc).__name__}: {_describe(exc)}" + f" ({where})" * bool(where),
        )
    cand.module = module
    try:
        problem = _setup_framework(cand, settings or {})
    except BaseException as exc:
        problem = f"setting up FRAMEWORK failed: {type(exc).__name__}: {_describe(exc)}"
    if problem:
        return ("load_error", problem)
    names = getattr(module, "__all__", None)
    if not isinstance(names, list | tuple):
        names = [n for n in vars(module) if not n.startswith("_")]
    info: dict[str, Any] = {}
    functions: list[str] = []
    for n in names:
        value = getattr(module, str(n), None)
        if isinstance(value, type):
            info[n] = "class"
        elif callable(value):
            info[n] = "function"
            functions.append(n)
        elif _is_constant(value):
            info[n] = value
    # the functions the file defines, not those it imports (``from scipy.special import expit``)
    own = [
        n for n in functions if getattr(vars(module).get(n), "__module__", None) == module.__name__
    ]
    return ("loaded", info, functions, own)


def _call(cand: _Candidate, name: str, args: tuple, kwargs: dict, return_args: bool) -> tuple:
    native = cand.native.get(name)
    func = native or cand.derived.get(name) or getattr(cand.module, name, None)
    if not callable(func):
        return ("raised", "AttributeError", f"candidate has no callable {name!r}", "")
    np.seterr(**_DEFAULT_ERR)
    if np.geterrcall() is not None:
        np.seterrcall(None)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if cand.adapter is None or native is not None:
                result = func(*args, **kwargs)
            else:  # tensors in; the arguments as the candidate left them, still tensors
                result, args = cand.adapter.call(func, args, kwargs)
    except BaseException as exc:
        return _exc_reply(cand, exc)
    try:
        raised = _warning_texts(caught)
        if return_args:
            return ("ok", _plain(result), _plain(args), _plain(kwargs), raised)
        return ("ok", _plain(result), None, None, raised)
    except BadResult as exc:
        return ("bad_result", str(exc))
    except BaseException as exc:
        return ("bad_result", f"result cannot be converted: {type(exc).__name__}: {exc}")


def _call_many(
    cand: _Candidate, resp_fd: int, name: str, arglist: list, kwargs: dict, return_args: bool
) -> None:
    """One reply per call, sent as each call returns (the parent times each call on its
    own), stopping after the first reply that is not "ok"."""
    for args in arglist:
        try:
            reply = _call(cand, name, args, kwargs, return_args)
        except BaseException as exc:  # as in main: a bug here or a hostile __del__
            reply = ("raised", type(exc).__name__, _describe(exc), "")
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(BaseException):
                stream.flush()
        _send(resp_fd, reply)
        if reply[0] != "ok":
            return


def _warning_texts(caught: list) -> list[tuple[str, str]]:
    """Warnings the call raised, as (category name, message), deduplicated, at most 20."""
    out: list[tuple[str, str]] = []
    for w in caught:
        try:
            item = (str(getattr(w.category, "__name__", "Warning")), str(w.message)[:300])
        except Exception:  # hostile __str__
            continue
        if item not in out:
            out.append(item)
        if len(out) >= 20:
            break
    return out


def main(argv: list[str]) -> None:
    req_fd, resp_fd, life_fd = (int(a) for a in argv[:3])
    for fd in (req_fd, resp_fd, life_fd):
        os.set_inheritable(fd, False)  # programs the candidate starts must not hold them
    os.set_blocking(req_fd, False)  # requests are awaited by _await
    global _SPIN_S
    with contextlib.suppress(ValueError):
        _SPIN_S = max(0.0, float(os.environ.pop("GRADSPEC_WORKER_SPIN_US", "0")) * 1e-6)
    threading.Thread(target=_watch_lifeline, args=(life_fd,), daemon=True).start()
    faulthandler.enable(file=sys.__stderr__)
    cand = _Candidate()
    while True:
        msg = _recv(req_fd)
        if msg is None:
            break
        op = msg[0]
        if op == "call_many":
            _call_many(cand, resp_fd, *msg[1:])
            continue
        try:
            if op == "load":
                reply = _load(cand, *msg[1:])
            elif op == "call":
                reply = _call(cand, *msg[1:])
            elif op == "derive":
                reply = _derive(cand, msg[1])
            elif op == "network":
                reply = _network(cand, msg[1], msg[2])
            else:
                reply = ("protocol", f"unknown request {op!r}")
        except BaseException as exc:  # a bug in this file, or a hostile object's __del__
            reply = ("raised", type(exc).__name__, _describe(exc), "")
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(BaseException):
                stream.flush()
        _send(resp_fd, reply)
    os._exit(0)  # do not wait for the candidate's non-daemon threads or atexit hooks


if __name__ == "__main__":
    for p in reversed(os.environ.pop("GRADSPEC_WORKER_PATH", "").split(os.pathsep)):
        if p:
            sys.path.insert(0, p)
    main(sys.argv[1:])
