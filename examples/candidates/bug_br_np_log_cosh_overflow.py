"""log-cosh written as np.log(np.cosh(a - y)): cosh overflows to inf beyond |a - y| = 710, so
the cost is inf where the spec's value is |r| - log 2; the derivative tanh(a - y) is right."""
# expect: fail -
# only: costs

import numpy as np


def log_cosh(a, y):
    return np.log(np.cosh(a - y))


def log_cosh_der(a, y):
    return np.tanh(a - y)
