"""Log loss with the usual guard p = np.clip(p, 1e-12, 1 - 1e-12) against log(0); the
derivative uses the same clipped p, (p - y) / (p (1 - p)).  Inside (1e-12, 1 - 1e-12),
the whole open domain a gradient checker can sample, the clip does nothing."""
# expect: pass
# only: costs

import numpy as np

EPS = 1e-12


def log_loss(a, y):
    p = np.clip(a, EPS, 1 - EPS)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


def log_loss_der(a, y):
    p = np.clip(a, EPS, 1 - EPS)
    return (p - y) / (p * (1 - p))
