"""The half squared error returned as its own derivative."""
# expect: fail error_as_derivative
# only: costs

COST = "half_squared"


def cost(pred, true):
    return 0.5 * (pred - true) ** 2


def dcost(pred, true):
    return 0.5 * (pred - true) ** 2
