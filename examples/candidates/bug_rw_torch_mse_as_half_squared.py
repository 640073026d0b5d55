"""torch F.mse_loss(reduction="mean") = mean((a - y)**2) declared as COST = "half_squared"
(mean of 0.5 (a - y)**2): a factor 2 on both the cost and its autograd gradient."""
# expect: fail factor2_extra
# only: costs
# requires: torch

import numpy as np
import torch
import torch.nn.functional as F

COST = "half_squared"
COST_REDUCTION = "mean"


def cost(pred, true):
    return F.mse_loss(torch.tensor(np.asarray(pred)), torch.tensor(np.asarray(true))).numpy()


def dcost(pred, true):
    t = torch.tensor(np.asarray(pred), requires_grad=True)
    F.mse_loss(t, torch.tensor(np.asarray(true)), reduction="mean").backward()
    return t.grad.numpy()
