"""torch F.softplus(beta=2) = log(1 + exp(2 z)) / 2 declared as the spec's softplus
(beta 1); the derivative, sigmoid(2 z), comes from torch.autograd."""
# expect: fail parameter_mismatch
# only: activations
# requires: torch

import numpy as np
import torch
import torch.nn.functional as F


def softplus(z):
    return F.softplus(torch.tensor(np.asarray(z)), beta=2.0).numpy()


def softplus_der(z):
    t = torch.tensor(np.asarray(z), requires_grad=True)
    F.softplus(t, beta=2.0).sum().backward()
    return t.grad.numpy()
