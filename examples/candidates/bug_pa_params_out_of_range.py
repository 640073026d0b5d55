"""A slope outside leaky_relu's valid range (0, 1): a usage error, not a verdict."""
# expect: usage
# only: activations

import numpy as np

PARAMS = {"leaky_relu": {"slope": 1.5}}


def leaky_relu(z):
    return np.where(z >= 0, z, 1.5 * z)
