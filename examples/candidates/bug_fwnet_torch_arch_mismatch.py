"""ARCH says the hidden activation is relu, but the nn.Sequential model(seed) returns uses
Tanh: gradspec reads the module and refuses the contradiction as a usage error (one line,
exit 2) rather than checking either reading."""
# expect: usage
# only: network
# requires: torch

import torch

FRAMEWORK = "torch"
ARCH = {"sizes": [2, 4, 1], "activation": "relu", "cost": "half_squared", "reduction": "sum"}


def model(seed):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
