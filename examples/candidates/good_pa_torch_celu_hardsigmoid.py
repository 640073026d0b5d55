"""torch F.celu(alpha=0.5) declared with PARAMS, and hard_sigmoid as F.relu6(z + 3) / 6 (the
registry's default slope 1/6, nothing to declare); derivatives from torch.autograd (0 at
the kinks +-3, inside the accepted [0, 1/6]).  F.hardsigmoid itself is not used: its
backward in float64 returns float32's 1/6 (0.1666666716337204), which fails
(good_pa_torch_hardsigmoid_backward.py)."""
# expect: pass
# only: activations
# requires: torch

import numpy as np
import torch
import torch.nn.functional as F

PARAMS = {"celu": {"alpha": 0.5}}


def _grad(f, z):
    t = torch.tensor(np.asarray(z), requires_grad=True)
    f(t).sum().backward()
    return t.grad.numpy()


def celu(z):
    return F.celu(torch.tensor(np.asarray(z)), alpha=0.5).numpy()


def celu_der(z):
    return _grad(lambda t: F.celu(t, alpha=0.5), z)


def _hard_sigmoid(t):
    return F.relu6(t + 3.0) / 6.0


def hard_sigmoid(z):
    return _hard_sigmoid(torch.tensor(np.asarray(z))).numpy()


def hard_sigmoid_der(z):
    return _grad(_hard_sigmoid, z)
