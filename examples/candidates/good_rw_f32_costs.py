"""Float32-only costs: predictions and targets are cast to float32, results are float32.
Half squared error, huber (delta 1) and a log loss with log1p for the (1 - a) term."""
# expect: pass
# only: costs

import numpy as np


def _f(a, y):
    return np.asarray(a, dtype=np.float32), np.asarray(y, dtype=np.float32)


def half_squared(a, y):
    a, y = _f(a, y)
    return np.float32(0.5) * (a - y) ** 2


def half_squared_der(a, y):
    a, y = _f(a, y)
    return a - y


def huber(a, y):
    a, y = _f(a, y)
    r = np.abs(a - y)
    return np.where(r <= 1, np.float32(0.5) * r * r, r - np.float32(0.5)).astype(np.float32)


def huber_der(a, y):
    a, y = _f(a, y)
    return np.clip(a - y, np.float32(-1), np.float32(1))


def log_loss(a, y):
    a, y = _f(a, y)
    return -(y * np.log(a) + (1 - y) * np.log1p(-a))


def log_loss_der(a, y):
    a, y = _f(a, y)
    return (a - y) / (a * (1 - a))
