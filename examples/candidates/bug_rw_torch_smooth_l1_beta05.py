"""torch F.smooth_l1_loss(beta=0.5, reduction="none") declared as the spec's huber (delta 1).
smooth_l1 with beta is 0.5 r**2 / beta for |r| < beta, |r| - beta/2 beyond: it equals huber
only at beta = 1 (and huber_loss(delta) = delta * smooth_l1(beta=delta) in general).  The
derivative comes from torch.autograd."""
# expect: fail declared_function_differs
# only: costs
# requires: torch

import numpy as np
import torch
import torch.nn.functional as F


def huber(a, y):
    return F.smooth_l1_loss(
        torch.tensor(np.asarray(a)), torch.tensor(np.asarray(y)), reduction="none", beta=0.5
    ).numpy()


def huber_der(a, y):
    t = torch.tensor(np.asarray(a), requires_grad=True)
    y = torch.tensor(np.asarray(y))
    F.smooth_l1_loss(t, y, reduction="none", beta=0.5).sum().backward()
    return t.grad.numpy()
