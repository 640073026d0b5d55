"""sklearn.utils.extmath.softmax (2-D only, max-shifted, copy=True so the input is left
alone), applied to the last axis by reshaping; Jacobian diag(a) - a a^T."""
# expect: pass
# only: activations
# requires: sklearn

import numpy as np
from sklearn.utils import extmath


def softmax(z):
    z = np.asarray(z)
    k = z.shape[-1]
    return extmath.softmax(z.reshape(-1, k), copy=True).reshape(z.shape)


def softmax_der(z):
    a = softmax(z)
    return np.einsum("...i,ij->...ij", a, np.eye(a.shape[-1])) - a[..., :, None] * a[..., None, :]
