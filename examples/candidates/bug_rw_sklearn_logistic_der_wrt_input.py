"""scikit-learn's MLP derivative sklearn.neural_network._base.DERIVATIVES["logistic"] takes
the activation OUTPUT Z = sigmoid(z) (delta *= Z; delta *= 1 - Z), but it is declared with
SIGMOID_DER_WRT = "input": the checker (rightly) calls it with z, so it computes z (1 - z)."""
# expect: fail output_form_applied_to_z
# only: activations
# requires: sklearn

import numpy as np
from scipy.special import expit
from sklearn.neural_network._base import DERIVATIVES

SIGMOID_DER_WRT = "input"


def sigmoid(z):
    return expit(z)


def sigmoid_der(z):
    delta = np.ones_like(z)
    DERIVATIVES["logistic"](np.asarray(z), delta)  # in place: delta *= Z * (1 - Z)
    return delta
