"""Networks offered for checking: the network protocol, the built-in architectures, and the
one :class:`NetTarget` type that both built-ins and candidates become.

The protocol: ``init_params(seed)`` (a dict of arrays), ``loss(params, X, Y)``,
``grads(params, X, Y)``, optionally ``train_step(params, X, Y, lr)``,
``minibatch_grads(params, X, Y, batch_size)`` and ``ARCH`` (a dict read into
:class:`gradspec.reference.mlp.Arch`).  Built-in networks also take a dtype,
``init_params(seed, dtype)``; the checks pass it explicitly (:meth:`NetTarget.init_params`).
"""

from __future__ import annotations

from collections.abc import Callable
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


@dataclass
class NetTarget:
    """A network offered for checking: where its functions live and its declared ARCH.

    ``takes_dtype``: ``init_params(seed, dtype)`` builds parameters of any dtype (built-ins,
    checked in every dtype); otherwise ``init_params(seed)`` gives the candidate's own
    parameters, checked in ``dtypes`` (its working precision) as they are.
    """

    label: str
    ns: Namespace
    arch: Arch | None
    dtypes: tuple[str, ...] = ("float64",)
    notes: tuple[str, ...] = ()  # warnings every check of this network carries
    takes_dtype: bool = False

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
        """(inputs, outputs): from ARCH, else from the first and last weight matrices."""
        if self.arch is not None:
            return self.arch.sizes[0], self.arch.sizes[-1]
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
