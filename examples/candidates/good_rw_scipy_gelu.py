"""Exact GELU with scipy.special.erf: 0.5 z (1 + erf(z / sqrt 2)); derivative
Phi(z) + z phi(z).  The textbook formula, as in the GELU paper."""
# expect: pass
# only: activations
# requires: scipy

import numpy as np
from scipy.special import erf


def gelu(z):
    return 0.5 * z * (1.0 + erf(z / np.sqrt(2.0)))


def gelu_der(z):
    cdf = 0.5 * (1.0 + erf(z / np.sqrt(2.0)))
    pdf = np.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi)
    return cdf + z * pdf
