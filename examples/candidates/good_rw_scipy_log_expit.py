"""Stable log loss on logits with scipy.special.log_expit:
C(z, y) = -(y log sigmoid(z) + (1 - y) log sigmoid(-z)), dC/dz = expit(z) - y."""
# expect: pass
# only: costs
# requires: scipy

from scipy.special import expit, log_expit


def log_loss_logits(z, y):
    return -(y * log_expit(z) + (1 - y) * log_expit(-z))


def log_loss_logits_der(z, y):
    return expit(z) - y
