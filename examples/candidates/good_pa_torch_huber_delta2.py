"""torch F.huber_loss(delta=2), declared with its delta in PARAMS; the derivative comes
from torch.autograd."""
# expect: pass
# only: costs
# requires: torch

import numpy as np
import torch
import torch.nn.functional as F

PARAMS = {"huber": {"delta": 2.0}}


def huber(a, y):
    return F.huber_loss(
        torch.tensor(np.asarray(a)), torch.tensor(np.asarray(y)), reduction="none", delta=2.0
    ).numpy()


def huber_der(a, y):
    t = torch.tensor(np.asarray(a), requires_grad=True)
    F.huber_loss(t, torch.tensor(np.asarray(y)), reduction="none", delta=2.0).sum().backward()
    return t.grad.numpy()
