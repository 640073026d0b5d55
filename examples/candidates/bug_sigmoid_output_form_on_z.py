"""sigmoid_der(x) = x * (1 - x), but no SIGMOID_DER_WRT = "output": applied to z."""
# expect: fail output_form_applied_to_z
# only: activations

import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def sigmoid_der(x):
    return x * (1 - x)
