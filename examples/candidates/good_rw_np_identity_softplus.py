"""identity (returns z, derivative np.ones_like) and softplus via np.logaddexp(0, z)
(= log(1 + e^z) without overflow), derivative the textbook sigmoid 1/(1 + exp(-z))."""
# expect: pass
# only: activations

import numpy as np


def identity(z):
    return z


def identity_der(z):
    return np.ones_like(z)


def softplus(z):
    return np.logaddexp(0, z)


def softplus_der(z):
    return 1 / (1 + np.exp(-z))
