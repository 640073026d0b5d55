"""Heaviside step with np.heaviside(z, 1) (f(0) = 1, the spec's value) and its derivative
0 everywhere; the ReLU derivative as np.heaviside(z, 0) and ReLU as z * heaviside."""
# expect: pass
# only: activations

import numpy as np


def step(z):
    return np.heaviside(z, 1.0)


def step_der(z):
    return np.zeros_like(z)


def relu(z):
    return z * np.heaviside(z, 0.0)


def relu_der(z):
    return np.heaviside(z, 0.0)
