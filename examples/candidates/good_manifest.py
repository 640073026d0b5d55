"""Own names, mapped by the GRADSPEC manifest."""
# expect: pass
# only: activations

import numpy as np

GRADSPEC = {"sigmoid": "logistic", "sigmoid_der": "logistic_prime", "SIGMOID_DER_WRT": "output"}


def logistic(x):
    return np.exp(-np.logaddexp(0, -x)).astype(x.dtype)


def logistic_prime(a):
    return a * (1 - a)
