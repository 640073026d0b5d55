"""The binary focal loss (gamma = 2, the paper's default) on probabilities, as tutorials
write it in NumPy, with the derivative of the modulating factor worked out by hand."""
# expect: pass
# only: costs

import numpy as np

GAMMA = 2.0


def focal(a, y):
    a = np.asarray(a, dtype=float)
    return -y * (1 - a) ** GAMMA * np.log(a) - (1 - y) * a**GAMMA * np.log1p(-a)


def focal_der(a, y):
    a = np.asarray(a, dtype=float)
    pos = GAMMA * (1 - a) ** (GAMMA - 1) * np.log(a) - (1 - a) ** GAMMA / a
    neg = a**GAMMA / (1 - a) - GAMMA * a ** (GAMMA - 1) * np.log1p(-a)
    return y * pos + (1 - y) * neg
