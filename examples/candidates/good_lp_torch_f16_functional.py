"""torch's own activations in float16 (FRAMEWORK = "torch", DTYPES declares float16): the
torch.nn.functional forwards on float16 tensors, every derivative (and second derivative)
taken by torch.autograd through torch's own float16 backward kernels."""
# expect: pass
# only: activations
# requires: torch

import torch
import torch.nn.functional as F

FRAMEWORK = "torch"
DTYPES = ["float16"]


def sigmoid(z):
    return torch.sigmoid(z)


def tanh(z):
    return torch.tanh(z)


def relu(z):
    return F.relu(z)


def leaky_relu(z):
    return F.leaky_relu(z, negative_slope=0.01)


def softplus(z):
    # threshold above float16's exp range: the identity branch then errs by < 1 float16 ulp
    return F.softplus(z, threshold=12.0)


def elu(z):
    return F.elu(z, alpha=1.0)


def gelu(z):
    return F.gelu(z)


def swish(z):
    return F.silu(z)


def softmax(z):
    return torch.softmax(z, dim=-1)
