"""Hostile candidate: segfaults by reading address 0."""

import ctypes


def sigmoid(z):
    return ctypes.string_at(0)
