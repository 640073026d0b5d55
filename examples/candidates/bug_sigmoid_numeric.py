"""The sigmoid derivative by central differences with h = 1e-3, posing as exact."""
# expect: fail coarse_numeric_derivative
# only: activations

import numpy as np


def sigmoid(z):
    return 0.5 * (1 + np.tanh(0.5 * z))


def sigmoid_der(z):
    h = 1e-3
    return (sigmoid(z + h) - sigmoid(z - h)) / (2 * h)
