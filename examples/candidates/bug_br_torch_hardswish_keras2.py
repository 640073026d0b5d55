"""The older hard swish (Keras 2, many tutorials): z * hard_sigmoid(z) with the slope-0.2
hard sigmoid clip(0.2 z + 0.5, 0, 1), declared as the spec's hard_swish (torch and Keras 3:
z relu6(z + 3) / 6); derivative by torch.autograd.  Caught on value, derivative and kinks; the
old function's own kinks at +-2.5 fall on the diagnosis probe, so no signature names it."""
# expect: fail -
# only: activations
# requires: torch

import numpy as np
import torch


def _old(x):
    return x * torch.clamp(0.2 * x + 0.5, 0.0, 1.0)


def hard_swish(z):
    with torch.no_grad():
        return _old(torch.tensor(np.asarray(z))).numpy()


def hard_swish_der(z):
    x = torch.tensor(np.asarray(z), requires_grad=True)
    (g,) = torch.autograd.grad(_old(x).sum(), x)
    return g.numpy()
