"""torch F.log_softmax declared as the spec's log_softmax (the counterpart of
bug_rw_torch_log_softmax_as_softmax.py); its Jacobian by torch.autograd.functional.jacobian,
row by row: I - 1 softmax(z)^T."""
# expect: pass
# only: activations
# requires: torch

import numpy as np
import torch
import torch.nn.functional as F


def log_softmax(z):
    return F.log_softmax(torch.tensor(np.asarray(z)), dim=-1).numpy()


def log_softmax_der(z):
    z = np.asarray(z)
    rows = torch.tensor(z.reshape(-1, z.shape[-1]))
    jac = [torch.autograd.functional.jacobian(lambda r: F.log_softmax(r, dim=-1), r) for r in rows]
    return torch.stack(jac).numpy().reshape(*z.shape, z.shape[-1])
