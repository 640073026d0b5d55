"""The new costs as people write them in NumPy: the hinge and squared hinge on labels +-1,
the KL term y log(y / a) with scipy's xlogy, the Poisson NLL on rates (a - y log a) and on
log-rates (exp(z) - y z), and log-cosh in its overflow-free form; derivatives by hand."""
# expect: pass
# only: costs

import numpy as np
from scipy.special import xlogy


def hinge(a, y):
    return np.maximum(0.0, 1.0 - y * a)


def hinge_der(a, y):
    return np.where(y * a < 1, -y, 0.0)


def squared_hinge(a, y):
    return np.maximum(0.0, 1.0 - y * a) ** 2


def squared_hinge_der(a, y):
    return -2.0 * y * np.maximum(0.0, 1.0 - y * a)


def kl_div(a, y):
    return xlogy(y, y / a)


def kl_div_der(a, y):
    return -y / a


def poisson_nll(a, y):
    return a - xlogy(y, a)


def poisson_nll_der(a, y):
    return 1.0 - y / a


def poisson_nll_log(z, y):
    return np.exp(z) - y * z


def poisson_nll_log_der(z, y):
    return np.exp(z) - y


def log_cosh(a, y):
    r = np.abs(a - y)
    return r + np.log1p(np.exp(-2.0 * r)) - np.log(2.0)


def log_cosh_der(a, y):
    return np.tanh(a - y)
