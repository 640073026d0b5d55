"""Float32-only code (as on a GPU or in a memory-tight library): every input is cast to
float32 and float32 comes back, also for float64 input.  sigmoid, tanh, relu, stable
softplus; correct to float32 precision."""
# expect: pass
# only: activations

import numpy as np

f32 = np.float32


def sigmoid(z):
    z = np.asarray(z, dtype=f32)
    return np.where(
        z >= 0, 1 / (1 + np.exp(-np.abs(z))), np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z)))
    ).astype(f32)


def sigmoid_der(z):
    s = sigmoid(z)
    return s * (f32(1) - s)


def tanh(z):
    return np.tanh(np.asarray(z, dtype=f32))


def tanh_der(z):
    t = tanh(z)
    return f32(1) - t * t


def relu(z):
    return np.maximum(np.asarray(z, dtype=f32), f32(0))


def relu_der(z):
    return (np.asarray(z, dtype=f32) > 0).astype(f32)


def softplus(z):
    return np.logaddexp(np.asarray(z, dtype=f32), f32(0))


def softplus_der(z):
    return sigmoid(z)
