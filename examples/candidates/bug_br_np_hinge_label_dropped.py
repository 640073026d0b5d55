"""The hinge max(0, 1 - y a) with its derivative written as -1 inside the margin: the
label's sign dropped (right for y = +1 only)."""
# expect: fail hinge_label_dropped
# only: costs

import numpy as np


def hinge(a, y):
    return np.maximum(0.0, 1.0 - y * a)


def hinge_der(a, y):
    return np.where(y * a < 1, -1.0, 0.0)
