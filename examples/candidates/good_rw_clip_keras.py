"""Keras-style clipped cross-entropies (binary, and categorical elementwise -y log a) on
probabilities: p = clip(a, epsilon, 1 - epsilon) before the logs, derivatives of the same
expression at the clipped p.  Keras' own epsilon (1e-7) would change the loss for valid
probabilities below 1e-7 (16.1 instead of 27.6 at a = 1e-12), so epsilon here is the
dtype's smallest normal number: it only guards log(0) and never alters a valid input."""
# expect: pass
# only: costs

import numpy as np


def _eps(a):
    return np.finfo(np.asarray(a).dtype).tiny


def log_loss(a, y):
    p = np.clip(a, _eps(a), 1.0 - _eps(a))
    return -(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))


def log_loss_der(a, y):
    p = np.clip(a, _eps(a), 1.0 - _eps(a))
    return -y / p + (1.0 - y) / (1.0 - p)


def cross_entropy(a, y):
    return -y * np.log(np.clip(a, _eps(a), 1.0))


def cross_entropy_der(a, y):
    return -y / np.clip(a, _eps(a), 1.0)
