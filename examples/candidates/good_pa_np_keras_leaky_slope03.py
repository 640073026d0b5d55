"""Keras' LeakyReLU default (negative_slope 0.3) written in NumPy, with the boolean mask
turned into floats the way tutorials do; PARAMS declares the slope."""
# expect: pass
# only: activations

import numpy as np

PARAMS = {"leaky_relu": {"slope": 0.3}}
ALPHA = 0.3


def leaky_relu(z):
    return np.where(z > 0, z, ALPHA * z)


def leaky_relu_der(z):
    positive = (z > 0).astype(float)
    return positive + ALPHA * (1.0 - positive)
