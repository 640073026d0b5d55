"""torch F.mse_loss with its default reduction="mean" declared as COST = "squared",
COST_REDUCTION = "sum": cost and autograd gradient are both 1/N of the declared sum."""
# expect: fail cost_sum_instead_of_mean
# only: costs
# requires: torch

import numpy as np
import torch
import torch.nn.functional as F

COST = "squared"
COST_REDUCTION = "sum"


def cost(pred, true):
    return F.mse_loss(torch.tensor(np.asarray(pred)), torch.tensor(np.asarray(true))).numpy()


def dcost(pred, true):
    t = torch.tensor(np.asarray(pred), requires_grad=True)
    F.mse_loss(t, torch.tensor(np.asarray(true))).backward()
    return t.grad.numpy()
