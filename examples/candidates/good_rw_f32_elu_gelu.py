"""Float32 versions of ELU (with expm1) and exact GELU (math.erf vectorised, then float32):
inputs are cast to float32, outputs are float32 whatever came in."""
# expect: pass
# only: activations

import math

import numpy as np

_erf = np.vectorize(math.erf, otypes=[np.float64])


def elu(z):
    z = np.asarray(z, np.float32)
    return np.where(z > 0, z, np.expm1(np.minimum(z, 0))).astype(np.float32)


def elu_der(z):
    z = np.asarray(z, np.float32)
    return np.where(z > 0, np.float32(1), np.exp(np.minimum(z, 0))).astype(np.float32)


def gelu(z):
    z = np.asarray(z, np.float32)
    return (0.5 * z * (1 + _erf(z / math.sqrt(2)))).astype(np.float32)


def gelu_der(z):
    z = np.asarray(z, np.float32).astype(np.float64)
    return (
        0.5 * (1 + _erf(z / math.sqrt(2))) + z * np.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    ).astype(np.float32)
