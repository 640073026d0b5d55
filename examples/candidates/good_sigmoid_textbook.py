"""The textbook sigmoid: right values; np.exp(-z) overflows (a warning) at large negative z."""
# expect: pass
# only: activations

import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def sigmoid_der(z):
    s = sigmoid(z)
    return s * (1 - s)
