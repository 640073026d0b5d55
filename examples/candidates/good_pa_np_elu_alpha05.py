"""ELU with alpha = 0.5 in NumPy (expm1 on the clipped negative branch), declared with
PARAMS; at z = 0 the derivative is 1 (the right side), inside [alpha, 1]."""
# expect: pass
# only: activations

import numpy as np

PARAMS = {"elu": {"alpha": 0.5}}


def elu(z):
    return np.where(z >= 0, z, 0.5 * np.expm1(np.minimum(z, 0.0)))


def elu_der(z):
    return np.where(z >= 0, 1.0, 0.5 * np.exp(np.minimum(z, 0.0)))
