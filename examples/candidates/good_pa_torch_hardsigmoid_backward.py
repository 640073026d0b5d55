"""torch F.hardsigmoid as it is (torch 2.13.0): the forward is right, but its backward
in float64 returns 1/6 rounded to float32 (0.1666666716337204) on the middle piece, a
relative error of 3e-8: float32 accuracy behind a float64 interface.  Right math in the
precision it computes in, so a warning (computes in float32), never a failure."""
# expect: pass
# only: activations
# requires: torch

import numpy as np
import torch
import torch.nn.functional as F


def hard_sigmoid(z):
    return F.hardsigmoid(torch.tensor(np.asarray(z))).numpy()


def hard_sigmoid_der(z):
    t = torch.tensor(np.asarray(z), requires_grad=True)
    F.hardsigmoid(t).sum().backward()
    return t.grad.numpy()
