"""Hostile candidate: changes numpy's global state at import."""

import numpy as np

np.seterr(all="raise")
np.random.seed(0)
np.exp = lambda x: 0


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def errstate(z):
    return dict(np.geterr())


def divide(z):
    return z / 0.0
