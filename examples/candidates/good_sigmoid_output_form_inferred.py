"""sigmoid_der(x) = x * (1 - x) with no SIGMOID_DER_WRT: the classic output form, undeclared.

Its values match f' only when it is handed a = sigmoid(z), so gradspec infers the convention
and accepts it with a warning ("takes the output a = sigmoid(z) (inferred)").  The same
formula applied to z inside a network is a bug (bug_net_sigmoid_output_form_on_z.py)."""
# expect: pass
# only: activations

import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def sigmoid_der(x):
    return x * (1 - x)
