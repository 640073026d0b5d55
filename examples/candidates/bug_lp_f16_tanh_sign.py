"""float16 tanh' with its sign flipped."""
# expect: fail sign_flipped
# only: activations
# dtypes: float16

import numpy as np

DTYPES = ["float16"]


def tanh(z):
    return np.tanh(np.asarray(z, dtype=np.float16))


def tanh_der(z):
    t = np.tanh(np.asarray(z, dtype=np.float16))
    return (t * t - 1).astype(np.float16)
