"""The classic teaching systems, done right (`gradspec demo NAME`).

Each demo is a module with a ``run(out_dir, seed=0, ...)`` function that trains or computes,
writes its PNG figures (matplotlib, Agg backend) into ``out_dir`` and returns a
:class:`~gradspec.demos._common.DemoResult`: the figures it reached, the paths it wrote and a
few summary lines.

=============  ==================================================================
``xor``        3-4-1 sigmoid network on XOR, corrected vs error-as-derivative bug
``chain-rule`` chain-rule factors per layer, checked against backprop and numerics
``iris-neuron`` one sigmoid neuron on Iris setosa/versicolor: MAE/MSE, GD/SGD, step
``descent``    gradient descent on x^2 + y^2, learning-rate sweep, Newton's step
=============  ==================================================================
"""

from __future__ import annotations

import importlib
from types import ModuleType

#: Demo name (as typed on the command line) -> module under gradspec.demos.
DEMOS: dict[str, str] = {
    "xor": "xor",
    "chain-rule": "chain_rule",
    "iris-neuron": "iris_neuron",
    "descent": "descent",
}


def get(name: str) -> ModuleType:
    """The module of demo ``name``; KeyError (listing the valid names) if unknown."""
    if name not in DEMOS:
        raise KeyError(f"unknown demo {name!r}; choose from {', '.join(DEMOS)}")
    return importlib.import_module(f"gradspec.demos.{DEMOS[name]}")


__all__ = ["DEMOS", "get"]
