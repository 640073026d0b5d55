"""Mean squared error as people write it in PyTorch: F.mse_loss(reduction="mean"), and its
gradient 2 (a - y) / N from loss.backward()."""
# expect: pass
# only: costs
# requires: torch

import numpy as np
import torch
import torch.nn.functional as F

COST = "squared"
COST_REDUCTION = "mean"


def cost(pred, true):
    pred = torch.tensor(np.asarray(pred, dtype=float))
    return float(F.mse_loss(pred, torch.tensor(np.asarray(true, dtype=float))))


def dcost(pred, true):
    pred = torch.tensor(np.asarray(pred, dtype=float), requires_grad=True)
    F.mse_loss(pred, torch.tensor(np.asarray(true, dtype=float))).backward()
    return pred.grad.numpy()
