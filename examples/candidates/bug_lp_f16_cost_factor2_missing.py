"""float16 squared error (float32 inside) with derivative a - y: the factor 2 missing."""
# expect: fail factor2_missing
# only: costs
# dtypes: float16

import numpy as np

DTYPES = ["float16"]


def squared(a, y):
    r = np.asarray(a).astype(np.float32) - np.asarray(y).astype(np.float32)
    return (r * r).astype(np.float16)


def squared_der(a, y):
    r = np.asarray(a).astype(np.float32) - np.asarray(y).astype(np.float32)
    return r.astype(np.float16)
