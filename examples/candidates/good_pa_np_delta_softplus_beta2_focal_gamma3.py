"""An output layer's delta = dC/dz written out by hand in NumPy for softplus (beta = 2) +
squared error and for sigmoid + focal loss (gamma = 3), the values declared in PARAMS; every
other pair is gradspec's reference delta at the same declared values (a delta is checked on
every valid pair of the registry)."""
# expect: pass
# only: pairs

import numpy as np
from scipy.special import expit

from gradspec.reference import delta as reference_delta

PARAMS = {"softplus": {"beta": 2.0}, "focal": {"gamma": 3.0}}
BETA = PARAMS["softplus"]["beta"]
GAMMA = PARAMS["focal"]["gamma"]


def _at_declared(name):
    """The registry id of ``name`` at this module's values: softplus -> softplus[beta=2]."""
    values = PARAMS.get(name)
    if not values:
        return name
    return name + "[" + ",".join(f"{k}={v!r}" for k, v in values.items()) + "]"


def delta(activation, cost, z, y):
    z = np.asarray(z)
    y = np.asarray(y, dtype=z.dtype)
    if (activation, cost) == ("softplus", "squared"):
        a = np.logaddexp(0.0, BETA * z) / BETA  # log(1 + e^(beta z)) / beta
        return 2.0 * (a - y) * expit(BETA * z)
    if (activation, cost) == ("sigmoid", "focal"):
        # dC/da * a (1 - a), from log a = -softplus(-z) and log(1 - a) = -softplus(z)
        la, lu = -np.logaddexp(0.0, -z), -np.logaddexp(0.0, z)
        a, u = np.exp(la), np.exp(lu)
        pos = GAMMA * u**GAMMA * a * la - u ** (GAMMA + 1)
        neg = a ** (GAMMA + 1) - GAMMA * a**GAMMA * u * lu
        return (y * pos + (1.0 - y) * neg).astype(z.dtype)
    return reference_delta(_at_declared(activation), _at_declared(cost), z, y)
