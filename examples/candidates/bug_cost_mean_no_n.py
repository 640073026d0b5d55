"""Mean reduction, but the gradient is not divided by N."""
# expect: fail mean_without_1_over_n
# only: costs

import numpy as np

COST = "squared"
COST_REDUCTION = "mean"


def cost(pred, true):
    return np.mean((pred - true) ** 2)


def dcost(pred, true):
    return 2 * (pred - true)
