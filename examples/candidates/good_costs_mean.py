"""A mean squared error with its gradient: COST and COST_REDUCTION declared."""
# expect: pass
# only: costs

import numpy as np

COST = "squared"
COST_REDUCTION = "mean"


def cost(pred, true):
    return np.mean((pred - true) ** 2)


def dcost(pred, true):
    return 2 * (pred - true) / pred.size
