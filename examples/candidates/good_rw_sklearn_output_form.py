"""scikit-learn's MLP derivatives used the way sklearn itself uses them: on the activation's
OUTPUT a = f(z) (sklearn's backprop passes the stored activations).  The wrapper copies a
(sklearn works in place), so sigmoid_der(a) = a (1 - a), tanh_der(a) = 1 - a^2."""
# expect: pass
# only: activations
# requires: sklearn

import numpy as np
from sklearn.neural_network._base import ACTIVATIONS, DERIVATIVES


def sigmoid(z):
    out = np.array(z, dtype=float)
    ACTIVATIONS["logistic"](out)
    return out


def sigmoid_der(output):
    delta = np.ones_like(output, dtype=float)
    DERIVATIVES["logistic"](np.array(output, dtype=float), delta)
    return delta


def tanh(z):
    out = np.array(z, dtype=float)
    ACTIVATIONS["tanh"](out)
    return out


def tanh_der(output):
    delta = np.ones_like(output, dtype=float)
    DERIVATIVES["tanh"](np.array(output, dtype=float), delta)
    return delta
