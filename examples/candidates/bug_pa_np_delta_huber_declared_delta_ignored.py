"""huber declared (and implemented) with delta = 2, but the output layer's delta for
identity + huber is written with torch's default delta = 1, clip(z - y, -1, 1): the declared
value is ignored where the cost is fused into the output layer.  Every other pair is
gradspec's reference delta at the declared values."""
# expect: fail parameter_mismatch
# only: pairs

import numpy as np

from gradspec.reference import delta as reference_delta

PARAMS = {"huber": {"delta": 2.0}}
DELTA = PARAMS["huber"]["delta"]


def huber(a, y):
    r = np.abs(np.asarray(a) - y)
    return np.where(r <= DELTA, 0.5 * r**2, DELTA * (r - 0.5 * DELTA))


def huber_der(a, y):
    return np.clip(np.asarray(a) - y, -DELTA, DELTA)


def delta(activation, cost, z, y):
    z = np.asarray(z)
    if (activation, cost) == ("identity", "huber"):
        return np.clip(z - y, -1.0, 1.0)
    if cost == "huber":
        cost = f"huber[delta={DELTA!r}]"
    return reference_delta(activation, cost, z, y)
