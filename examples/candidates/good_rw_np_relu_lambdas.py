"""ReLU the way it is written in most tutorials: np.where(z >= 0, z, 0) for the value and a
lambda `(z > 0).astype(float)` for the derivative (0 at the kink, a valid subgradient)."""
# expect: pass
# only: activations

import numpy as np

relu = lambda z: np.where(z >= 0, z, 0)  # noqa: E731
relu_der = lambda z: (z > 0).astype(float)  # noqa: E731
