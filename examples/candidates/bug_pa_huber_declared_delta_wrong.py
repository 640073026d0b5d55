"""PARAMS declares huber's delta = 0.5, the code is optax/torch's default delta = 1."""
# expect: fail parameter_mismatch
# only: costs

import numpy as np

PARAMS = {"huber": {"delta": 0.5}}


def huber(a, y):
    r = np.abs(a - y)
    return np.where(r <= 1.0, 0.5 * r**2, r - 0.5)


def huber_der(a, y):
    return np.clip(a - y, -1.0, 1.0)
