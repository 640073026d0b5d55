"""sklearn.metrics.mean_squared_error as the cost (the mean of (a - y)^2 over all elements:
for 2-D input sklearn averages the per-column means, equal rows per column make that the
overall mean), gradient 2 (a - y) / N written by hand."""
# expect: pass
# only: costs
# requires: sklearn

import numpy as np
from sklearn import metrics

COST = "squared"
COST_REDUCTION = "mean"


def cost(pred, true):
    pred, true = np.asarray(pred), np.asarray(true)
    return metrics.mean_squared_error(true.reshape(len(true), -1), pred.reshape(len(pred), -1))


def dcost(pred, true):
    return 2.0 * (pred - true) / np.size(pred)
