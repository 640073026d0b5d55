"""A float16 custom torch.autograd.Function for the half squared error 0.5 (a - y)**2 whose
backward returns 2 (a - y): the factor 2 of d/da (a - y)**2 kept after the 1/2 was added."""
# expect: fail factor2_extra
# only: costs
# requires: torch
# dtypes: float16

import torch

FRAMEWORK = "torch"
DTYPES = ["float16"]


class _HalfSquared(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a, y):
        ctx.save_for_backward(a, y)
        return 0.5 * (a - y) ** 2

    @staticmethod
    def backward(ctx, grad):
        a, y = ctx.saved_tensors
        return grad * 2 * (a - y), None


def half_squared(a, y):
    return _HalfSquared.apply(a, y)
