"""Hostile candidate: calls sys.exit inside a function."""

import sys


def sigmoid(z):
    sys.exit(0)
