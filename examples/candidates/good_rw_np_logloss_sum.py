"""Summed binary cross-entropy on probabilities (COST_REDUCTION = "sum"), with log1p for
the (1 - a) term, and its gradient (a - y) / (a (1 - a)) per element (no 1/N for a sum)."""
# expect: pass
# only: costs

import numpy as np

COST = "log_loss"
COST_REDUCTION = "sum"


def cost(pred, true):
    return np.sum(-(true * np.log(pred) + (1 - true) * np.log1p(-pred)))


def dcost(pred, true):
    return (pred - true) / (pred * (1 - pred))
