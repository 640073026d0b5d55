"""pytest-benchmark: the cost of checking one network gradient (float64), per checker, at
~1.6k and ~60k parameters; each also asserts that it catches the planted wrong entry where
``gradspec bench`` found it does (torch fast_mode does not: recorded, not asserted).
torch's default gradcheck at 60k takes ~20 s: it is left to ``gradspec bench`` (full run).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from gradspec.benchmarks import checkers, nets

PROBLEMS = {}


def problem(name: str) -> checkers.Problem:
    if name not in PROBLEMS:
        PROBLEMS[name] = checkers.Problem({"small": nets.SMALL, "medium": nets.MEDIUM}[name])
    return PROBLEMS[name]


SIZES = ["small", "medium"]


@pytest.mark.parametrize("size", SIZES)
def test_forward(benchmark, size):
    p = problem(size)
    benchmark.group = f"check {p.n} params"
    benchmark(p.loss, p.flat)


@pytest.mark.parametrize("size", SIZES)
def test_forward_at_the_checks_points(benchmark, size):
    """The floor's forward: the loss at the points the directional check evaluates, cycled."""
    p = problem(size)
    benchmark.group = f"check {p.n} params"
    points = itertools.cycle(checkers.evaluation_points(p, p.grad))
    benchmark(lambda: p.loss(next(points)))


@pytest.mark.parametrize("size", SIZES)
def test_loss_and_grad(benchmark, size):
    p = problem(size)
    benchmark.group = f"check {p.n} params"
    benchmark(p.loss_and_grad, p.flat)


@pytest.mark.parametrize("size", SIZES)
def test_gradspec_directional(benchmark, size):
    p = problem(size)
    benchmark.group = f"check {p.n} params"
    ok, evals = benchmark(lambda: checkers.directional_check(p, p.loss_and_grad(p.flat)))
    benchmark.extra_info["loss_evaluations"] = evals
    assert ok
    assert not checkers.directional_check(p, p.bad_grad)[0]


@pytest.mark.parametrize("size", SIZES)
def test_gradspec_per_parameter_sample(benchmark, size):
    """32 parameters (with the planted one): multiply by n / 32 for the full check."""
    p = problem(size)
    idx = np.unique(np.append(np.random.default_rng(0).choice(p.n, 31, replace=False),
                              p.bad_index))  # fmt: skip
    benchmark.group = f"check {p.n} params"
    benchmark.extra_info["fraction_of_parameters"] = len(idx) / p.n
    bad, _ = benchmark.pedantic(checkers.per_parameter, (p, p.bad_grad, idx), rounds=1)
    assert bad == [p.bad_index]


@pytest.mark.parametrize("size", SIZES)
def test_torch_gradcheck_fast(benchmark, size):
    torch = pytest.importorskip("torch")
    p = problem(size)
    _, f, planted, x = checkers.torch_fns(p)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        benchmark.group = f"check {p.n} params"
        assert benchmark(checkers.torch_gradcheck, torch, f, x, True)
        benchmark.extra_info["detects_planted"] = not checkers.torch_gradcheck(
            torch, planted(), x, True
        )
    finally:
        torch.set_num_threads(threads)


def test_torch_gradcheck_default_small(benchmark):
    torch = pytest.importorskip("torch")
    p = problem("small")
    _, f, planted, x = checkers.torch_fns(p)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        benchmark.group = f"check {p.n} params"
        ok = benchmark.pedantic(checkers.torch_gradcheck, (torch, f, x, False), rounds=1)
        assert ok
        assert not checkers.torch_gradcheck(torch, planted(), x, False)
    finally:
        torch.set_num_threads(threads)


@pytest.mark.parametrize("size", SIZES)
def test_jax_check_grads(benchmark, size):
    p = problem(size)
    jax, f, planted, x = checkers.jax_fns(p)
    benchmark.group = f"check {p.n} params"
    assert benchmark(checkers.jax_check, jax, f, x)
    assert not checkers.jax_check(jax, planted(), x)
