"""Log loss whose derivative is the fused a - y (only right through a sigmoid)."""
# expect: fail fused_delta_as_cost_derivative
# only: costs

import numpy as np


def log_loss(a, y):
    return -(y * np.log(a) + (1 - y) * np.log1p(-a))


def log_loss_der(a, y):
    return a - y
