"""A custom torch.autograd.Function for tanh whose backward forgets a factor a: it returns
grad * (1 - a) where tanh' = 1 - a**2.  The forward is right; only torch.autograd's route
through the backward (the derivative gradspec takes) is wrong."""
# expect: fail tanh_der_one_minus_a
# only: activations
# requires: torch

import torch

FRAMEWORK = "torch"


class _Tanh(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z):
        a = torch.tanh(z)
        ctx.save_for_backward(a)
        return a

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * (1 - a)


def tanh(z):
    return _Tanh.apply(z)
