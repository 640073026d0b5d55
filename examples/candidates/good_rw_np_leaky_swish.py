"""Leaky ReLU with slope 0.01 via np.where(z > 0, z, 0.01 * z) and derivative
np.where(z > 0, 1.0, 0.01) (0.01 at the kink: a valid subgradient); swish z * sigmoid(z)
with the textbook sigmoid, derivative s + z s (1 - s)."""
# expect: pass
# only: activations

import numpy as np


def leaky_relu(z):
    return np.where(z > 0, z, 0.01 * z)


def leaky_relu_der(z):
    return np.where(z > 0, 1.0, 0.01)


def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def swish(z):
    return z * _sig(z)


def swish_der(z):
    s = _sig(z)
    return s + z * s * (1 - s)
