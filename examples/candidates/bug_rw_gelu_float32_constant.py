"""Exact (erf) gelu in float64, but 1/sqrt(2) was pasted from float32 code as
np.float32(0.70710677) (= 0.70710676908493042, relative error 1.7e-8): the function is only
float32-accurate and must be rejected on float64.  The derivative is the exact formula with
the same constant."""
# expect: fail -
# only: activations

import numpy as np
from scipy.special import erf

INV_SQRT2 = np.float32(0.70710677)
INV_SQRT_2PI = np.float32(0.3989423)


def gelu(z):
    return 0.5 * z * (1 + erf(z * INV_SQRT2))


def gelu_der(z):
    return 0.5 * (1 + erf(z * INV_SQRT2)) + z * INV_SQRT_2PI * np.exp(-0.5 * z * z)
