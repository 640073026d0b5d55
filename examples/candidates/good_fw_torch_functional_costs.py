"""Torch costs as they are (FRAMEWORK = "torch"), from torch.nn.functional, elementwise
(reduction="none"), and a mean squared error declared as the single cost/dcost pair.  No
derivative is written: gradspec takes dC/da (and d2C/da2) by torch.autograd."""
# expect: pass
# only: costs
# requires: torch

import torch.nn.functional as F

FRAMEWORK = "torch"
COST = "squared"
COST_REDUCTION = "mean"


def half_squared(a, y):
    return 0.5 * F.mse_loss(a, y, reduction="none")


def squared(a, y):
    return F.mse_loss(a, y, reduction="none")


def absolute(a, y):
    return F.l1_loss(a, y, reduction="none")


def huber(a, y):
    return F.huber_loss(a, y, reduction="none", delta=1.0)


def cost(pred, true):
    return F.mse_loss(pred, true, reduction="mean")
