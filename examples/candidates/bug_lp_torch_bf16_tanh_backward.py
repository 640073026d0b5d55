"""A bfloat16 custom torch.autograd.Function for tanh whose backward forgets a factor a:
grad * (1 - a) where tanh' = 1 - a**2.  The forward is torch's own bfloat16 tanh."""
# expect: fail tanh_der_one_minus_a
# only: activations
# requires: torch
# dtypes: bfloat16

import torch

FRAMEWORK = "torch"
DTYPES = ["bfloat16"]


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
