"""Leaky ReLU derivative with slope 0.1 where the function uses 0.01."""
# expect: fail wrong_leaky_slope
# only: activations

import numpy as np


def leaky_relu(z):
    return np.where(z >= 0, z, 0.01 * z)


def leaky_relu_der(z):
    return np.where(z >= 0, 1.0, 0.1)
