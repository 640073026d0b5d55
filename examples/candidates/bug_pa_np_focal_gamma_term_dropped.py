"""Focal loss whose derivative treats the modulating factor (1 - a)^gamma as a constant
weight on the log-loss derivative: the gamma y (1-a)^(gamma-1) log a terms are missing."""
# expect: fail focal_gamma_term_dropped
# only: costs

import numpy as np

GAMMA = 2.0


def focal(a, y):
    return -y * (1 - a) ** GAMMA * np.log(a) - (1 - y) * a**GAMMA * np.log1p(-a)


def focal_der(a, y):
    return -y * (1 - a) ** GAMMA / a + (1 - y) * a**GAMMA / (1 - a)
