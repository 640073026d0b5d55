"""torch's own costs in bfloat16 (FRAMEWORK = "torch", DTYPES declares bfloat16), from
torch.nn.functional, elementwise (reduction="none"): squared and half squared error, Huber,
log loss on logits.  dC/da and d2C/da2 are taken by torch.autograd.  (F.binary_cross_entropy
is not here: its backward divides by max(a (1 - a), 1e-12), a clamp of its own whose double
backward is a quarter of d2C/da2 at a = 1e-12, in any dtype.)"""
# expect: pass
# only: costs
# requires: torch

import torch.nn.functional as F

FRAMEWORK = "torch"
DTYPES = ["bfloat16"]


def half_squared(a, y):
    return 0.5 * F.mse_loss(a, y, reduction="none")


def squared(a, y):
    return F.mse_loss(a, y, reduction="none")


def huber(a, y):
    return F.huber_loss(a, y, reduction="none", delta=1.0)


def log_loss_logits(z, y):
    return F.binary_cross_entropy_with_logits(z, y, reduction="none")
