"""ReLU computed in place: the caller's array is overwritten."""
# expect: fail input_mutated
# only: activations

import numpy as np


def relu(z):
    return np.maximum(z, 0, out=z)


def relu_der(z):
    return (z > 0).astype(z.dtype)
