"""A torch network as it is (FRAMEWORK = "torch"): model(seed) returns an nn.Sequential of
Linear and Tanh modules; ARCH names only the cost and the reduction.  gradspec reads the sizes
and activations from the module, casts it to float64, takes the gradient by torch.autograd and
compares it with the numeric gradient of the module's own forward and with the reference
network (W0 = 0.weight.T, b0 = 0.bias, ...)."""
# expect: pass
# only: network
# requires: torch

import torch

FRAMEWORK = "torch"
ARCH = {"cost": "half_squared", "reduction": "mean"}


def model(seed):
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Linear(3, 5),
        torch.nn.Tanh(),
        torch.nn.Linear(5, 2),
    )
