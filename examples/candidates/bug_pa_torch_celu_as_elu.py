"""torch F.elu(alpha=0.5) declared as celu at alpha 0.5: elu's negative branch is
alpha (exp(z) - 1), celu's alpha (exp(z / alpha) - 1); they agree only at alpha = 1."""
# expect: fail declared_function_differs
# only: activations
# requires: torch

import numpy as np
import torch
import torch.nn.functional as F

PARAMS = {"celu": {"alpha": 0.5}}


def celu(z):
    return F.elu(torch.tensor(np.asarray(z)), alpha=0.5).numpy()


def celu_der(z):
    t = torch.tensor(np.asarray(z), requires_grad=True)
    F.elu(t, alpha=0.5).sum().backward()
    return t.grad.numpy()
