"""A torch module with a custom torch.autograd.Function inside: softplus with a hand-written
backward (the stable sigmoid), between two Linear layers, log loss of a sigmoid output summed
over the batch.  The module is not an nn.Sequential of registry modules, so there is no
reference comparison (the report says so); the autograd gradient, through the custom
backward, is checked against the numeric gradient of the module's own forward."""
# expect: pass
# only: network
# requires: torch

import torch

FRAMEWORK = "torch"
ARCH = {"sizes": [4, 6, 1], "cost": "log_loss", "reduction": "sum"}


class _Softplus(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z):
        ctx.save_for_backward(z)
        return torch.logaddexp(z, torch.zeros_like(z))

    @staticmethod
    def backward(ctx, grad):
        (z,) = ctx.saved_tensors
        return grad * torch.sigmoid(z)


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = torch.nn.Linear(4, 6)
        self.out = torch.nn.Linear(6, 1)

    def forward(self, x):
        return torch.sigmoid(self.out(_Softplus.apply(self.hidden(x))))


def model(seed):
    torch.manual_seed(seed)
    return Net()
