"""sklearn.metrics.mean_absolute_error as a mean-reduced absolute cost, gradient
sign(a - y) / N (np.sign gives 0 at a == y, a valid subgradient)."""
# expect: pass
# only: costs
# requires: sklearn

import numpy as np
from sklearn import metrics

COST = "absolute"
COST_REDUCTION = "mean"


def cost(pred, true):
    pred, true = np.asarray(pred), np.asarray(true)
    return metrics.mean_absolute_error(true.reshape(len(true), -1), pred.reshape(len(pred), -1))


def dcost(pred, true):
    return np.sign(pred - true) / np.size(pred)
