"""Log loss and elementwise cross-entropy on probabilities with scipy.special.xlogy (so that
0 * log 0 = 0 for hard targets): -(xlogy(y, a) + xlogy(1 - y, 1 - a)) and -xlogy(y, a);
derivatives -y/a + (1 - y)/(1 - a) and -y/a."""
# expect: pass
# only: costs
# requires: scipy

from scipy.special import xlogy


def log_loss(a, y):
    return -(xlogy(y, a) + xlogy(1 - y, 1 - a))


def log_loss_der(a, y):
    return -y / a + (1 - y) / (1 - a)


def cross_entropy(a, y):
    return -xlogy(y, a)


def cross_entropy_der(a, y):
    return -y / a
