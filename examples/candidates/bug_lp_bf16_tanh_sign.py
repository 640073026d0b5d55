"""bfloat16 tanh' (float32 inside, rounded once) with its sign flipped."""
# expect: fail sign_flipped
# only: activations
# dtypes: bfloat16

import ml_dtypes
import numpy as np

DTYPES = ["bfloat16"]


def tanh(z):
    return np.tanh(np.asarray(z).astype(np.float32)).astype(ml_dtypes.bfloat16)


def tanh_der(z):
    t = np.tanh(np.asarray(z).astype(np.float32))
    return (t * t - 1).astype(ml_dtypes.bfloat16)
