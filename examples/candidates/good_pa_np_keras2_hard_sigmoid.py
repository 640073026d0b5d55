"""Keras 2 / TensorFlow's hard_sigmoid, clip(0.2 z + 0.5, 0, 1), in NumPy with the mask
as floats; declared as hard_sigmoid at slope 0.2 with PARAMS."""
# expect: pass
# only: activations

import numpy as np

PARAMS = {"hard_sigmoid": {"slope": 0.2}}


def hard_sigmoid(z):
    return np.clip(0.2 * z + 0.5, 0.0, 1.0)


def hard_sigmoid_der(z):
    inside = ((z > -2.5) & (z < 2.5)).astype(float)
    return 0.2 * inside
