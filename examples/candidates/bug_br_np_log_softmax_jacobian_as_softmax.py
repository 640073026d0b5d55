"""A right log_softmax whose Jacobian is softmax's, diag(p) - p p^T with p = exp(log_softmax):
the classic copy of the softmax backward; log_softmax's is I - 1 p^T."""
# expect: fail log_softmax_jacobian_as_softmax
# only: activations

import numpy as np


def log_softmax(z):
    z = np.asarray(z)
    s = z - z.max(axis=-1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=-1, keepdims=True))


def log_softmax_der(z):
    p = np.exp(log_softmax(z))
    return p[..., :, None] * np.eye(p.shape[-1]) - p[..., :, None] * p[..., None, :]
