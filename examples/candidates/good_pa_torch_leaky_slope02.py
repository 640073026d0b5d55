"""torch F.leaky_relu(negative_slope=0.2) (the GAN / GAT default), declared with its slope:
PARAMS checks leaky_relu at slope 0.2; the derivative comes from torch.autograd."""
# expect: pass
# only: activations
# requires: torch

import numpy as np
import torch
import torch.nn.functional as F

PARAMS = {"leaky_relu": {"slope": 0.2}}


def leaky_relu(z):
    return F.leaky_relu(torch.tensor(np.asarray(z)), negative_slope=0.2).numpy()


def leaky_relu_der(z):
    t = torch.tensor(np.asarray(z), requires_grad=True)
    F.leaky_relu(t, negative_slope=0.2).sum().backward()
    return t.grad.numpy()
