"""bfloat16 in torch (FRAMEWORK = "torch", DTYPES declares bfloat16): torch's functional
forwards on bfloat16 tensors, and custom torch.autograd.Functions for the sigmoid and tanh
whose backward is the output form, a (1 - a) and 1 - a**2, computed in float32 from the saved
bfloat16 output and rounded once, as a fused accelerator kernel does.  Derivatives are taken
by torch.autograd through those backwards."""
# expect: pass
# only: activations
# requires: torch

import torch
import torch.nn.functional as F

FRAMEWORK = "torch"
DTYPES = ["bfloat16"]


class _Sigmoid(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z):
        a = torch.sigmoid(z)
        ctx.save_for_backward(a)
        return a

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        a32 = a.float()
        return (grad.float() * a32 * (1 - a32)).to(grad.dtype)


class _Tanh(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z):
        a = torch.tanh(z)
        ctx.save_for_backward(a)
        return a

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        a32 = a.float()
        return (grad.float() * (1 - a32 * a32)).to(grad.dtype)


def sigmoid(z):
    return _Sigmoid.apply(z)


def tanh(z):
    return _Tanh.apply(z)


def relu(z):
    return F.relu(z)


def elu(z):
    return F.elu(z, alpha=1.0)


def gelu(z):
    return F.gelu(z)


def swish(z):
    return F.silu(z)


def softmax(z):
    return torch.softmax(z, dim=-1)
