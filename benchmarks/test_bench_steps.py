"""pytest-benchmark: one forward+backward step per network size, dtype and backend, and the
step's matrix products alone (the roofline).  Run: ``pytest benchmarks/ --benchmark-only``.

Compare within one run (``--benchmark-group-by=param:case,param:dtype``): absolute times
drift between runs; ``gradspec bench`` measures the same callables in interleaved rounds.
"""

from __future__ import annotations

import numpy as np
import pytest

from gradspec.benchmarks import nets

CASES = {c.name: c for c in nets.STEP_CASES}
MAKERS = {
    "numpy": nets.make_numpy,
    "numpy-gemms": nets.make_numpy_gemms,
    "jax-hand": lambda c, d: nets.make_jax(c, d, "hand"),
    "jax-grad": lambda c, d: nets.make_jax(c, d, "autodiff"),
    "jax-gemms": nets.make_jax_gemms,
    "torch": nets.make_torch,
}


@pytest.mark.parametrize("backend", list(MAKERS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", list(CASES))
def test_step(benchmark, case, dtype, backend):
    if backend == "torch":
        pytest.importorskip("torch")
    c = CASES[case]
    fn = MAKERS[backend](c, dtype)
    benchmark.group = f"step {c.label} {dtype}"
    benchmark.extra_info["gemm_flops"] = c.gemm_flops
    benchmark(fn)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gemm_peak(benchmark, dtype):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((1024, 1024)).astype(dtype)
    b = rng.standard_normal((1024, 1024)).astype(dtype)
    c = np.empty_like(a)
    benchmark.group = "GEMM peak 1024^2"
    benchmark.extra_info["flops"] = 2 * 1024**3
    benchmark(np.matmul, a, b, out=c)
