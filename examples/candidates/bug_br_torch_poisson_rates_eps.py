"""torch F.poisson_nll_loss(a, y, log_input=False, full=False) declared as the spec's
poisson_nll on rates: torch computes a - y log(a + 1e-8), a different function (its
epsilon guards log(0)); derivative by torch.autograd.grad.  Caught (the 1e-8 is far beyond
rounding near a = 0); too small a change for the self-consistency diagnosis to name it."""
# expect: fail -
# only: costs
# requires: torch

import numpy as np
import torch
import torch.nn.functional as F


def _loss(a, y):
    return F.poisson_nll_loss(a, y, log_input=False, full=False, reduction="none")


def poisson_nll(a, y):
    with torch.no_grad():
        return _loss(torch.tensor(np.asarray(a)), torch.tensor(np.asarray(y))).numpy()


def poisson_nll_der(a, y):
    x = torch.tensor(np.asarray(a), requires_grad=True)
    (g,) = torch.autograd.grad(_loss(x, torch.tensor(np.asarray(y))).sum(), x)
    return g.numpy()
