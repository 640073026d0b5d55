"""Hostile candidate: results that are None, complex, or cannot be sent back."""

import threading


class Opaque:
    pass


def returns_none(z):
    return None


def returns_complex(z):
    return 1 + 2j


def returns_lock(z):
    return threading.Lock()


def returns_lambda(z):
    return lambda x: x


def returns_object(z):
    return {"grad": Opaque()}
