"""Output-form derivatives for ELU and softplus, taking a = f(z): ELU' = 1 for a > 0 and
a + 1 (= e^z) otherwise; softplus' = sigmoid(z) = 1 - exp(-a); ReLU' = (a > 0)."""
# expect: pass
# only: activations

import numpy as np


def elu(z):
    return np.where(z > 0, z, np.expm1(np.minimum(z, 0)))


def elu_der(a):
    return np.where(a > 0, 1.0, a + 1.0)


def softplus(z):
    return np.logaddexp(0, z)


def softplus_der(a):
    return -np.expm1(-a)


def relu(z):
    return np.maximum(z, 0)


def relu_der(a):
    return (a > 0).astype(float)
