"""torch F.leaky_relu(negative_slope=0.2) (the GAN / GAT default) declared as the spec's
leaky_relu, whose slope is 0.01; the derivative comes from torch.autograd, so forward and
derivative agree with each other but both use slope 0.2."""
# expect: fail wrong_leaky_slope
# only: activations
# requires: torch

import numpy as np
import torch
import torch.nn.functional as F


def leaky_relu(z):
    return F.leaky_relu(torch.tensor(np.asarray(z)), negative_slope=0.2).numpy()


def leaky_relu_der(z):
    t = torch.tensor(np.asarray(z), requires_grad=True)
    F.leaky_relu(t, negative_slope=0.2).sum().backward()
    return t.grad.numpy()
