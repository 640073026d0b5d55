"""Hostile candidate: the function raises."""


def sigmoid(z):
    raise ValueError("shapes do not match")
