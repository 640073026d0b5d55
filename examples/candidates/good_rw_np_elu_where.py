"""ELU (alpha 1) as np.where(z > 0, z, np.exp(z) - 1): np.where evaluates both branches, so
exp(z) overflows (a warning) for large positive z, but that branch is not selected.
Derivative np.where(z > 0, 1.0, np.exp(z))."""
# expect: pass
# only: activations

import numpy as np


def elu(z):
    return np.where(z > 0, z, np.exp(z) - 1)


def elu_der(z):
    return np.where(z > 0, 1.0, np.exp(z))
