"""PARAMS declares slope 0.2 but the code keeps torch's default 0.01: forward and
derivative agree with each other, with the wrong slope; the diagnosis estimates it."""
# expect: fail parameter_mismatch
# only: activations

import numpy as np

PARAMS = {"leaky_relu": {"slope": 0.2}}


def leaky_relu(z):
    return np.where(z >= 0, z, 0.01 * z)


def leaky_relu_der(z):
    return np.where(z >= 0, 1.0, 0.01)
