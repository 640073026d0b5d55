"""torch F.gelu(approximate="tanh") (the GPT-2 / BERT "gelu_new") declared as the spec's
gelu, the exact erf form; the derivative comes from torch.autograd of the same call."""
# expect: fail registry_function_mixup
# only: activations
# requires: torch

import numpy as np
import torch
import torch.nn.functional as F


def gelu(z):
    return F.gelu(torch.tensor(np.asarray(z)), approximate="tanh").numpy()


def gelu_der(z):
    t = torch.tensor(np.asarray(z), requires_grad=True)
    F.gelu(t, approximate="tanh").sum().backward()
    return t.grad.numpy()
