"""Declared mean, but the cost returns the sum."""
# expect: fail cost_sum_instead_of_mean
# only: costs

import numpy as np

COST = "squared"
COST_REDUCTION = "mean"


def cost(pred, true):
    return np.sum((pred - true) ** 2)


def dcost(pred, true):
    return 2 * (pred - true) / pred.size
