"""Categorical cross-entropy on logits with soft (probability) targets:
F.cross_entropy(logits, probs, reduction="none") gives one value per row, the gradient
softmax(z) - y comes from autograd.  Leading axes are flattened to (N, K) for torch."""
# expect: pass
# only: costs
# requires: torch

import numpy as np
import torch
import torch.nn.functional as F


def _rows(z, y, grad=False):
    z = np.asarray(z, dtype=float)
    k = z.shape[-1]
    zt = torch.tensor(z.reshape(-1, k), requires_grad=grad)
    yt = torch.tensor(np.asarray(y, dtype=float).reshape(-1, k))
    return z.shape, zt, yt


def cross_entropy_logits(z, y):
    shape, zt, yt = _rows(z, y)
    return np.asarray(F.cross_entropy(zt, yt, reduction="none"), dtype=float).reshape(shape[:-1])


def cross_entropy_logits_der(z, y):
    shape, zt, yt = _rows(z, y, grad=True)
    F.cross_entropy(zt, yt, reduction="sum").backward()
    return np.asarray(zt.grad, dtype=float).reshape(shape)
