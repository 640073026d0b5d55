"""A float32 mean squared error, the way it is written in a float32 training loop:
inputs cast to float32, ``np.mean`` of the squares, its gradient 2 (a - y) / N."""
# expect: pass
# only: costs

import numpy as np

COST = "squared"
COST_REDUCTION = "mean"


def cost(a, y):
    a, y = np.asarray(a, np.float32), np.asarray(y, np.float32)
    return np.mean((a - y) ** 2)


def dcost(a, y):
    a, y = np.asarray(a, np.float32), np.asarray(y, np.float32)
    return 2 * (a - y) / a.size
