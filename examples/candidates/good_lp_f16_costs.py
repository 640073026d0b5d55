"""float16 costs (DTYPES declares it), computed in float32 and rounded once to float16:
squared error, Huber, and log loss on probabilities and on logits (the stable form)."""
# expect: pass
# only: costs

import numpy as np

DTYPES = ["float16"]


def _f32(x):
    return np.asarray(x).astype(np.float32)


def _out(x):
    return np.asarray(x).astype(np.float16)


def squared(a, y):
    return _out((_f32(a) - _f32(y)) ** 2)


def squared_der(a, y):
    return _out(2 * (_f32(a) - _f32(y)))


def huber(a, y):
    r = np.abs(_f32(a) - _f32(y))
    return _out(np.where(r <= 1, 0.5 * r * r, r - 0.5))


def huber_der(a, y):
    return _out(np.clip(_f32(a) - _f32(y), -1, 1))


def log_loss(a, y):
    a, y = _f32(a), _f32(y)
    return _out(-(y * np.log(a) + (1 - y) * np.log1p(-a)))


def log_loss_der(a, y):
    a, y = _f32(a), _f32(y)
    return _out((a - y) / (a * (1 - a)))


def log_loss_logits(z, y):
    z, y = _f32(z), _f32(y)
    return _out(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))


def log_loss_logits_der(z, y):
    z, y = _f32(z), _f32(y)
    e = np.exp(-np.abs(z))
    return _out(np.where(z >= 0, 1 / (1 + e), e / (1 + e)) - y)
