"""ELU derivative off by a small constant for z < 0: no known signature, still a counterexample."""
# expect: fail -
# only: activations

import numpy as np


def elu(z):
    return np.where(z > 0, z, np.expm1(np.minimum(z, 0)))


def elu_der(z):
    return np.where(z > 0, 1.0, np.exp(np.minimum(z, 0)) + 0.003)
