"""F.softplus with its defaults (beta=1, threshold=20), derivative by autograd.  Above z = 20
torch returns z itself (log(1+e^z) - z < 3e-9 there): the standard PyTorch behaviour."""
# expect: pass
# only: activations
# requires: torch

import numpy as np
import torch
import torch.nn.functional as F


def softplus(z):
    return np.asarray(F.softplus(torch.tensor(np.asarray(z, dtype=float))), dtype=float)


def softplus_der(z):
    x = torch.tensor(np.asarray(z, dtype=float), requires_grad=True)
    (g,) = torch.autograd.grad(F.softplus(x), x, grad_outputs=torch.ones_like(x))
    return np.asarray(g, dtype=float)
