"""The one type every front door checks: a :class:`Target` (a built-in implementation or a
third-party candidate), with what it offers bound to the registry."""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gradspec import spec
from gradspec.conformance.engine.calling import Namespace
from gradspec.conformance.engine.precision import float32_exact
from gradspec.conformance.targets import autodiff, framework_nets, unchecked
from gradspec.conformance.targets.autodiff import Derived, add_extras
from gradspec.conformance.targets.framework_nets import NetSetup
from gradspec.conformance.targets.framework_ns import FrameworkNamespace
from gradspec.conformance.targets.namespace import Bindings, ModuleNamespace, bind, read_params
from gradspec.conformance.targets.networks import (
    NETWORK_NAMES,
    OPTIONAL_NETWORK_NAMES,
    NetTarget,
)
from gradspec.errors import UsageError
from gradspec.reference.mlp import Arch


def _nothing() -> None:
    return None


@dataclass
class Target:
    """An implementation to check.

    ``ns`` is where its functions live (in process for built-ins, an isolated worker for
    candidates); ``bindings`` what of the registry it offers; ``networks`` the networks it
    offers; ``found`` / ``missing`` / ``problems`` are reported as they are.  ``diagnose``:
    failures are matched against the catalog of known mistakes (third-party code).
    ``close`` releases the worker.  ``routes``: how a derivative the code does not write
    was taken, per function name (``{"gelu_der": "torch.autograd"}``).  ``notes``: what the
    report should say about how the code was read (a torch module's parameters and cast, a
    reference comparison made or not and why); information, never a verdict.
    """

    label: str
    ns: Namespace
    bindings: Bindings
    networks: list[NetTarget] = field(default_factory=list)
    found: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    diagnose: bool = False
    close: Callable[[], None] = _nothing
    routes: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: Built-ins: besides the defaults, each parameterised entry is checked at values drawn
    #: per profile (:func:`.namespace.drawn`), its functions called with them.
    draws_params: bool = False

    @property
    def declared_dtypes(self) -> object:
        """The target's own ``DTYPES`` constant, if any (the dtypes it supports)."""
        return self.ns.constant("DTYPES")

    def __enter__(self) -> Target:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def third_party(
    ns: Namespace,
    *,
    close: Callable[[], None] = _nothing,
    derived: Sequence[Derived] = (),
    route: str = "",
    network: NetSetup | None = None,
) -> Target:
    """The target for third-party code behind ``ns`` (an isolated worker, or a module in
    this process): its bindings, its network if it offers one, what it lacks; its failures
    are diagnosed.  ``derived``: the derivatives ``ns`` offers by autodiff (``route``).
    ``network``: a torch module or JAX pytree network adapted to the flat protocol
    (:mod:`.framework_nets`).  UsageError (one line) when it offers nothing checkable."""
    declared = read_params(ns)
    bindings = bind(ns, declared)
    add_extras(bindings, list(derived))
    problems = list(bindings.problems)
    names = ns.names()
    networks = []
    if network is not None:
        dtype, notes = _network_dtype(ns, network.io)
        networks.append(
            NetTarget(
                network.label, ns, network.arch, (dtype,), network.warnings + notes,
                param_map=network.param_map, cost=network.cost, io=network.io,
            )
        )  # fmt: skip
    elif set(NETWORK_NAMES) <= names:
        arch = _arch(ns, problems)
        label = arch.label if arch else "network"
        dtype, notes = _network_dtype(ns)
        networks.append(NetTarget(label, ns, arch, (dtype,), notes))
    found = sorted(set(bindings.found) | ({*NETWORK_NAMES, *OPTIONAL_NETWORK_NAMES} & names))
    routes = {d.name: route for d in derived if d.name in found}
    routes |= network.routes if network is not None else {}
    found = [f"{n} ({routes[n]})" if n in routes else n for n in found]
    reductions = {"reduce", "reduce_der"} <= names
    if not (bindings.activations or bindings.costs or bindings.delta or reductions or networks):
        raise UsageError(
            f"{ns.label}: nothing checkable (no activation, cost, delta, reduce or network "
            "function under the protocol names; see docs/check.md)"
        )
    return Target(
        ns.label,
        ns,
        bindings,
        networks,
        found=found,
        missing=_missing(bindings, names, bool(networks)),
        problems=problems,
        diagnose=True,
        close=close,
        routes=routes,
        notes=[
            *(network.notes if network is not None else ()),
            *_param_notes(bindings),
            *_unchecked_note(ns, bindings, derived),
        ],
    )


def _unchecked_note(ns: Namespace, b: Bindings, derived: Sequence[Derived]) -> list[str]:
    """A note naming the candidate's own functions no check calls (:mod:`.unchecked`)."""
    own = getattr(getattr(ns, "proc", None), "own_functions", None)
    if not own:
        return []
    real = getattr(ns, "real_name", lambda n: n)
    used = {real(n) for n in b.found} | {d.name for d in derived}
    note = unchecked.note(own, used)
    return [note] if note else []


def _param_notes(b: Bindings) -> list[str]:
    """What the report says of each parameterised entry checked: the values, and whether
    they were declared (``PARAMS``) or are the registry's defaults."""
    out = []
    for binding in (*b.activations, *b.costs):
        e = binding.entry
        if not e.params or binding.derivatives_only:
            continue
        values = ", ".join(f"{k} = {spec.format_value(v)}" for k, v in e.values.items())
        how = (
            "declared in PARAMS" if e.explicit else "the registry's default; PARAMS declares others"
        )
        out.append(f"{e.name} checked at {values} ({how})")
    if b.delta and b.params:
        names = ", ".join(sorted(b.params))
        out.append(
            f"{b.delta}: the pairs of {names} checked at the PARAMS values; {b.delta} is "
            "called with the registry names and is to compute at those values, as the other "
            "functions do"
        )
    return out


def _arch(ns: Namespace, problems: list[str]) -> Arch | None:
    arch = ns.constant("ARCH")
    if arch is None:
        return None
    try:
        return Arch.from_mapping(arch)
    except (KeyError, TypeError, ValueError, spec.UnknownName) as exc:
        problems.append(f"ARCH is not usable ({type(exc).__name__}: {exc}); not compared")
        return None


def _network_dtype(ns: Namespace, io: tuple[int, int] | None = None) -> tuple[str, tuple[str, ...]]:
    """The network's working precision and a note when it was detected, not declared.

    float32 when the candidate's own parameters are float32; also when they are float64 but
    the loss and every gradient come back as float32 values (a float32 model behind a float64
    interface: evidence of float32 computation, never the size of an error).  ``io``:
    (inputs, outputs) of a network whose keys are not the reference layout's."""
    try:
        p = ns.call("init_params", 0)
        kinds = {np.asarray(v).dtype for v in p.values()} if isinstance(p, dict) else set()
    except Exception:  # the checks report it
        return "float64", ()
    if kinds == {np.dtype(np.float32)}:
        return "float32", ()
    try:
        if io is not None:
            n_in, n_out = io
        else:
            ws = sorted(k for k in p if k.startswith("W"))
            n_in, n_out = np.shape(p[ws[0]])[0], np.shape(p[ws[-1]])[1]
        rng = np.random.default_rng(7)
        X = rng.uniform(-1, 1, (6, n_in))
        Y = np.eye(n_out)[rng.integers(0, n_out, 6)] if n_out > 1 else rng.uniform(0.1, 0.9, (6, 1))
        loss = np.asarray(ns.call("loss", p, X, Y), dtype=np.float64)
        g = ns.call("grads", p, X, Y)
        vals = [loss.ravel()] + [np.asarray(v, np.float64).ravel() for v in g.values()]
    except Exception:
        return "float64", ()
    flat = np.concatenate(vals)
    live = flat[np.isfinite(flat) & (flat != 0)]
    if live.size >= 2 and float32_exact(live).all():
        return "float32", (
            "computes in float32 (float64 parameters give a loss and gradients that are all "
            "float32 values); judged against float32 rounding",
        )
    return "float64", ()


def _missing(b: Bindings, names: set[str], has_network: bool) -> list[str]:
    out = []
    for ab in b.activations:
        n = ab.entry.name
        if not ab.forward:
            out.append(n)
        if not ab.der:
            out.append(f"{n}_der")
    for cb in b.costs:
        if not cb.value:
            out.append("cost" if cb.reduction != "none" or "dcost" in names else cb.entry.name)
        if not cb.der:
            out.append(f"{cb.entry.name}_der")
    partial = [n for n in NETWORK_NAMES if n in names]
    if partial and not has_network:
        out += [n for n in NETWORK_NAMES if n not in names]
    if has_network:
        out += [n for n in ("train_step", "minibatch_grads", "ARCH") if n not in names]
    return out


def in_process(code: Any, label: str | None = None, device: str = "cpu") -> Target:
    """Third-party code already imported in this process: a module, an object, or a mapping
    of protocol names to callables and constants.  Nothing isolates it: this trusts the code
    (a hang hangs the run); paths go through an isolated worker instead.  Code declaring
    ``FRAMEWORK = "torch"`` or ``"jax"`` is called with tensors on ``device`` and gets its
    missing derivatives from autodiff, as in the worker."""
    if isinstance(code, Mapping):
        label = label or "in-process mapping"
        code = types.SimpleNamespace(**code)
    name = label or getattr(code, "__name__", type(code).__name__)
    ns = ModuleNamespace(code, name, getattr(code, "__name__", None))
    framework = ns.constant("FRAMEWORK")
    if framework is None or framework == "numpy":
        return third_party(ns)
    fns = FrameworkNamespace(code, name, framework, device)
    derived = autodiff.plan(fns.names(), fns.constant("COST"), read_params(fns))
    fns.add_derived(derived)
    net = None
    if framework_nets.wants_network(str(framework), fns.names()):
        net = framework_nets.configure(fns, str(framework))
    return third_party(fns, derived=derived, route=fns.adapter.route, network=net)
