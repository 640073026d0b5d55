"""Derivatives written against the layer output, the way scikit-learn's MLP code does:
dsigmoid(a) = a (1 - a), dtanh(a) = 1 - a * a, didentity(a) = 1; forward passes with
scipy-free NumPy."""
# expect: pass
# only: activations

import numpy as np


def sigmoid(z):
    return np.exp(-np.logaddexp(0, -z))


def dsigmoid(a):
    return a * (1 - a)


def tanh(z):
    return np.tanh(z)


def dtanh(a):
    return 1 - a * a


def identity(z):
    return np.array(z, copy=True)


def didentity(a):
    return np.ones_like(a)
