"""PARAMS naming a parameter leaky_relu does not have (Keras' old name alpha): a usage
error."""
# expect: usage
# only: activations

import numpy as np

PARAMS = {"leaky_relu": {"alpha": 0.3}}


def leaky_relu(z):
    return np.where(z >= 0, z, 0.3 * z)
