"""Half squared error with derivative 2 (a - y)."""
# expect: fail factor2_extra
# only: costs


def half_squared(a, y):
    return 0.5 * (a - y) ** 2


def half_squared_der(a, y):
    return 2 * (a - y)
