"""Declares the output form, but differentiates its argument as if it were z."""
# expect: fail input_form_applied_to_a
# only: activations

import numpy as np

SIGMOID_DER_WRT = "output"


def sigmoid(z):
    return 0.5 * (1 + np.tanh(0.5 * z))


def sigmoid_der(a):
    s = sigmoid(a)
    return s * (1 - s)
