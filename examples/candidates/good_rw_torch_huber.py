"""Huber loss with delta = 1 two ways: F.huber_loss(delta=1.0) as `huber`, and the gradient
of F.smooth_l1_loss(beta=1.0), which is the same function when beta = delta = 1."""
# expect: pass
# only: costs
# requires: torch

import numpy as np
import torch
import torch.nn.functional as F


def huber(a, y):
    a = torch.tensor(np.asarray(a, dtype=float))
    y = torch.tensor(np.asarray(y, dtype=float))
    return np.asarray(F.huber_loss(a, y, reduction="none", delta=1.0), dtype=float)


def huber_der(a, y):
    a = torch.tensor(np.asarray(a, dtype=float), requires_grad=True)
    y = torch.tensor(np.asarray(y, dtype=float))
    F.smooth_l1_loss(a, y, reduction="sum", beta=1.0).backward()
    return np.asarray(a.grad, dtype=float)
