"""The hinge with the derivative of 1 - y a, -y everywhere: the max(0, .) forgotten, so
points classified beyond the margin still get a gradient."""
# expect: fail hinge_max_dropped
# only: costs

import numpy as np


def hinge(a, y):
    return np.maximum(0.0, 1.0 - y * a)


def hinge_der(a, y):
    return -y * np.ones_like(a)
