"""Keras 2's hard_sigmoid (slope 0.2) declared as hard_sigmoid without PARAMS: checked at
the registry's slope 1/6 (torch, JAX, Keras 3), it fails; the diagnosis names slope 0.2."""
# expect: fail parameter_mismatch
# only: activations

import numpy as np


def hard_sigmoid(z):
    return np.clip(0.2 * z + 0.5, 0.0, 1.0)


def hard_sigmoid_der(z):
    return np.where(np.abs(z) < 2.5, 0.2, 0.0)
