"""Softmax cross-entropy on logits averaged over the batch (one example per row, as every
framework means it): logsumexp(z) - <y, z> per row with the max shifted out, mean over the
N rows; gradient (softmax(z) - y) / N."""
# expect: pass
# only: costs

import numpy as np

COST = "cross_entropy_logits"
COST_REDUCTION = "mean"


def _rows(z):
    m = np.max(z, axis=-1, keepdims=True)
    lse = m + np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True))
    return lse


def cost(z, y):
    per_row = _rows(z)[..., 0] - np.sum(y * z, axis=-1)
    return np.mean(per_row)


def dcost(z, y):
    n = np.prod(z.shape[:-1])
    return (np.exp(z - _rows(z)) - y) / n
