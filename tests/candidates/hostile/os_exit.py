"""Hostile candidate: ends the process with os._exit."""

import os


def sigmoid(z):
    os._exit(0)
