"""torch F.smooth_l1_loss(beta=0.5, reduction="none") declared as smooth_l1 at beta 0.5;
the derivative comes from torch.autograd."""
# expect: pass
# only: costs
# requires: torch

import numpy as np
import torch
import torch.nn.functional as F

PARAMS = {"smooth_l1": {"beta": 0.5}}


def smooth_l1(a, y):
    return F.smooth_l1_loss(
        torch.tensor(np.asarray(a)), torch.tensor(np.asarray(y)), reduction="none", beta=0.5
    ).numpy()


def smooth_l1_der(a, y):
    t = torch.tensor(np.asarray(a), requires_grad=True)
    F.smooth_l1_loss(t, torch.tensor(np.asarray(y)), reduction="none", beta=0.5).sum().backward()
    return t.grad.numpy()
