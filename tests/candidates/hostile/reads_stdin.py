"""Hostile candidate: reads standard input (must see EOF, not hang)."""

import sys


def sigmoid(z):
    return len(sys.stdin.read())


def ask(z):
    return input("value? ")
