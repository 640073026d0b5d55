"""Hostile candidate: modifies its argument in place."""


def sigmoid(z):
    z *= 2
    return z
