"""Softmax with the row max subtracted (no overflow), Jacobian diag(s) - s s^T per row."""
# expect: pass
# only: activations

import numpy as np


def softmax(z):
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def softmax_der(z):
    s = softmax(z)
    jac = -s[..., :, None] * s[..., None, :]
    idx = np.arange(s.shape[-1])
    jac[..., idx, idx] += s
    return jac
