"""Textbook NumPy: sigmoid = 1/(1 + exp(-z)) (exp overflows to inf for z < -709 with a
RuntimeWarning, but 1/inf = 0 is the right value), tanh written through the sigmoid as
2 sigmoid(2z) - 1, derivatives s(1 - s) and 1 - tanh^2."""
# expect: pass
# only: activations

import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def sigmoid_der(z):
    s = sigmoid(z)
    return s * (1 - s)


def tanh(z):
    return 2 * sigmoid(2 * z) - 1


def tanh_der(z):
    t = tanh(z)
    return 1 - t * t
