"""Networks offered for checking: the network protocol, the built-in architectures, and the
one :class:`NetTarget` type that both built-ins and candidates become.

The protocol: ``init_params(seed)`` (a dict of arrays), ``loss(params, X, Y)``,
``grads(params, X, Y)``, optionally ``train_step(params, X, Y, lr)``,
``minibatch_grads(params, X, Y, batch_size)`` and ``ARCH`` (a dict read into
:class:`gradspec.reference.mlp.Arch`).  Built-in networks also take a dtype,
``init_params(seed, dtype)``; the checks pass it explicitly (:meth:`NetTarget.init_params`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from gradspec.conformance.engine.calling import Namespace, call
from gradspec.conformance.engine.results import Violation
from gradspec.conformance.targets.namespace import ModuleNamespace
from gradspec.reference.mlp import Arch

#: What a namespace must define to be checked as a network.
NETWORK_NAMES = ("init_params", "loss", "grads")
OPTIONAL_NETWORK_NAMES = ("train_step", "minibatch_grads")

#: Architectures the built-in implementations are verified on.
BUILTIN_ARCHS: tuple[Arch, ...] = (
    Arch((3, 5, 2), "tanh", "identity", "half_squared", "mean", True),
    Arch((4, 6, 3), "relu", "softmax", "cross_entropy", "mean", True),
    Arch((3, 4, 1), "sigmoid", None, "log_loss", "sum", False),
    Arch((2, 5, 1), "elu", "identity", "log_loss_logits", "mean", True),
)


@dataclass(frozen=True)
class ParamMap:
    """How a network's own parameters correspond to the reference layout (``W0`` of shape
    (fan_in, fan_out), ``b0``, ...): per reference key, the network's key and whether it is
    stored transposed (a torch ``nn.Linear.weight`` is (fan_out, fan_in)).  The reference
    comparison and the diagnosis translate through it; every other check, and every message
    naming a tensor, uses the network's own keys."""

    pairs: tuple[tuple[str, str, bool], ...]  # (reference key, own key, transposed)

    def to_reference(self, own: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {ref: (own[k].T if t else own[k]) for ref, k, t in self.pairs}

    def from_reference(self, ref: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {k: (ref[r].T if t else ref[r]) for r, k, t in self.pairs}

    def own_name(self, ref: str) -> str:
        return next((k for r, k, _ in self.pairs if r == ref), ref)

    def describe(self) -> str:
        """``W0 = 0.weight.T, b0 = 0.bias, ...``"""
        return ", ".join(f"{r} = {k}{'.T' * t}" for r, k, t in self.pairs)


@dataclass
class NetTarget:
    """A network offered for checking: where its functions live and its declared ARCH.

    ``takes_dtype``: ``init_params(seed, dtype)`` builds parameters of any dtype (built-ins,
    checked in every dtype); otherwise ``init_params(seed)`` gives the candidate's own
    parameters, checked in ``dtypes`` (its working precision) as they are.

    Networks whose parameters are not in the reference layout (a torch module's
    ``named_parameters()``, a JAX pytree's key paths) say what the checks cannot read from the
    keys: ``io`` (inputs, outputs), ``cost`` (the registry cost, for the targets the batches
    draw) and ``param_map`` (how to compare with the reference network of ``arch``; with
    ``arch`` None there is no reference comparison).
    """

    label: str
    ns: Namespace
    arch: Arch | None
    dtypes: tuple[str, ...] = ("float64",)
    notes: tuple[str, ...] = ()  # warnings every check of this network carries
    takes_dtype: bool = False
    param_map: ParamMap | None = None
    cost: str | None = None
    io: tuple[int, int] | None = None

    @property
    def cost_name(self) -> str | None:
        """The registry cost of the loss, when known (from ARCH)."""
        return self.arch.cost if self.arch is not None else self.cost

    def own_name(self, key: str) -> str:
        """A reference-layout key (``W0``) as the network names it (``0.weight``)."""
        return self.param_map.own_name(key) if self.param_map else key

    def init_params(self, seed: int, dtype: np.dtype) -> dict[str, np.ndarray]:
        """The parameters for ``seed``, in ``dtype`` where the network can make them."""
        args = (seed, np.dtype(dtype)) if self.takes_dtype else (seed,)
        p = call(self.ns, "init_params", *args)
        if not isinstance(p, dict) or not p:
            raise Violation(
                f"init_params({seed}) returned {type(p).__name__}, not a dict of arrays"
            )
        return {k: np.asarray(v) for k, v in p.items()}

    def sizes(self, params: dict[str, np.ndarray]) -> tuple[int, int]:
        """(inputs, outputs): from ARCH, else as declared (``io``), else from the first and
        last weight matrices."""
        if self.arch is not None:
            return self.arch.sizes[0], self.arch.sizes[-1]
        if self.io is not None:
            return self.io
        keys = sorted(k for k in params if k.startswith("W"))
        return int(np.shape(params[keys[0]])[0]), int(np.shape(params[keys[-1]])[1])


class _NetworkNamespace(ModuleNamespace):
    """A built-in network object seen through the protocol, with its ARCH."""

    def __init__(self, net: Any, label: str, arch: Arch, import_line: str):
        super().__init__(net, label, None)
        self.arch = arch
        self._import = import_line

    def names(self) -> set[str]:
        return {*NETWORK_NAMES, *OPTIONAL_NETWORK_NAMES, "ARCH"}

    def constant(self, name: str, default: Any = None) -> Any:
        return self.arch if name == "ARCH" else default

    def import_line(self, name: str) -> str:
        return self._import


def builtin_networks(label: str, make: Callable[[Arch], Any]) -> list[NetTarget]:
    """The built-in architectures, each made into a network by ``make`` (e.g. mlp.Network)."""
    out = []
    for arch in BUILTIN_ARCHS:
        ns = _NetworkNamespace(
            make(arch), f"{label} {arch.label}", arch, f"# Network({arch!r}) of {label}"
        )
        out.append(NetTarget(arch.label, ns, arch, ("float64", "float32"), takes_dtype=True))
    return out
