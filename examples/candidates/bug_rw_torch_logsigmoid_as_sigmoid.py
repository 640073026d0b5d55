"""torch F.logsigmoid (log sigmoid(z), the numerically stable building block of the log loss)
used as the forward declared as the spec's sigmoid; its autograd derivative is
sigmoid(-z) = 1 - sigmoid(z)."""
# expect: fail registry_function_mixup
# only: activations
# requires: torch

import numpy as np
import torch
import torch.nn.functional as F


def sigmoid(z):
    return F.logsigmoid(torch.tensor(np.asarray(z))).numpy()


def sigmoid_der(z):
    t = torch.tensor(np.asarray(z), requires_grad=True)
    F.logsigmoid(t).sum().backward()
    return t.grad.numpy()
