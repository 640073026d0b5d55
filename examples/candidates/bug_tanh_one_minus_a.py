"""tanh' written as 1 - tanh(z)."""
# expect: fail tanh_der_one_minus_a
# only: activations

import numpy as np


def tanh(z):
    return np.tanh(z)


def tanh_der(z):
    return 1 - np.tanh(z)
