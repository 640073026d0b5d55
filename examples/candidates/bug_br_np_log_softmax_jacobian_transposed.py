"""A right log_softmax whose Jacobian is transposed: row j holds d a_j / d z_i, the layout
of a vector-Jacobian product, where the protocol's J[..., i, j] is d a_i / d z_j.  For
log_softmax, J = I - 1 p^T is not symmetric (softmax's is), so the transpose is wrong."""
# expect: fail jacobian_transposed
# only: activations

import numpy as np


def log_softmax(z):
    z = np.asarray(z)
    s = z - z.max(axis=-1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=-1, keepdims=True))


def log_softmax_der(z):
    p = np.exp(log_softmax(z))
    k = p.shape[-1]
    jac = np.eye(k) - p[..., None, :]  # J[i, j] = delta_ij - p_j
    return np.swapaxes(jac, -1, -2)  # the bug: J[i, j] = delta_ij - p_i
