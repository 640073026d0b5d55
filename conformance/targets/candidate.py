"""A third-party candidate (a ``.py`` file or an importable module) as a :class:`Namespace`.

Every call runs in an isolated worker (:class:`~.isolation.CandidateProcess`): a candidate that
raises, hangs, exits or crashes gives a :class:`~.results.Violation` with a one-line reason
(the check fails, the run goes on).  A function that timed out or killed its worker once is
not called again in the same run (its later calls fail at once with the same reason), so a
hanging function costs one timeout, not one per generated example.  NumPy warnings raised
inside the candidate (e.g. ``overflow encountered in exp``) are sent back by the worker and
re-emitted here, where the checks record them as warnings.

The manifest, for candidates whose names differ from the protocol's: a module-level dict
``GRADSPEC`` mapping protocol names to the candidate's own function names; UPPER-CASE keys
carry constants by value::

    GRADSPEC = {
        "sigmoid": "my_sig",
        "sigmoid_der": "my_sig_prime",
        "SIGMOID_DER_WRT": "output",
        "cost": "mse", "dcost": "mse_grad", "COST": "squared", "COST_REDUCTION": "mean",
        "loss": "net_loss", "grads": "backprop", "init_params": "make_params",
    }

Names not in the manifest are still discovered by the conventional names.

A candidate declaring ``FRAMEWORK = "torch"`` or ``"jax"`` is called with tensors by the
worker (:mod:`.frameworks`); the derivatives it does not write are defined in the worker by
the framework's autodiff (:mod:`.autodiff` plans them) and reported with their route.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import numpy as np

from gradspec.conformance.engine.results import Violation
from gradspec.conformance.targets import autodiff, framework_nets
from gradspec.conformance.targets.autodiff import Derived
from gradspec.conformance.targets.frameworks import ROUTES
from gradspec.conformance.targets.isolation import (
    CallResult,
    CandidateCrashed,
    CandidateFailure,
    CandidateProcess,
    CandidateTimeout,
    LoadError,
    started,
)
from gradspec.conformance.targets.namespace import read_params
from gradspec.conformance.targets.target import Target, third_party
from gradspec.errors import UsageError

MANIFEST = "GRADSPEC"
_CATEGORIES = {
    c.__name__: c for c in (RuntimeWarning, UserWarning, DeprecationWarning, FutureWarning, Warning)
}


class IsolatedNamespace:
    """The candidate's functions, called in its worker process, under protocol names."""

    def __init__(self, proc: CandidateProcess, info: dict[str, Any], label: str) -> None:
        self.proc = proc
        self.label = label
        self.functions = {n for n, v in info.items() if v == "function"}
        self.constants = {n: v for n, v in info.items() if v not in ("function", "class")}
        self.mapping: dict[str, str] = {}
        self.problems: list[str] = []
        self._poisoned: dict[str, str] = {}
        self._read_manifest(self.constants.get(MANIFEST))
        self.calls = 0
        self.derived: set[str] = set()  # functions the worker defines by autodiff
        self.adapted = False  # init_params, loss, grads are a network adapter's

    def _read_manifest(self, manifest: Any) -> None:
        if manifest is None:
            return
        if not isinstance(manifest, dict):
            raise UsageError(f"{self.label}: {MANIFEST} must be a dict, not {type(manifest)}")
        for key, value in manifest.items():
            if not isinstance(key, str):
                raise UsageError(f"{self.label}: {MANIFEST} keys must be strings, not {key!r}")
            if key.isupper():
                self.constants[key] = value
            elif not isinstance(value, str) or value not in self.functions:
                raise UsageError(
                    f"{self.label}: {MANIFEST} maps {key!r} to {value!r}, "
                    "which is not a function defined by the candidate"
                )
            else:
                self.mapping[key] = value

    # --- the Namespace protocol -----------------------------------------------------------

    def names(self) -> set[str]:
        names = self.functions | set(self.mapping) | self.derived
        return names | {k for k in self.constants if k != MANIFEST}

    @property
    def framework(self) -> str | None:
        """``"torch"`` or ``"jax"`` when the candidate declares ``FRAMEWORK`` (the worker
        validated it at load), else None (NumPy)."""
        fw = self.constants.get("FRAMEWORK")
        return None if fw in (None, "numpy") else str(fw)

    def add_derived(self, table: list[Derived]) -> None:
        """Have the worker define ``table``'s derivatives by the framework's autodiff."""
        rows = [d.row(self.real_name(d.of)) for d in table]
        try:
            self.proc.derive(rows)
        except LoadError as exc:
            raise UsageError(exc.reason) from None
        self.derived |= {d.name for d in table}

    def configure_network(self, functions: dict[str, str | None], settings: dict) -> dict:
        """Have the worker adapt the candidate's torch module or JAX pytree network to the
        flat protocol (:func:`.framework_nets.configure` drives it): ``init_params``,
        ``loss`` and ``grads`` are then the worker's.  Returns its description."""
        try:
            desc = self.proc.network(functions, settings)
        except LoadError as exc:
            raise UsageError(exc.reason) from None
        self.derived |= {"init_params", "loss", "grads"}
        self.adapted = True
        return desc

    def constant(self, name: str, default: Any = None) -> Any:
        return self.constants.get(name, default)

    def real_name(self, name: str) -> str:
        if name in self.derived:  # the worker's own function, under the protocol name
            return name
        return self.mapping.get(name, name)

    def call(self, name: str, *args: Any) -> Any:
        return self._call(name, args)

    def call_many(self, name: str, arglist: list[tuple]) -> list[Any]:
        """``[self.call(name, *args) for args in arglist]`` in one round trip to the worker
        (the numeric gradient of a reduced cost is ~100 calls per example)."""
        return [res.value for res in self._results(name, arglist)]

    def call_with_args(self, name: str, *args: Any) -> tuple[Any, tuple]:
        """The result and the arguments as the candidate left them (mutation checks)."""
        res = self._call(name, args, return_args=True)
        return res.value, res.args

    def import_line(self, name: str) -> str:
        if self.adapted and name in ("init_params", "loss", "grads"):
            return (
                f"# {name}: gradspec's adapter of your {self.framework} network, called with "
                "NumPy arrays (see docs/check.md, networks)"
            )
        if name in self.derived:
            route = ROUTES.get(self.framework or "", "autodiff")
            return f"# {name}: {route} of the forward (gradspec takes it; see docs/check.md)"
        real = self.real_name(name)
        alias = f" as {name}" if real != name else ""
        if self.proc.is_file:
            mod = os.path.splitext(os.path.basename(self.proc.target))[0]
            return f"from {mod} import {real}{alias}  # run next to {self.proc.shown_as}"
        return f"from {self.proc.target} import {real}{alias}"

    # --- internals ------------------------------------------------------------------------

    def _call(self, name: str, args: tuple, return_args: bool = False) -> Any:
        res = self._results(name, [args])[0]
        return res if return_args else res.value

    def _results(self, name: str, arglist: list[tuple]) -> list[CallResult]:
        """The calls of ``name`` in the worker (one request), each as a CallResult; a
        candidate failure is a Violation, and after a timeout or crash ``name`` is not
        called again.  The candidate's warnings are re-raised here, its in-place changes
        written back into the caller's arguments."""
        if name in self._poisoned:
            raise Violation(self._poisoned[name])
        real = self.real_name(name)
        self.calls += len(arglist)
        try:
            if len(arglist) == 1:
                results = [self.proc.call(real, *arglist[0], return_args=True)]
            else:
                results = self.proc.call_many(real, arglist, return_args=True)
        except (CandidateTimeout, CandidateCrashed) as exc:
            self._poisoned[name] = f"{exc.reason} (not called again in this run)"
            raise Violation(exc.reason) from None
        except CandidateFailure as exc:
            raise Violation(exc.reason) from None
        for category, message in self.proc.last_warnings:
            warnings.warn(message, _CATEGORIES.get(category, RuntimeWarning), stacklevel=3)
        for args, res in zip(arglist, results, strict=True):
            for before, after in zip(args, res.args, strict=False):
                _write_back(before, after)
        return results


def _write_back(before: Any, after: Any) -> None:
    """Give the caller's arguments the candidate's in-place changes, as an in-process call
    would (the worker received copies): mutation checks then see what the candidate did."""

    if isinstance(before, np.ndarray) and isinstance(after, np.ndarray):
        if (
            before.shape == after.shape
            and before.flags.writeable
            and not np.array_equal(before, after, equal_nan=True)
        ):
            np.copyto(before, after, casting="unsafe")
    elif isinstance(before, dict) and isinstance(after, dict):
        for k, v in before.items():
            if k in after:
                _write_back(v, after[k])
    elif isinstance(before, list) and isinstance(after, list):
        for b, a in zip(before, after, strict=False):
            _write_back(b, a)


def load(
    target: str, *, timeout: float = 10.0, device: str = "cpu", shown_as: str | None = None
) -> Target:
    """Import ``target`` in a worker and bind what it defines; UsageError if it cannot be
    checked at all (missing file, import failure, nothing checkable, a ``FRAMEWORK``
    candidate asking for a ``device`` that does not exist), as one line.  ``shown_as``:
    the path reproducers name, when ``target`` is a copy of that file."""
    if (target.endswith(".py") or os.sep in target) and not os.path.isfile(target):
        raise UsageError(f"{target}: no such file")
    proc = started(target, timeout=timeout, device=device) or CandidateProcess(
        target, timeout=timeout, device=device
    )
    proc.shown_as = shown_as or target
    try:
        info = proc.load()
    except LoadError as exc:
        proc.close()
        raise UsageError(exc.reason) from None
    try:
        ns = IsolatedNamespace(proc, info, proc.label)
        if ns.framework is None:
            return third_party(ns, close=proc.close)
        derived = autodiff.plan(ns.names(), ns.constant("COST"), read_params(ns))
        ns.add_derived(derived)
        route = ROUTES[ns.framework]
        net = None
        if framework_nets.wants_network(ns.framework, ns.names()):
            net = framework_nets.configure(ns, ns.framework)
        return third_party(ns, close=proc.close, derived=derived, route=route, network=net)
    except BaseException:
        proc.close()
        raise
