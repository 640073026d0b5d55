"""torch F.selu (scale 1.0507, alpha 1.6733: the self-normalising ELU) declared as the spec's
elu (scale 1, alpha 1); the derivative comes from torch.autograd."""
# expect: fail registry_function_mixup
# only: activations
# requires: torch

import numpy as np
import torch
import torch.nn.functional as F


def elu(z):
    return F.selu(torch.tensor(np.asarray(z))).numpy()


def elu_der(z):
    t = torch.tensor(np.asarray(z), requires_grad=True)
    F.selu(t).sum().backward()
    return t.grad.numpy()
