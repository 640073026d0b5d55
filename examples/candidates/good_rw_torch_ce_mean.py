"""Batch-mean categorical cross-entropy on logits with probability targets, exactly as a
PyTorch training loop computes it: F.cross_entropy(logits, probs) (reduction="mean" averages
over the N rows), gradient (softmax(z) - y) / N from backward()."""
# expect: pass
# only: costs
# requires: torch

import numpy as np
import torch
import torch.nn.functional as F

COST = "cross_entropy_logits"
COST_REDUCTION = "mean"


def cost(logits, target):
    z = np.asarray(logits, dtype=float)
    k = z.shape[-1]
    zt = torch.tensor(z.reshape(-1, k))
    yt = torch.tensor(np.asarray(target, dtype=float).reshape(-1, k))
    return F.cross_entropy(zt, yt).item()


def dcost(logits, target):
    z = np.asarray(logits, dtype=float)
    k = z.shape[-1]
    zt = torch.tensor(z.reshape(-1, k), requires_grad=True)
    yt = torch.tensor(np.asarray(target, dtype=float).reshape(-1, k))
    F.cross_entropy(zt, yt).backward()
    return zt.grad.numpy().reshape(z.shape)
