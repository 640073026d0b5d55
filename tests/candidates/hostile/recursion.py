"""Hostile candidate: infinite recursion."""


def sigmoid(z):
    return sigmoid(z) + 1
