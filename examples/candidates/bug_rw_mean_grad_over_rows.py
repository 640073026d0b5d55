"""Mean squared error (np.mean over every element, like F.mse_loss / optax) whose gradient
divides by the batch size N = pred.shape[0] (rows) instead of the element count N*K: right
for a 1-D batch, K times too large for an (N, K) prediction."""
# expect: fail -
# only: costs

import numpy as np

COST = "squared"
COST_REDUCTION = "mean"


def cost(pred, true):
    return np.mean((pred - true) ** 2)


def dcost(pred, true):
    n = pred.shape[0]  # batch size
    return 2 * (pred - true) / n
