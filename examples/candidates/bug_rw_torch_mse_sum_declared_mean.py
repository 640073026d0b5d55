"""torch F.mse_loss(reduction="sum") declared as COST = "squared", COST_REDUCTION = "mean":
cost and autograd gradient are both N times the declared mean."""
# expect: fail cost_sum_instead_of_mean
# only: costs
# requires: torch

import numpy as np
import torch
import torch.nn.functional as F

COST = "squared"
COST_REDUCTION = "mean"


def cost(pred, true):
    return F.mse_loss(
        torch.tensor(np.asarray(pred)), torch.tensor(np.asarray(true)), reduction="sum"
    ).numpy()


def dcost(pred, true):
    t = torch.tensor(np.asarray(pred), requires_grad=True)
    F.mse_loss(t, torch.tensor(np.asarray(true)), reduction="sum").backward()
    return t.grad.numpy()
