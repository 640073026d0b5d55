"""What a function-level check is run on: a *subject* (an activation binding, a cost binding,
an output activation + cost pair) and what the generic check bodies of
:mod:`.elementwise` ask of it.

A subject's inputs are one tuple of arrays, in the order of its argument names: ``(z,)`` for
an activation, ``(a, y)`` for a cost, ``(z, y)`` for a pair.  Orders name the functions:
0 the forward (f, C), 1 the derivative (f', dC/da, dC/dz), 2 the second derivative.  Each
implementation supplies what differs between kinds (argument names and strategy, truth and
scales, how the derivative's argument is prepared, kink and extreme points, reproducers);
where today's activation and cost checks differ numerically (kink neighbours, one-sided
slack, extreme-point reporting) the subject carries the difference, not the body.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from gradspec import spec
from gradspec.conformance.checks.common import Ctx
from gradspec.conformance.engine.errormodel import Comparison
from gradspec.conformance.engine.results import Violation, Worst

Inputs = tuple[np.ndarray, ...]


@dataclass
class Expect:
    """What the order-k function of a subject must return at some inputs: the truth, its
    rounding scale S (:mod:`gradspec.conformance.engine.scales`), the ulp budget and the
    natural scale N floor of the wrong-math threshold (:mod:`..engine.natural`)."""

    truth: np.ndarray
    scale: np.ndarray
    budget: float
    natural: float


@dataclass
class ShapeCase:
    """One call of the shape/dtype check: the inputs, how to describe them in a message and
    whether the implementation may refuse them with an error (a broadcasting target)."""

    inputs: Inputs
    label: str
    may_refuse: bool = False


class Subject(Protocol):
    """What the truth comparison (:func:`.elementwise.against_truth`) needs of any subject;
    see the module docstring."""

    #: The registry entry or pair checked (``sigmoid``, ``softmax+cross_entropy``).
    name: str
    #: The subject as it appears in check ids: ``name``, or an extra one's (``gelu@autodiff``).
    label: str
    #: Only the derivative checks apply (an autodiff derivative next to a hand-written one).
    derivatives_only: bool
    #: Argument names of the order-0 function, as reported in the worst element.
    names: tuple[str, ...]
    #: Vector-valued along the last axis: report whole rows.
    rows: bool
    #: Leading non-input arguments of every call (a pair's names for ``delta``).
    prefix: tuple[Any, ...]

    def fn(self, order: int | str) -> str | None:
        """The implementation's function of ``order`` (0, 1, 2, or "output" for the output
        form of f'), None when it does not define one."""

    def strategy(self, ctx: Ctx) -> Any:
        """The hypothesis strategy drawing ``Inputs`` (:mod:`gradspec.strategies`)."""

    def unit(self, ctx: Ctx) -> list[Any] | None:
        """Unit examples (as the strategy draws them), run before the drawn ones: where the
        function is of its natural size."""

    def prepare(self, ctx: Ctx, drawn: Any) -> Inputs:
        """A drawn example as the check's ``Inputs`` (an activation's z alone becomes
        ``(z,)``; a pair keeps to its cost's domain)."""

    def call_args(self, ctx: Ctx, inputs: Inputs, order: int) -> tuple[list[np.ndarray], list[str]]:
        """What the order-k function is called with, and the names reported for it (a
        derivative in the output convention gets a = f(z) from the implementation)."""

    def truth(self, inputs: Inputs, order: int) -> np.ndarray:
        """The spec's order-k function at ``inputs`` (mpmath, rounded to float64)."""

    def expect(
        self, inputs: Inputs, args: Sequence[np.ndarray], order: int, *, wrt: str | None = None
    ) -> Expect:
        """Truth, scale, budget and natural scale of the order-k function at ``inputs``
        (``args``: what it was called with; ``wrt``: a derivative convention to assume)."""

    def out_shape(self, inputs: Inputs, order: int) -> tuple[int, ...]:
        """The shape the order-k function must return."""

    def reproducer(self, ctx: Ctx, fn: str) -> Callable[[Violation], str] | None:
        """A copy-paste reproducer of a failure of ``fn``."""


class FunctionSubject(Subject, Protocol):
    """A subject with functions of its own to difference and fixed points to probe (an
    activation or a cost binding): what every check body but the truth comparison needs."""

    #: One derivative element per input element (not per row, not reduced).
    elementwise: bool
    #: A reduced cost: one number for all elements.
    reduced: bool
    #: The registry's kinks of the subject (activations: in z; costs: in r = a - y).
    kinks: tuple[spec.Kink, ...]
    #: Orders the shape/dtype check calls.
    shape_orders: tuple[int, ...]

    # --- numeric differences ------------------------------------------------------------

    def domain(self) -> tuple[float, float]:
        """Where the differentiated input may go (lo, hi)."""

    def variable(self, inputs: Inputs) -> np.ndarray:
        """The differentiated input (z or a)."""

    def forward(self, ctx: Ctx, inputs: Inputs) -> Callable[[np.ndarray], np.ndarray]:
        """The implementation's order-0 function of the differentiated input alone."""

    def numeric_kinks(self, inputs: Inputs) -> tuple:
        """Kink locations in the differentiated input, kept out of the differences."""

    def numeric_derivative(self, ctx: Ctx, inputs: Inputs) -> tuple[np.ndarray, np.ndarray]:
        """Differences and their error estimate where the derivative is not elementwise
        (a Jacobian, the gradient of a row or reduced cost)."""

    # --- fixed points -------------------------------------------------------------------

    def kink_points(self, ctx: Ctx, k: spec.Kink) -> Inputs | None:
        """Inputs at kink ``k`` (None: nothing to check there)."""

    def check_kink(
        self,
        ctx: Ctx,
        k: spec.Kink,
        fn: str,
        lower: str | None,
        points: Inputs,
        got: np.ndarray,
        tol: float,
    ) -> Worst | None:
        """Raise a Violation where ``got`` = fn(points) is outside the accepted interval (to
        ``tol``) or the one-sided differences of ``lower``; the worst smooth neighbour."""

    def extreme_inputs(self, dtype: np.dtype) -> Inputs:
        """Large and tiny inputs (off the kinks)."""

    def judge_extremes(
        self,
        fn: str,
        inputs: Inputs,
        got: np.ndarray,
        truth: np.ndarray,
        cmp: Comparison,
        worst: Worst | None,
    ) -> Worst | None:
        """Raise a Violation for a failing comparison at the extremes; else the worst so far."""

    def nan_probe(self, dtype: np.dtype, after: int) -> tuple[str, list[np.ndarray]] | None:
        """The function and inputs of the NaN-propagation probe run after the order-``after``
        comparison of the extremes check, or None."""

    def shape_cases(self, dtype: np.dtype) -> list[ShapeCase]:
        """Inputs of several shapes for the shape/dtype check."""

    def fixed_inputs(self, dtype: np.dtype) -> Inputs:
        """The inputs of the determinism/mutation check."""
