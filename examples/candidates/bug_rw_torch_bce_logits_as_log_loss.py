"""torch F.binary_cross_entropy_with_logits (a loss on LOGITS z: log(1 + exp(z)) - y z)
declared as the spec's log_loss, the binary cross-entropy on PROBABILITIES a in (0, 1)
(that is log_loss_logits); the derivative, sigmoid(a) - y, comes from torch.autograd."""
# expect: fail declared_function_differs
# only: costs
# requires: torch

import numpy as np
import torch
import torch.nn.functional as F


def log_loss(a, y):
    return F.binary_cross_entropy_with_logits(
        torch.tensor(np.asarray(a)), torch.tensor(np.asarray(y)), reduction="none"
    ).numpy()


def log_loss_der(a, y):
    t = torch.tensor(np.asarray(a), requires_grad=True)
    y = torch.tensor(np.asarray(y))
    F.binary_cross_entropy_with_logits(t, y, reduction="none").sum().backward()
    return t.grad.numpy()
