"""Hostile candidate: never returns."""


def sigmoid(z):
    while True:
        pass
