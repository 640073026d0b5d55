"""Float32 throughout (DTYPES declares it): tanh in its output form and a stable softplus."""
# expect: pass
# only: activations

import numpy as np

DTYPES = ["float32"]
TANH_DER_WRT = "output"


def tanh(z):
    return np.tanh(z.astype(np.float32))


def tanh_der(a):
    return (1 - a * a).astype(np.float32)


def softplus(z):
    z = z.astype(np.float32)
    return np.logaddexp(z, np.float32(0)).astype(np.float32)


def softplus_der(z):
    z = z.astype(np.float32)
    e = np.exp(-np.abs(z))  # never overflows
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e)).astype(np.float32)
