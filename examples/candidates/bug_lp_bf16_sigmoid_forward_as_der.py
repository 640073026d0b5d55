"""bfloat16 sigmoid' returning sigmoid itself (the forward as its derivative)."""
# expect: fail forward_as_derivative
# only: activations
# dtypes: bfloat16

import ml_dtypes
import numpy as np

DTYPES = ["bfloat16"]


def sigmoid(z):
    z = np.asarray(z).astype(np.float32)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e)).astype(ml_dtypes.bfloat16)


def sigmoid_der(z):
    return sigmoid(z)
