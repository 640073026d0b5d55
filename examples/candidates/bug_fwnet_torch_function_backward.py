"""A torch module whose custom tanh autograd.Function forgets a factor in its backward
(grad * (1 - a) where tanh' = 1 - a**2).  The forward is right, so only the gradient is
wrong, and only for the parameters before the activation: gradspec localises the failure to
hidden.weight and hidden.bias (out.weight and out.bias are right)."""
# expect: fail -
# only: network
# requires: torch

import torch

FRAMEWORK = "torch"
ARCH = {"cost": "half_squared", "reduction": "mean"}


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


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = torch.nn.Linear(3, 4)
        self.out = torch.nn.Linear(4, 2)

    def forward(self, x):
        return self.out(_Tanh.apply(self.hidden(x)))


def model(seed):
    torch.manual_seed(seed)
    return Net()
