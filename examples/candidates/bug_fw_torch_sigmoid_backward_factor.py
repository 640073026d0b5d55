"""A custom torch.autograd.Function for the sigmoid whose backward forgets the factor
(1 - a): grad * a, which is the forward's value.  The forward is right; the derivative
torch.autograd takes is not."""
# expect: fail forward_as_derivative
# only: activations
# requires: torch

import torch

FRAMEWORK = "torch"


class _Sigmoid(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z):
        a = torch.sigmoid(z)
        ctx.save_for_backward(a)
        return a

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * a


def sigmoid(z):
    return _Sigmoid.apply(z)
