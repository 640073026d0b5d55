"""float16 throughout (DTYPES declares it): NumPy's float16 arithmetic, every operation
rounded to float16, in the stable forms (sigmoid without exp overflow, softplus as
logaddexp, tanh' in its output form)."""
# expect: pass
# only: activations

import numpy as np

DTYPES = ["float16"]
TANH_DER_WRT = "output"


def sigmoid(z):
    z = np.asarray(z, dtype=np.float16)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e)).astype(np.float16)


def sigmoid_der(z):
    s = sigmoid(z)
    return (s * (1 - s)).astype(np.float16)


def tanh(z):
    return np.tanh(np.asarray(z, dtype=np.float16))


def tanh_der(a):
    a = np.asarray(a, dtype=np.float16)
    return (1 - a * a).astype(np.float16)


def relu(z):
    z = np.asarray(z, dtype=np.float16)
    return np.maximum(z, np.float16(0))


def relu_der(z):
    z = np.asarray(z, dtype=np.float16)
    return (z > 0).astype(np.float16)


def softplus(z):
    z = np.asarray(z, dtype=np.float16)
    return np.logaddexp(np.float16(0), z)


def softplus_der(z):
    return sigmoid(z)
