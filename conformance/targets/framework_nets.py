"""Networks written in PyTorch or JAX, checked as they are: the parent's side.

A ``FRAMEWORK = "torch"`` candidate defining ``model(seed) -> torch.nn.Module`` (mapping X of
shape (N, inputs) to outputs (N, outputs)) with ``ARCH`` naming the cost and reduction, or a
``FRAMEWORK = "jax"`` candidate whose ``init_params(seed)`` returns any pytree of arrays (with
``loss(params, X, Y)`` and optionally ``grads``), is adapted in its worker to the flat network
protocol (:class:`.frameworks.TorchNetwork`, :class:`.frameworks.JaxNetwork`): the network
checks then see one dict of NumPy arrays keyed by the module's ``named_parameters()``
(``0.weight``) or the pytree's key paths (``layers[0].W``), and localise a failure to those.

The cost of a torch module comes from the registry, never from the candidate: the worker
cannot import gradspec, so :func:`cost_source` prints the registry's SymPy expression as a
Python expression (``log(1 + x)`` rewritten as ``log1p(x)``) and the worker evaluates it with
torch's functions (:func:`.frameworks.cost_function`).  The loss is then ordinary torch code,
``torch.autograd.grad`` flows through the module and the cost together, and the loss is
exactly the reference network's definition (the cost summed over the outputs, then summed or
averaged over the examples).

The reference comparison needs ``ARCH`` and a mapping of the parameters to the reference
layout.  An ``nn.Sequential`` of ``Linear`` and known activation modules has one
(:data:`TORCH_ACTIVATIONS`; ``W{i} = <index>.weight.T``, ``b{i} = <index>.bias``) and its sizes
and activations are read from the module: an ``ARCH`` saying otherwise is a usage error.  A
JAX pytree has one when its keys are the reference layout itself (``W0``, ``b0``, ...).  Any
other network is checked without the reference comparison, and the report says so.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol

import numpy as np
import sympy as sp
from sympy.codegen.rewriting import optimize, optims_c99

from gradspec import spec
from gradspec.conformance.targets.frameworks import ROUTES
from gradspec.conformance.targets.networks import ParamMap
from gradspec.errors import UsageError
from gradspec.reference.mlp import Arch


class NetworkNamespace(Protocol):
    """What :func:`configure` needs of a namespace (isolated or in process)."""

    label: str

    def names(self) -> set[str]: ...

    def constant(self, name: str, default: Any = None) -> Any: ...

    def call(self, name: str, *args: Any) -> Any: ...

    def configure_network(self, functions: dict[str, str | None], settings: dict) -> dict: ...


def _exactly(**want: object) -> Callable[[Mapping[str, Any]], bool]:
    return lambda attrs: all(attrs.get(k, v) == v for k, v in want.items())


def _dim_last(attrs: Mapping[str, Any]) -> bool:
    return attrs.get("dim") in (-1, 1)  # (N, K) outputs: the last axis is axis 1


#: torch activation modules that are exactly a registry entry, with the settings that make
#: them so (torch's defaults where the registry has the same parameter: LeakyReLU's slope
#: 0.01, ELU's alpha 1; GELU only exact, not its tanh approximation; Softplus with beta 1).
TORCH_ACTIVATIONS: dict[str, tuple[str, Callable[[Mapping[str, Any]], bool]]] = {
    "Identity": ("identity", _exactly()),
    "Tanh": ("tanh", _exactly()),
    "Sigmoid": ("sigmoid", _exactly()),
    "ReLU": ("relu", _exactly()),
    "LeakyReLU": ("leaky_relu", _exactly(negative_slope=spec.activation("leaky_relu").values["slope"])),  # noqa: E501
    "ELU": ("elu", _exactly(alpha=spec.activation("elu").values["alpha"])),
    "GELU": ("gelu", _exactly(approximate="none")),
    "SiLU": ("swish", _exactly()),
    "Softplus": ("softplus", _exactly(beta=1.0)),
    "Softmax": ("softmax", _dim_last),
}  # fmt: skip


@dataclass
class NetSetup:
    """What the network target is made of, besides the namespace: its label, ARCH (only
    when it can be compared with the reference network), the parameter mapping, the cost
    and sizes the checks cannot read from the keys, notes for the report, warnings every
    check carries, and the routes of the derivatives gradspec takes."""

    label: str
    arch: Arch | None
    param_map: ParamMap | None
    cost: str | None
    io: tuple[int, int] | None
    notes: list[str] = field(default_factory=list)
    warnings: tuple[str, ...] = ()
    routes: dict[str, str] = field(default_factory=dict)


@cache
def cost_source(name: str, outputs: int) -> dict[str, Any]:
    """The registry cost ``name`` as a Python expression for the worker: ``{"expr": ...,
    "vector": bool}``, in ``a`` (``z`` for a cost on logits) and ``y`` per element, or in
    ``z0..z{K-1}``, ``y0..`` per row for a vector cost with K = ``outputs`` classes.  SymPy
    names the functions (``log``, ``log1p``, ``exp``, ``Abs``, ``Piecewise``); the worker
    binds them to the framework's."""
    c = spec.cost(name)
    if c.vector_expr is not None:
        expr, _, _ = c.vector_expr(outputs)
        vector = True
    else:
        expr, vector = c.expr, False
    expr = optimize(expr, optims_c99)  # log(1 + x) -> log1p(x): the stable forms
    return {"expr": sp.sstr(expr), "vector": vector}


def wants_network(framework: str | None, names: set[str]) -> bool:
    """Does this FRAMEWORK candidate offer a network the worker must adapt?"""
    if framework == "torch":
        return "model" in names
    if framework == "jax":
        return {"init_params", "loss"} <= names
    return False


def configure(ns: NetworkNamespace, framework: str) -> NetSetup:
    """Have ``ns``'s worker (or in-process namespace) adapt the network; read its layout.
    UsageError (one line) when it cannot be checked as it is declared."""
    real = getattr(ns, "real_name", lambda n: n)
    if framework == "torch":
        return _torch(ns, {"model": real("model")})
    names = ns.names()
    functions = {n: (real(n) if n in names else None) for n in ("init_params", "loss", "grads")}
    return _jax(ns, functions)


# --- torch ---------------------------------------------------------------------------------


def _torch_arch_mapping(ns: NetworkNamespace) -> Mapping[str, Any]:
    arch = ns.constant("ARCH")
    if not isinstance(arch, Mapping) or "cost" not in arch:
        raise UsageError(
            f"{ns.label}: model(seed) needs ARCH = {{'cost': <registry cost>, 'reduction': "
            "'mean' | 'sum'}} to define the loss of its output (docs/check.md)"
        )
    return arch


def _torch(ns: NetworkNamespace, functions: dict[str, str | None]) -> NetSetup:
    given = _torch_arch_mapping(ns)
    label = ns.label
    try:
        cost = spec.cost(str(given["cost"])).name
        reduction = spec.reduction(str(given.get("reduction", "mean"))).name
    except spec.UnknownName as exc:
        raise UsageError(f"{label}: ARCH: {exc}") from None
    if reduction == "none":
        raise UsageError(f"{label}: ARCH: a network's loss is a scalar: reduction 'sum' or 'mean'")
    sizes = given.get("sizes")
    inputs = int(sizes[0]) if isinstance(sizes, list | tuple) and sizes else None
    settings: dict[str, Any] = {"reduction": reduction, "inputs": inputs}
    vector = spec.cost(cost).vector
    if not vector:  # one round trip: the expression does not depend on the outputs
        settings["cost"] = cost_source(cost, 1)
    desc = ns.configure_network(functions, settings)
    if desc.get("probe_error"):
        hint = "" if inputs else "; ARCH['sizes'] (inputs first) says how many inputs it takes"
        raise UsageError(f"{label}: model(0) cannot be run: {desc['probe_error']}{hint}")
    outputs = int(desc["outputs"])
    if vector:
        desc = ns.configure_network(functions, {**settings, "cost": cost_source(cost, outputs)})
    notes = [_describe_module(desc, cost, reduction)]
    warnings: tuple[str, ...] = ()
    if not desc["cast"]:
        warnings = (
            f"model cannot be cast to float64 (module.double() then a forward: "
            f"{desc['cast_problem']}); checked in {desc['dtype']}",
        )
    if desc.get("random_in_training"):
        notes.append(
            "model(0) is in training mode with random layers ("
            + ", ".join(desc["random_in_training"])
            + "): its forward differs from call to call (model.eval() makes it deterministic)"
        )
    arch, pmap, why = _read_sequential(desc, cost, reduction, given, label)
    if isinstance(sizes, list | tuple) and sizes and int(sizes[-1]) != outputs:
        raise UsageError(
            f"{label}: ARCH says {sizes[-1]} outputs, but model(0) gives {outputs} per example"
        )
    if arch is not None and pmap is not None:
        notes.append(f"compared with the reference network of {arch.label}: {pmap.describe()}")
    else:
        notes.append(f"no reference comparison: {why}")
    return NetSetup(
        arch.label if arch else "network",
        arch if pmap else None,
        pmap,
        cost,
        (int(desc["inputs"]), outputs),
        notes,
        warnings,
        {"grads": ROUTES["torch"]},
    )


def _describe_module(desc: Mapping[str, Any], cost: str, reduction: str) -> str:
    params = ", ".join(f"{k} {tuple(s)}" for k, s, _ in desc["parameters"])
    cast = "cast to float64 by module.double()" if desc["cast"] else f"kept in {desc['dtype']}"
    over = "averaged" if reduction == "mean" else "summed"
    return (
        f"model(seed): {desc['class']} with parameters {params}; {cast}; loss = the registry's "
        f"{cost} of model(X), summed over the outputs and {over} over the examples; grads "
        "by torch.autograd.grad"
    )


def _read_sequential(
    desc: Mapping[str, Any], cost: str, reduction: str, given: Mapping[str, Any], label: str
) -> tuple[Arch | None, ParamMap | None, str]:
    """For an ``nn.Sequential`` of ``Linear`` and known activation modules: the Arch read
    from it (ARCH agreeing) and the parameter mapping; else (None, None, why not)."""
    layers = desc.get("layers")
    if layers is None:
        return None, None, f"{desc['class']} is not an nn.Sequential (no reference layout)"
    linears: list[tuple[int, int, int, bool]] = []  # (child index, in, out, bias)
    acts: list[str] = []  # the activation after each Linear ("identity": none)
    for i, layer in enumerate(layers):
        if layer[0] == "Linear":
            if len(acts) < len(linears):
                acts.append("identity")
            linears.append((i, int(layer[1]), int(layer[2]), bool(layer[3])))
            continue
        name, attrs = layer
        known = TORCH_ACTIVATIONS.get(name)
        if known is None or not known[1](attrs):
            shown = name + (f"({', '.join(f'{k}={v!r}' for k, v in attrs.items())})" * bool(attrs))
            return None, None, f"layer {i} ({shown}) is not a registry activation module"
        if len(acts) >= len(linears):
            return None, None, f"layer {i} ({name}) does not follow a Linear"
        acts.append(known[0])
    if not linears:
        return None, None, "the nn.Sequential has no Linear layer"
    if len(acts) < len(linears):
        acts.append("identity")
    if len(set(acts[:-1])) > 1:
        return None, None, f"hidden activations differ ({', '.join(acts[:-1])})"
    if len({b for *_, b in linears}) > 1:
        return None, None, "some Linear layers have a bias and some do not"
    for (_, _, out, _), (_, nxt, _, _) in itertools.pairwise(linears):
        if out != nxt:
            return None, None, f"Linear sizes do not chain ({out} outputs into {nxt} inputs)"
    read = {
        "sizes": (linears[0][1], *(o for _, _, o, _ in linears)),
        "activation": acts[0] if len(acts) > 1 else acts[-1],
        "output_activation": acts[-1],
        "bias": linears[0][3],
    }
    _check_given(given, read, label)
    try:
        arch = Arch(read["sizes"], read["activation"], read["output_activation"], cost,
                    reduction, read["bias"])  # fmt: skip
    except ValueError as exc:
        raise UsageError(f"{label}: ARCH with model(0): {exc}") from None
    pairs: list[tuple[str, str, bool]] = []
    for n, (i, _, _, bias) in enumerate(linears):
        pairs.append((f"W{n}", f"{i}.weight", True))
        if bias:
            pairs.append((f"b{n}", f"{i}.bias", False))
    return arch, ParamMap(tuple(pairs)), ""


def _check_given(given: Mapping[str, Any], read: Mapping[str, Any], label: str) -> None:
    """An ARCH key the module contradicts is a usage error: say which and what was read."""
    for key, value in read.items():
        if key not in given or (key == "output_activation" and given[key] is None):
            continue
        want = given[key]
        try:
            if key == "sizes":
                same = tuple(int(s) for s in want) == tuple(value)
            elif key == "bias":
                same = bool(want) == value
            else:
                same = spec.activation(str(want)).name == value
        except (TypeError, ValueError, spec.UnknownName):
            same = False
        if not same:
            shown = list(value) if key == "sizes" else value
            raise UsageError(
                f"{label}: ARCH says {key} = {want!r}, but model(0) is an nn.Sequential with "
                f"{key} = {shown!r}"
            )


# --- JAX -----------------------------------------------------------------------------------


def _jax(ns: NetworkNamespace, functions: dict[str, str | None]) -> NetSetup:
    label = ns.label
    desc = ns.configure_network(functions, {})
    shapes = {k: tuple(s) for k, s, _ in desc["parameters"]}
    routes = {} if desc["grads"] == "own" else {"grads": ROUTES["jax"]}
    keys = ", ".join(f"{k} {s}" for k, s in shapes.items())
    how = "its own grads" if desc["grads"] == "own" else "grads by jax.grad of loss"
    notes = [f"init_params(seed): a pytree {desc['class']}, flattened to {keys}; {how}"]
    arch, cost, io, why = _jax_arch(ns.constant("ARCH"), label)
    io = io or _guess_io(ns, shapes)
    if arch is not None and shapes == _reference_layout(arch):
        notes.append(f"compared with the reference network of {arch.label} (keys W0, b0, ...)")
        return NetSetup(arch.label, arch, None, arch.cost, io, notes, (), routes)
    if arch is not None:
        why = "the parameters are not in the reference layout (W0 (fan_in, fan_out), b0, ...)"
    notes.append(f"no reference comparison: {why}")
    return NetSetup("network", None, None, cost, io, notes, (), routes)


def _jax_arch(
    given: Any, label: str
) -> tuple[Arch | None, str | None, tuple[int, int] | None, str]:
    """ARCH of a JAX network: the Arch when complete; else what a partial one tells (the
    cost, for the targets drawn; the sizes), and why there is no reference comparison."""
    if given is None:
        return None, None, None, "ARCH is not declared"
    try:
        arch = Arch.from_mapping(given)
        return arch, arch.cost, (arch.sizes[0], arch.sizes[-1]), ""
    except KeyError as exc:
        missing = exc
    except (TypeError, ValueError, spec.UnknownName) as exc:
        raise UsageError(f"{label}: ARCH is not usable ({type(exc).__name__}: {exc})") from None
    try:
        cost = spec.cost(str(given["cost"])).name if "cost" in given else None
        sizes = given.get("sizes")
        io = (int(sizes[0]), int(sizes[-1])) if isinstance(sizes, list | tuple) and sizes else None
    except (TypeError, ValueError, spec.UnknownName) as exc:
        raise UsageError(f"{label}: ARCH is not usable ({type(exc).__name__}: {exc})") from None
    return None, cost, io, f"ARCH lacks {missing} (a partial ARCH: cost and sizes only)"


def _reference_layout(arch: Arch) -> dict[str, tuple[int, ...]]:
    out: dict[str, tuple[int, ...]] = {}
    for i, (a, b) in enumerate(itertools.pairwise(arch.sizes)):
        out[f"W{i}"] = (a, b)
        if arch.bias:
            out[f"b{i}"] = (b,)
    return out


def _guess_io(ns: NetworkNamespace, shapes: dict[str, tuple[int, ...]]) -> tuple[int, int]:
    """(inputs, outputs) of a pytree network without ARCH: the first and last matrices in
    the pytree's order, confirmed by one call of ``loss`` (else a usage error)."""
    mats = [s for s in shapes.values() if len(s) == 2]
    if mats:
        io = (mats[0][0], mats[-1][1])
        rng = np.random.default_rng(3)
        X, Y = rng.uniform(-1, 1, (3, io[0])), rng.uniform(0.1, 0.9, (3, io[1]))
        with contextlib.suppress(Exception):  # the usage error below says what to do
            value = np.asarray(ns.call("loss", ns.call("init_params", 0), X, Y), np.float64)
            if value.shape == ():
                return io
    raise UsageError(
        f"{ns.label}: cannot tell the network's inputs and outputs from its parameters; "
        "declare ARCH['sizes'] (inputs first, outputs last)"
    )
