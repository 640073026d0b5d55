"""Elementwise costs by the protocol names: half squared error and a stable log loss."""
# expect: pass
# only: costs

import numpy as np


def half_squared(a, y):
    return 0.5 * (a - y) ** 2


def half_squared_der(a, y):
    return a - y


def log_loss(a, y):
    return -(y * np.log(a) + (1 - y) * np.log1p(-a))


def log_loss_der(a, y):
    return (a - y) / (a * (1 - a))
