"""gradspec.reference: the plain, numerically stable NumPy implementation of the registry.

Every activation ``N`` has ``N``, ``N_der``, ``N_der2`` (and ``N_der_output`` where the registry
has an output form); every cost ``C`` has ``C``, ``C_der``, ``C_der2``.  See docs/design.md.
The protocol functions and their aliases (``silu`` for ``swish``, ``bce_der`` for
``log_loss_der``) are exported from :mod:`.activations` and :mod:`.costs` by walking the
registry (:func:`gradspec.spec.protocol_names`, :func:`gradspec.spec.alias_names`), so a new
entry needs only its functions written there.  A protocol name those modules do not define
is not exported (``gradspec verify`` lists it as missing).
This package never imports ``gradspec.derivations``.
"""

from __future__ import annotations

import types as _types

from gradspec import spec as _spec

from . import activations, costs
from . import chain as chain
from . import mlp as mlp
from . import optim as optim
from .chain import LayerFactors as LayerFactors
from .chain import da_dz as da_dz
from .chain import dC_da as dC_da
from .chain import dC_da_prev as dC_da_prev
from .chain import dC_dz as dC_dz
from .chain import delta as delta
from .chain import dz_da_prev as dz_da_prev
from .chain import dz_db as dz_db
from .chain import dz_dw as dz_dw
from .chain import layer_factors as layer_factors
from .costs import cost_grad as cost_grad
from .costs import cost_value as cost_value
from .costs import reduce as reduce
from .costs import reduce_der as reduce_der
from .mlp import Arch as Arch
from .mlp import Network as Network
from .mlp import forward as forward
from .mlp import grads as grads
from .mlp import init_params as init_params
from .mlp import loss as loss
from .mlp import minibatch_grads as minibatch_grads
from .mlp import predict as predict
from .mlp import train_step as train_step
from .optim import gradient_descent as gradient_descent
from .optim import ideal_step_1d as ideal_step_1d
from .optim import newton_step as newton_step
from .optim import sgd as sgd


def _registry_exports() -> dict[str, object]:
    """Protocol name (canonical or alias) -> reference function, for every registry entry."""
    out: dict[str, object] = {}
    entries: list[tuple[_spec.Activation | _spec.Cost, _types.ModuleType]] = [
        *((e, activations) for e in _spec.ACTIVATIONS),
        *((e, costs) for e in _spec.COSTS),
    ]
    for entry, module in entries:
        for name in _spec.protocol_names(entry):
            if hasattr(module, name):
                out[name] = getattr(module, name)
        for alias, name in _spec.alias_names(entry).items():
            if name in out:
                out[alias] = out[name]
    return out


_EXPORTS = _registry_exports()
globals().update(_EXPORTS)

__all__ = sorted(
    {
        "Arch",
        "LayerFactors",
        "Network",
        "activations",
        "chain",
        "cost_grad",
        "cost_value",
        "costs",
        "dC_da",
        "dC_da_prev",
        "dC_dz",
        "da_dz",
        "delta",
        "dz_da_prev",
        "dz_db",
        "dz_dw",
        "forward",
        "gradient_descent",
        "grads",
        "ideal_step_1d",
        "init_params",
        "layer_factors",
        "loss",
        "minibatch_grads",
        "mlp",
        "newton_step",
        "optim",
        "predict",
        "reduce",
        "reduce_der",
        "sgd",
        "train_step",
        *_EXPORTS,
    }
)
