"""Elementwise categorical cross-entropy on probabilities, -y log a, and the elementwise
cross-entropy on logits per row, logsumexp(z) - <y, z>, with gradient softmax(z) - y."""
# expect: pass
# only: costs

import numpy as np


def cross_entropy(a, y):
    return -y * np.log(a)


def cross_entropy_der(a, y):
    return -y / a


def cross_entropy_logits(z, y):
    m = z.max(axis=-1, keepdims=True)
    lse = (m + np.log(np.exp(z - m).sum(axis=-1, keepdims=True)))[..., 0]
    return lse - (y * z).sum(axis=-1)


def cross_entropy_logits_der(z, y):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True) - y
