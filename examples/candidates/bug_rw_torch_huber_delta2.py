"""torch F.huber_loss(delta=2.0, reduction="none") declared as the spec's huber (delta 1):
quadratic up to |r| = 2 and slope 2 beyond.  The derivative comes from torch.autograd."""
# expect: fail parameter_mismatch
# only: costs
# requires: torch

import numpy as np
import torch
import torch.nn.functional as F


def huber(a, y):
    return F.huber_loss(
        torch.tensor(np.asarray(a)), torch.tensor(np.asarray(y)), reduction="none", delta=2.0
    ).numpy()


def huber_der(a, y):
    t = torch.tensor(np.asarray(a), requires_grad=True)
    y = torch.tensor(np.asarray(y))
    F.huber_loss(t, y, reduction="none", delta=2.0).sum().backward()
    return t.grad.numpy()
