"""A torch module with Dropout left in training mode (model(seed) never calls .eval()): its
forward is random, so two identical gradient calls differ.  The determinism check fails
(stateful_gradients), and the report notes the random layer in training mode."""
# expect: fail stateful_gradients
# only: network
# requires: torch

import torch

FRAMEWORK = "torch"
ARCH = {"cost": "half_squared", "reduction": "mean"}


def model(seed):
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Linear(3, 6),
        torch.nn.ReLU(),
        torch.nn.Dropout(p=0.5),
        torch.nn.Linear(6, 1),
    )
