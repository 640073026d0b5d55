"""Huber (delta 1) written branch-free with np.minimum/np.abs: q = min(|r|, 1),
C = 0.5 q^2 + (|r| - q) (both pieces agree at |r| = 1), dC/da = clip(r, -1, 1); the
absolute error with np.sign for its derivative (0 at r = 0, a valid subgradient)."""
# expect: pass
# only: costs

import numpy as np


def huber(a, y):
    r = np.abs(a - y)
    q = np.minimum(r, 1.0)
    return 0.5 * q**2 + (r - q)


def huber_der(a, y):
    return np.clip(a - y, -1.0, 1.0)


def absolute(a, y):
    return np.abs(a - y)


def absolute_der(a, y):
    return np.sign(a - y)
