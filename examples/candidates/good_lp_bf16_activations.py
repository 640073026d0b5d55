"""bfloat16 the way accelerator kernels compute it: inputs widened to float32, the stable
formula evaluated there, the result rounded once to bfloat16."""
# expect: pass
# only: activations

import ml_dtypes
import numpy as np

DTYPES = ["bfloat16"]
BF16 = ml_dtypes.bfloat16


def _f32(z):
    return np.asarray(z).astype(np.float32)


def sigmoid(z):
    z = _f32(z)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e)).astype(BF16)


def sigmoid_der(z):
    z = _f32(z)
    e = np.exp(-np.abs(z))
    return (e / (1 + e) ** 2).astype(BF16)


def tanh(z):
    return np.tanh(_f32(z)).astype(BF16)


def tanh_der(z):
    t = np.tanh(_f32(z))
    return (1 - t * t).astype(BF16)


def elu(z):
    z = _f32(z)
    return np.where(z > 0, z, np.expm1(np.minimum(z, 0))).astype(BF16)


def elu_der(z):
    z = _f32(z)
    return np.where(z > 0, 1, np.exp(np.minimum(z, 0))).astype(BF16)


def swish(z):
    z = _f32(z)
    e = np.exp(-np.abs(z))
    s = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
    return (z * s).astype(BF16)


def swish_der(z):
    z = _f32(z)
    e = np.exp(-np.abs(z))
    s = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
    return (s * (1 + z * (1 - s))).astype(BF16)
