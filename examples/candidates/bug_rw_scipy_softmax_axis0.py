"""scipy.special.softmax(z, axis=0) declared as the spec's softmax, which normalises along
the LAST axis: right on a 1-D vector, wrong on a batch of rows (it normalises columns)."""
# expect: fail -
# only: activations

import numpy as np
from scipy.special import softmax as _sp_softmax


def softmax(z):
    return _sp_softmax(np.asarray(z), axis=0)
