"""torch F.elu(alpha=0.5) declared as the spec's elu (alpha 1); the derivative comes from
torch.autograd (0.5 exp(z) for z < 0)."""
# expect: fail parameter_mismatch
# only: activations
# requires: torch

import numpy as np
import torch
import torch.nn.functional as F


def elu(z):
    return F.elu(torch.tensor(np.asarray(z)), alpha=0.5).numpy()


def elu_der(z):
    t = torch.tensor(np.asarray(z), requires_grad=True)
    F.elu(t, alpha=0.5).sum().backward()
    return t.grad.numpy()
