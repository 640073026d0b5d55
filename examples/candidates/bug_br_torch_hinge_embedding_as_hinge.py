"""torch F.hinge_embedding_loss(a, y) declared as the spec's hinge: for y = 1 it is a
itself, for y = -1 max(0, 1 - a); not max(0, 1 - y a).  Derivative by torch.autograd."""
# expect: fail declared_function_differs
# only: costs
# requires: torch

import numpy as np
import torch
import torch.nn.functional as F


def _loss(a, y):
    return F.hinge_embedding_loss(a, y, margin=1.0, reduction="none")


def hinge(a, y):
    with torch.no_grad():
        return _loss(torch.tensor(np.asarray(a)), torch.tensor(np.asarray(y))).numpy()


def hinge_der(a, y):
    x = torch.tensor(np.asarray(a), requires_grad=True)
    (g,) = torch.autograd.grad(_loss(x, torch.tensor(np.asarray(y))).sum(), x)
    return g.numpy()
