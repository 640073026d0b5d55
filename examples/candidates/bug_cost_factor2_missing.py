"""Squared error with derivative a - y (factor 2 missing)."""
# expect: fail factor2_missing
# only: costs


def squared(a, y):
    return (a - y) ** 2


def squared_der(a, y):
    return a - y
