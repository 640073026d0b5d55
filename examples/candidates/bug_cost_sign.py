"""dC/da written as y - a."""
# expect: fail sign_flipped
# only: costs

COST = "half_squared"


def cost(pred, true):
    return 0.5 * (pred - true) ** 2


def dcost(pred, true):
    return true - pred
