"""tanh' with its sign flipped."""
# expect: fail sign_flipped
# only: activations

import numpy as np


def tanh(z):
    return np.tanh(z)


def dtanh(z):
    return np.tanh(z) ** 2 - 1
