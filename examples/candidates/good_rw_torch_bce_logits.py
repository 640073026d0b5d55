"""Log loss on logits: F.binary_cross_entropy_with_logits (stable, log-sum-exp form),
gradient sigmoid(z) - y by autograd."""
# expect: pass
# only: costs
# requires: torch

import numpy as np
import torch
import torch.nn.functional as F


def log_loss_logits(z, y):
    z = torch.tensor(np.asarray(z, dtype=float))
    y = torch.tensor(np.asarray(y, dtype=float))
    return np.asarray(F.binary_cross_entropy_with_logits(z, y, reduction="none"), dtype=float)


def log_loss_logits_der(z, y):
    z = torch.tensor(np.asarray(z, dtype=float), requires_grad=True)
    y = torch.tensor(np.asarray(y, dtype=float))
    (g,) = torch.autograd.grad(F.binary_cross_entropy_with_logits(z, y, reduction="sum"), z)
    return np.asarray(g, dtype=float)
