"""pytest-benchmark: tiny-network training loops, JAX compile vs steady state, SymPy
derivation cold vs cached.  (``gradspec verify`` wall time is in ``gradspec bench`` only.)"""

from __future__ import annotations

import jax
import numpy as np
import pytest

from gradspec import derivations
from gradspec.benchmarks import nets
from gradspec.derivations import cache
from gradspec.jaxbackend.mlp import jaxfns
from gradspec.reference import mlp

STEPS = 1000


@pytest.fixture(scope="module")
def xor():
    case = nets.XOR
    X, Y = nets.data(case, np.float32)
    return case.arch, mlp.init_params(case.arch, 0, np.float32), X, Y


def test_xor_numpy_loop(benchmark, xor):
    arch, p0, X, Y = xor
    benchmark.group = f"XOR training, {STEPS} steps"

    def loop():
        p = p0
        for _ in range(STEPS):
            p = mlp.train_step(arch, p, X, Y, 0.5)
        return p

    benchmark(loop)


def test_xor_jax_fori_loop(benchmark, xor):
    arch, p0, X, Y = xor
    p, Xj, Yj = jax.device_put((p0, X, Y))
    benchmark.group = f"XOR training, {STEPS} steps"
    benchmark(lambda: jax.block_until_ready(jaxfns.train(arch, p, Xj, Yj, 0.5, STEPS, "hand")))


def test_jax_first_call(benchmark):
    case = nets.LARGE
    p, X, Y = jax.device_put((mlp.init_params(case.arch, 0, np.float32),
                              *nets.data(case, np.float32)))  # fmt: skip

    def first():
        jax.clear_caches()
        return jax.block_until_ready(jaxfns.grads(case.arch, p, X, Y))

    benchmark.group = "JAX compile"
    benchmark.pedantic(first, rounds=3)


def test_sympy_cached_load(benchmark):

    def load():
        cache._MEMO.clear()
        return derivations.load()

    benchmark.group = "SymPy derivations"
    benchmark(load)


def test_sympy_cold(benchmark):

    benchmark.group = "SymPy derivations"
    benchmark.pedantic(derivations.derive_all, rounds=1)
