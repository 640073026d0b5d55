"""Hostile candidate: prints 20 MB, then computes the right answer."""

import sys

import numpy as np


def sigmoid(z):
    print("x" * 10_000_000)
    sys.stdout.write("y" * 10_000_000)
    print("debug: done", file=sys.stderr)
    return 1 / (1 + np.exp(-z))
