"""The logistic sigmoid as scipy.special.expit, imported under the name sigmoid as many
notebooks do (expit never overflows), with the derivative s (1 - s); softplus as
-log_expit(-z) (= log(1 + e^z), stable for any z) with derivative expit(z)."""
# expect: pass
# only: activations
# requires: scipy

from scipy.special import expit as sigmoid
from scipy.special import log_expit


def sigmoid_der(z):
    s = sigmoid(z)
    return s * (1 - s)


def softplus(z):
    return -log_expit(-z)


def softplus_der(z):
    return sigmoid(z)
