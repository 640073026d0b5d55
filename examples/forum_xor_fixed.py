"""XOR with a 3-4-1 sigmoid network, as commonly posted, with its backprop bug corrected.

The third input column is always 1 and plays the role of the bias.  The backward pass starts
from the derivative of the half-squared error 0.5 * (a - y)**2 with respect to the output,
a - y (the posted version used the error value itself; see forum_xor_buggy.py).  Trained for
60,000 iterations the cost falls far below 0.01 and all four points are classified.  Run
``python forum_xor_fixed.py``; importing only defines the functions (gradspec candidate
protocol).
"""

import numpy as np

X_XOR = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=float)
Y_XOR = np.array([[0], [1], [1], [0]], dtype=float)

SIGMOID_DER_WRT = "output"
ARCH = {
    "sizes": [3, 4, 1],
    "activation": "sigmoid",
    "cost": "half_squared",
    "reduction": "sum",
    "bias": False,
}


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_der(output):
    # derivative of the sigmoid written in terms of its output a = sigmoid(z)
    return output * (1.0 - output)


def init_params(seed):
    rng = np.random.default_rng(seed)
    return {"W0": 2 * rng.random((3, 4)) - 1, "W1": 2 * rng.random((4, 1)) - 1}


def loss(params, X, Y):
    hidden = sigmoid(X @ params["W0"])
    out = sigmoid(hidden @ params["W1"])
    return float(np.sum(0.5 * (out - Y) ** 2))


def grads(params, X, Y):
    hidden = sigmoid(X @ params["W0"])
    out = sigmoid(hidden @ params["W1"])
    error_der = out - Y  # d/d(out) of 0.5 * (out - Y)**2
    out_delta = error_der * sigmoid_der(out)
    hidden_delta = (out_delta @ params["W1"].T) * sigmoid_der(hidden)
    return {"W0": X.T @ hidden_delta, "W1": hidden.T @ out_delta}


def train_step(params, X, Y, lr):
    g = grads(params, X, Y)
    return {k: params[k] - lr * g[k] for k in params}


if __name__ == "__main__":
    params = init_params(1)
    for i in range(60_000):
        params = train_step(params, X_XOR, Y_XOR, 1.0)
        if i % 10_000 == 1:
            print(f"iteration {i:>6}: cost {loss(params, X_XOR, Y_XOR):.6f}")
    out = sigmoid(sigmoid(X_XOR @ params["W0"]) @ params["W1"])
    print("final cost", loss(params, X_XOR, Y_XOR))
    print("outputs", out.ravel().round(3), "targets", Y_XOR.ravel())
