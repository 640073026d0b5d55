"""torch's functional losses mapped onto the registry's argument conventions, reduction
'none', derivatives by torch.autograd.grad: kl_div(a, y) is F.kl_div(log a, y) (torch's
input is log-probabilities), poisson_nll_log is F.poisson_nll_loss(z, y, log_input=True,
full=False); the hinge by torch.clamp (torch has no +-1 label hinge: hinge_embedding_loss is
another function)."""
# expect: pass
# only: costs
# requires: torch

import numpy as np
import torch
import torch.nn.functional as F

_FNS = {
    "kl_div": lambda a, y: F.kl_div(torch.log(a), y, reduction="none"),
    "poisson_nll_log": lambda z, y: F.poisson_nll_loss(
        z, y, log_input=True, full=False, reduction="none"
    ),
    "hinge": lambda a, y: torch.clamp(1 - y * a, min=0),
    "squared_hinge": lambda a, y: torch.clamp(1 - y * a, min=0) ** 2,
}


def _val(name, a, y):
    with torch.no_grad():
        return _FNS[name](torch.tensor(np.asarray(a)), torch.tensor(np.asarray(y))).numpy()


def _der(name, a, y):
    x = torch.tensor(np.asarray(a), requires_grad=True)
    (g,) = torch.autograd.grad(_FNS[name](x, torch.tensor(np.asarray(y))).sum(), x)
    return g.numpy()


def _make(name):
    globals()[name] = lambda a, y: _val(name, a, y)
    globals()[name + "_der"] = lambda a, y: _der(name, a, y)


for _name in _FNS:
    _make(_name)
