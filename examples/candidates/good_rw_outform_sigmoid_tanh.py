"""The classic output-form derivatives (Nielsen / cs231n style): the derivative takes the
activation's output, sigmoid_der(output) = output (1 - output), tanh_der(a) = 1 - a^2, as
used in backprop where a = f(z) is already stored."""
# expect: pass
# only: activations

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_der(output):
    return output * (1.0 - output)


def tanh(z):
    return np.tanh(z)


def tanh_der(a):
    return 1.0 - a**2
