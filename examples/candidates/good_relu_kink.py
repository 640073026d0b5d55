"""ReLU and leaky ReLU: any subgradient at the kink z = 0 is accepted."""
# expect: pass
# only: activations

import numpy as np


def relu(z):
    return np.maximum(z, 0)


def relu_der(z):
    return (z > 0).astype(z.dtype)  # 0 at the kink: a valid subgradient


def leaky_relu(z):
    return np.where(z >= 0, z, z * z.dtype.type(0.01))


def dleaky_relu(z):
    return np.where(z >= 0, 1, 0.01).astype(z.dtype)  # 1 at the kink: also valid
