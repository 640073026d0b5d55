"""The networks benchmarked and one forward+backward step of each on each backend.

Every ``make_*`` returns a zero-argument callable that runs one step (loss forward and the
gradient of every parameter) and blocks until the result exists, or None when the backend
is not available.  All backends compute the same function: tanh hidden layers (sigmoid for
XOR), identity output, half-squared cost, mean over the batch.
"""

from __future__ import annotations

import contextlib
import itertools
from dataclasses import dataclass

import numpy as np

from gradspec.reference import mlp


@dataclass(frozen=True)
class NetCase:
    name: str
    sizes: tuple[int, ...]
    batch: int
    activation: str = "tanh"
    output_activation: str = "identity"

    @property
    def arch(self) -> mlp.Arch:
        return mlp.Arch(
            self.sizes, self.activation, self.output_activation, "half_squared", "mean", True
        )

    @property
    def params(self) -> int:
        return sum(a * b + b for a, b in itertools.pairwise(self.sizes))

    @property
    def label(self) -> str:
        return f"{'-'.join(map(str, self.sizes))} b{self.batch}"

    @property
    def gemm_flops(self) -> int:
        """Multiply-adds x 2 of the step's matrix products: per layer the forward product and
        the weight gradient, and the back-propagated error for every layer but the first."""
        n = self.batch
        f = 0
        for layer, (a, b) in enumerate(itertools.pairwise(self.sizes)):
            f += 2 * 2 * n * a * b
            if layer > 0:
                f += 2 * n * a * b
        return f

    @property
    def n_gemms(self) -> int:
        return 3 * (len(self.sizes) - 1) - 1


XOR = NetCase("xor", (3, 4, 1), 4, "sigmoid", "sigmoid")
SMALL = NetCase("small", (16, 64, 8), 32)  # 1,608 parameters: the ~1.6k checked network
MEDIUM = NetCase("medium", (784, 76, 10), 64)  # 60,430 parameters: the ~60k checked network
LARGE = NetCase("large", (784, 512, 512, 10), 256)
STEP_CASES = (XOR, SMALL, MEDIUM, LARGE)


def data(case: NetCase, dtype, seed: int = 0, batch: int | None = None):
    rng = np.random.default_rng(seed)
    n = batch or case.batch
    X = rng.uniform(-1, 1, size=(n, case.sizes[0])).astype(dtype)
    Y = rng.uniform(0.05, 0.95, size=(n, case.sizes[-1])).astype(dtype)
    return X, Y


def x64(dtype):
    """JAX float64 needs x64 on, scoped (as gradspec.jaxbackend does)."""
    import jax

    return jax.enable_x64(True) if np.dtype(dtype) == np.float64 else contextlib.nullcontext()


# --- numpy ----------------------------------------------------------------------------------


def make_numpy(case: NetCase, dtype):
    arch = case.arch
    params = mlp.init_params(arch, 0, dtype)
    X, Y = data(case, dtype)
    return lambda: mlp.grads(arch, params, X, Y)


def make_numpy_gemms(case: NetCase, dtype):
    """The step's matrix products alone, into preallocated outputs: its roofline."""
    sizes, n = case.sizes, case.batch
    rng = np.random.default_rng(0)
    W = [rng.standard_normal((a, b)).astype(dtype) for a, b in itertools.pairwise(sizes)]
    acts = [rng.standard_normal((n, s)).astype(dtype) for s in sizes]
    deltas = [rng.standard_normal((n, s)).astype(dtype) for s in sizes[1:]]
    fwd = [np.empty((n, s), dtype) for s in sizes[1:]]
    gW = [np.empty_like(w) for w in W]
    up = [np.empty((n, s), dtype) for s in sizes[:-1]]

    def run():
        for layer, w in enumerate(W):
            np.matmul(acts[layer], w, out=fwd[layer])
        for layer in reversed(range(len(W))):
            np.matmul(acts[layer].T, deltas[layer], out=gW[layer])
            if layer > 0:
                np.matmul(deltas[layer], W[layer].T, out=up[layer])

    return run


# --- JAX ------------------------------------------------------------------------------------


def make_jax(case: NetCase, dtype, kind: str = "hand"):
    import jax

    from gradspec.jaxbackend.mlp import jaxfns

    fn = jaxfns.grads if kind == "hand" else jaxfns.grads_autodiff
    arch = case.arch
    with x64(dtype):
        params = jax.device_put(mlp.init_params(arch, 0, dtype))
        X, Y = jax.device_put(data(case, dtype))

    def run():
        with x64(dtype):
            return jax.block_until_ready(fn(arch, params, X, Y))

    return run


def make_jax_gemms(case: NetCase, dtype):
    """JAX's own roofline: the same matrix products in one jitted program."""
    import jax
    import jax.numpy as jnp
    from jax import lax

    hi = lax.Precision.HIGHEST
    sizes, n = case.sizes, case.batch
    rng = np.random.default_rng(0)

    def prog(W, acts, deltas):
        out = []
        for layer, w in enumerate(W):
            out.append(jnp.matmul(acts[layer], w, precision=hi))
        for layer in reversed(range(len(W))):
            out.append(jnp.matmul(acts[layer].T, deltas[layer], precision=hi))
            if layer > 0:
                out.append(jnp.matmul(deltas[layer], W[layer].T, precision=hi))
        return out

    jitted = jax.jit(prog)
    with x64(dtype):
        W = [rng.standard_normal((a, b)).astype(dtype) for a, b in itertools.pairwise(sizes)]
        acts = [rng.standard_normal((n, s)).astype(dtype) for s in sizes]
        deltas = [rng.standard_normal((n, s)).astype(dtype) for s in sizes[1:]]
        W, acts, deltas = jax.device_put((W, acts, deltas))

    def run():
        with x64(dtype):
            return jax.block_until_ready(jitted(W, acts, deltas))

    return run


# --- torch (optional peer) ------------------------------------------------------------------


def torch_or_none():
    try:
        import torch
    except ImportError:
        return None
    return torch


def torch_loss_fn(case: NetCase):
    """loss(list of parameter tensors W0, b0, W1, b1, ..., X, Y) in torch."""
    torch = torch_or_none()
    act = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "identity": lambda z: z}

    def loss(ps, X, Y):
        a = X
        n_layers = len(case.sizes) - 1
        for layer in range(n_layers):
            z = a @ ps[2 * layer] + ps[2 * layer + 1]
            a = act[case.activation if layer < n_layers - 1 else case.output_activation](z)
        return 0.5 * ((a - Y) ** 2).sum() / X.shape[0]

    return loss


def make_torch(case: NetCase, dtype):
    torch = torch_or_none()
    if torch is None:
        return None
    params = mlp.init_params(case.arch, 0, dtype)
    ps = []
    for layer in range(len(case.sizes) - 1):
        ps += [params[f"W{layer}"], params[f"b{layer}"]]
    ps = [torch.from_numpy(p.copy()).requires_grad_() for p in ps]
    X, Y = (torch.from_numpy(a) for a in data(case, dtype))
    loss = torch_loss_fn(case)

    def run():
        return torch.autograd.grad(loss(ps, X, Y), ps)

    return run
