"""Torch code as it is (FRAMEWORK = "torch"): exact GELU and the logistic sigmoid as custom
torch.autograd.Functions with hand-written backward passes, tanh and softmax as torch's own.
No _der function is written: gradspec takes every derivative by torch.autograd, so the
backward methods below (and their double backward) are what the derivative checks judge."""
# expect: pass
# only: activations
# requires: torch

import math

import torch

FRAMEWORK = "torch"


class _Gelu(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z):
        ctx.save_for_backward(z)
        # erfc keeps the digits for large negative z, where 1 + erf(z / sqrt 2) cancels
        return 0.5 * z * torch.erfc(-z / math.sqrt(2))

    @staticmethod
    def backward(ctx, grad):
        (z,) = ctx.saved_tensors
        cdf = 0.5 * torch.erfc(-z / math.sqrt(2))
        pdf = torch.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
        return grad * (cdf + z * pdf)


class _Sigmoid(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z):
        a = torch.sigmoid(z)
        ctx.save_for_backward(a)
        return a

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * a * (1 - a)


def gelu(z):
    return _Gelu.apply(z)


def sigmoid(z):
    return _Sigmoid.apply(z)


def tanh(z):
    return torch.tanh(z)


def softmax(z):
    return torch.softmax(z, dim=-1)
