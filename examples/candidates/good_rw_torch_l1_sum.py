"""Summed absolute error: F.l1_loss(reduction="sum"), gradient sign(a - y) from autograd."""
# expect: pass
# only: costs
# requires: torch

import numpy as np
import torch
import torch.nn.functional as F

COST = "absolute"
COST_REDUCTION = "sum"


def cost(pred, true):
    p = torch.from_numpy(np.asarray(pred, dtype=np.float64))
    return F.l1_loss(
        p, torch.from_numpy(np.asarray(true, dtype=np.float64)), reduction="sum"
    ).item()


def dcost(pred, true):
    p = torch.from_numpy(np.array(pred, dtype=np.float64)).requires_grad_()
    t = torch.from_numpy(np.asarray(true, dtype=np.float64))
    F.l1_loss(p, t, reduction="sum").backward()
    return p.grad.numpy()
