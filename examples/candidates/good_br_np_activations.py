"""The new fixed-parameter activations as people write them in NumPy: SELU with its two
constants and expm1 on the negative side, mish through np.logaddexp, softsign, hard tanh with
np.clip, relu6, hard swish (x * relu6(x + 3) / 6), log sigmoid as -logaddexp(0, -z) and the
tanh approximation of GELU; derivatives by hand (at the kinks, the one-sided value torch uses)."""
# expect: pass
# only: activations

import numpy as np
from scipy.special import expit

LAMBDA = 1.0507009873554805
ALPHA = 1.6732632423543772
C = np.sqrt(2 / np.pi)


def selu(z):
    return LAMBDA * np.where(z > 0, z, ALPHA * np.expm1(np.minimum(z, 0)))


def selu_der(z):
    return LAMBDA * np.where(z > 0, 1.0, ALPHA * np.exp(np.minimum(z, 0)))


def mish(z):
    return z * np.tanh(np.logaddexp(0, z))


def mish_der(z):
    t = np.tanh(np.logaddexp(0, z))
    return t + z * (1 - t * t) * expit(z)


def softsign(z):
    return z / (1 + np.abs(z))


def softsign_der(z):
    return 1 / (1 + np.abs(z)) ** 2


def hard_tanh(z):
    return np.clip(z, -1, 1)


def hard_tanh_der(z):
    return ((z > -1) & (z < 1)).astype(float)


def relu6(z):
    return np.minimum(np.maximum(z, 0), 6)


def relu6_der(z):
    return ((z > 0) & (z < 6)).astype(float)


def hard_swish(z):
    return z * np.clip(z + 3, 0, 6) / 6


def hard_swish_der(z):
    return np.where(z < -3, 0.0, np.where(z > 3, 1.0, (2 * z + 3) / 6))


def log_sigmoid(z):
    return -np.logaddexp(0, -z)


def log_sigmoid_der(z):
    return expit(-z)


def gelu_tanh(z):
    return 0.5 * z * (1 + np.tanh(C * (z + 0.044715 * z**3)))


def gelu_tanh_der(z):
    t = np.tanh(C * (z + 0.044715 * z**3))
    return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * C * (1 + 3 * 0.044715 * z**2)
