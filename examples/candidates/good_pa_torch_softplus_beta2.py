"""torch F.softplus(beta=2) = log(1 + exp(2 z)) / 2, declared with its beta in PARAMS;
the derivative, sigmoid(2 z), comes from torch.autograd.  torch is the identity beyond
beta z > 20 (threshold): a relative error up to 2e-9, a warning in float64."""
# expect: pass
# only: activations
# requires: torch

import numpy as np
import torch
import torch.nn.functional as F

PARAMS = {"softplus": {"beta": 2.0}}


def softplus(z):
    return F.softplus(torch.tensor(np.asarray(z)), beta=2.0).numpy()


def softplus_der(z):
    t = torch.tensor(np.asarray(z), requires_grad=True)
    F.softplus(t, beta=2.0).sum().backward()
    return t.grad.numpy()
