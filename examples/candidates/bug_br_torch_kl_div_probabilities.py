"""torch F.kl_div called with the probabilities a as its input (torch expects log a): it
computes y (log y - a), not y log(y / a); derivative by torch.autograd.grad."""
# expect: fail kl_div_probabilities_as_log
# only: costs
# requires: torch

import numpy as np
import torch
import torch.nn.functional as F


def kl_div(a, y):
    with torch.no_grad():
        t = F.kl_div(torch.tensor(np.asarray(a)), torch.tensor(np.asarray(y)), reduction="none")
    return t.numpy()


def kl_div_der(a, y):
    x = torch.tensor(np.asarray(a), requires_grad=True)
    loss = F.kl_div(x, torch.tensor(np.asarray(y)), reduction="none").sum()
    (g,) = torch.autograd.grad(loss, x)
    return g.numpy()
