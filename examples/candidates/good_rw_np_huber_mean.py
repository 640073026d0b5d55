"""Mean Huber loss (delta 1) like sklearn/Keras report it, COST_REDUCTION = "mean":
np.where(|r| <= 1, 0.5 r^2, |r| - 0.5) averaged, gradient clip(r, -1, 1) / N."""
# expect: pass
# only: costs

import numpy as np

COST = "huber"
COST_REDUCTION = "mean"


def cost(pred, true):
    r = pred - true
    return np.mean(np.where(np.abs(r) <= 1.0, 0.5 * r * r, np.abs(r) - 0.5))


def dcost(pred, true):
    return np.clip(pred - true, -1.0, 1.0) / pred.size
