"""scikit-learn's own MLP activations (sklearn.neural_network._base ACTIVATIONS and
DERIVATIVES), wrapped so they take z and never touch the caller's array: sklearn's functions
work in place and its derivatives take the layer OUTPUT, so the wrapper copies z, computes
a = f(z), then lets DERIVATIVES scale a fresh array of ones by f'(from a)."""
# expect: pass
# only: activations
# requires: sklearn

import numpy as np
from sklearn.neural_network._base import ACTIVATIONS, DERIVATIVES


def _forward(kind, z):
    out = np.array(z, copy=True)
    ACTIVATIONS[kind](out)
    return out


def _derivative(kind, z):
    a = _forward(kind, z)
    delta = np.ones_like(a)
    DERIVATIVES[kind](a, delta)
    return delta


def sigmoid(z):
    return _forward("logistic", z)


def sigmoid_der(z):
    return _derivative("logistic", z)


def tanh(z):
    return _forward("tanh", z)


def tanh_der(z):
    return _derivative("tanh", z)


def relu(z):
    return _forward("relu", z)


def relu_der(z):
    return _derivative("relu", z)


def identity(z):
    return _forward("identity", z)


def identity_der(z):
    return _derivative("identity", z)
