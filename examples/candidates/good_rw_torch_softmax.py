"""F.softmax over the last axis, its Jacobian (..., K, K) by torch.func.jacrev per row.
Correct: torch's softmax subtracts the max, the Jacobian is diag(a) - a a^T exactly."""
# expect: pass
# only: activations
# requires: torch

import numpy as np
import torch
import torch.nn.functional as F


def softmax(z):
    return np.asarray(F.softmax(torch.tensor(np.asarray(z, dtype=float)), dim=-1), dtype=float)


def softmax_der(z):
    z = np.asarray(z, dtype=float)
    k = z.shape[-1]
    rows = torch.tensor(z.reshape(-1, k))
    jac = torch.func.vmap(torch.func.jacrev(lambda r: F.softmax(r, dim=-1)))(rows)
    return np.asarray(jac, dtype=float).reshape(*z.shape, k)
