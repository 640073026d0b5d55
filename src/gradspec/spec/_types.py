"""Data types of the spec registry: intervals, kinks and the entries themselves."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import sympy as sp

#: The symbols every scalar spec expression is written in.  ``real=True`` matters: without it
#: SymPy differentiates ``Abs`` into ``re``/``im`` terms instead of ``sign``.
Z = sp.Symbol("z", real=True)
A = sp.Symbol("a", real=True)
Y = sp.Symbol("y", real=True)


@dataclass(frozen=True)
class Interval:
    """A real interval; ``lo``/``hi`` may be infinite (then always open)."""

    lo: float = -math.inf
    hi: float = math.inf
    lo_closed: bool = False
    hi_closed: bool = False

    def __post_init__(self) -> None:
        if self.lo > self.hi:
            raise ValueError(f"empty interval {self.lo}..{self.hi}")

    def contains(self, x: float) -> bool:
        if x < self.lo or x > self.hi:
            return False
        if x == self.lo and not self.lo_closed:
            return False
        return not (x == self.hi and not self.hi_closed)

    def includes(self, other: Interval) -> bool:
        """True if every point of ``other`` lies in this interval."""
        lo_ok = other.lo > self.lo or (
            other.lo == self.lo and (self.lo_closed or not other.lo_closed)
        )
        hi_ok = other.hi < self.hi or (
            other.hi == self.hi and (self.hi_closed or not other.hi_closed)
        )
        return lo_ok and hi_ok

    def __str__(self) -> str:
        def fmt(v: float) -> str:
            if math.isinf(v):
                return "-inf" if v < 0 else "inf"
            return f"{v:g}"

        left = "[" if self.lo_closed else "("
        right = "]" if self.hi_closed else ")"
        return f"{left}{fmt(self.lo)}, {fmt(self.hi)}{right}"


REALS = Interval()


def closed(lo: float, hi: float) -> Interval:
    return Interval(lo, hi, lo_closed=True, hi_closed=True)


def open_(lo: float, hi: float) -> Interval:
    return Interval(lo, hi)


@dataclass(frozen=True)
class Kink:
    """A point where some derivative of a function does not exist.

    ``at`` is the value of the kink variable (``z`` for activations; for costs the entry's
    ``kink_variable``: the residual ``a - y`` or the margin ``y a``) where
    the ``order``-th derivative is undefined (order 0: the function itself jumps).  ``accepted``
    is the closed interval of values an implementation may return there for the derivative of
    order ``max(order, 1)``: the subdifferential (e.g. [0, 1] for relu' at 0, [0, 1] for the
    Huber C'' at |r| = 1), or, for a jump, the conventional value of f'.
    """

    at: float
    order: int
    accepted: tuple[float, float]
    note: str = ""

    @property
    def derivative_order(self) -> int:
        """Which derivative ``accepted`` constrains (1 for a jump or a corner, 2 for Huber)."""
        return max(self.order, 1)

    def __post_init__(self) -> None:
        lo, hi = self.accepted
        if lo > hi:
            raise ValueError("accepted subgradient interval is empty")


Stability = str  # free-text notes on stable evaluation, rendered into the docs


class InvalidParameter(ValueError):
    """A parameter value an entry does not accept (unknown name, non-finite, out of range)."""


@dataclass(frozen=True)
class Param:
    """A named parameter of an entry: its default, the values it may take and what it means.

    The entry's expressions are written in :attr:`symbol` (a SymPy symbol named ``symbol_name``,
    default the parameter's name, positive where ``valid`` is); the derivations stay symbolic
    in it and the truth is evaluated at the bound value.  ``draw`` is the range ``gradspec
    verify`` draws values from (inside ``valid``, which may be unbounded).
    """

    name: str
    default: float
    valid: Interval
    doc: str
    draw: tuple[float, float]
    symbol_name: str = ""

    def __post_init__(self) -> None:
        if not self.valid.contains(self.default):
            raise ValueError(f"{self.name}: default {self.default} outside {self.valid}")
        if not (self.valid.contains(self.draw[0]) and self.valid.contains(self.draw[1])):
            raise ValueError(f"{self.name}: draw range {self.draw} outside {self.valid}")

    @property
    def symbol(self) -> sp.Symbol:
        positive = self.valid.lo > 0 or (self.valid.lo == 0 and not self.valid.lo_closed)
        if positive:
            return sp.Symbol(self.symbol_name or self.name, positive=True)
        if self.valid.lo >= 0:
            return sp.Symbol(self.symbol_name or self.name, nonnegative=True)
        return sp.Symbol(self.symbol_name or self.name, real=True)

    def check(self, entry: str, value: object) -> float:
        """``value`` as a float, or :class:`InvalidParameter` with a one-line reason."""
        try:
            v = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise InvalidParameter(
                f"{entry}: parameter {self.name} must be a number, not {value!r}"
            ) from None
        if isinstance(value, bool) or not math.isfinite(v) or not self.valid.contains(v):
            raise InvalidParameter(
                f"{entry}: parameter {self.name} = {value!r} is outside its valid range "
                f"{self.valid} ({self.doc})"
            )
        return v


def format_value(v: float) -> str:
    """A parameter value as ids show it: the shortest text that reads back exactly."""
    text = repr(float(v))
    return text[:-2] if text.endswith(".0") else text


def _sympy_value(v: float) -> sp.Expr:
    """A bound value as a SymPy number: the simple fraction it is the float64 of (0.2 -> 1/5,
    1/6, 0.01 -> 1/100: the function the code means, its float constant one rounding away),
    else the float64 itself."""
    exact = sp.Rational(float(v)).limit_denominator(1000)
    return exact if float(exact) == float(v) else sp.Float(v)


#: The expression fields of an entry written in its parameters' symbols.
_SYMBOLIC_FIELDS = ("expr", "output_derivative", "inverse")


def _bind_fields(entry: Any) -> None:
    """Evaluate a parameterised entry at its values (``__post_init__`` of both entry kinds).

    The expressions as declared (symbolic in the parameters) are kept in ``entry.symbolic``;
    ``expr``, ``output_derivative`` and ``inverse`` become those expressions at the values,
    and the fields ``at(values)`` returns (kinks, range, formula, ...) are set from it.
    """
    if not entry.params:
        if entry.values:
            raise InvalidParameter(f"{entry.name} has no parameters")
        return
    names = [p.name for p in entry.params]
    unknown = sorted(set(entry.values) - set(names))
    if unknown:
        raise InvalidParameter(
            f"{entry.name} has no parameter {unknown[0]!r}; its parameters: {', '.join(names)}"
        )
    values = {
        p.name: p.check(entry.name, entry.values.get(p.name, p.default)) for p in entry.params
    }
    symbolic = entry.symbolic
    if symbolic is None:
        symbolic = {
            f: getattr(entry, f) for f in _SYMBOLIC_FIELDS if getattr(entry, f, None) is not None
        }
    subs = {p.symbol: _sympy_value(values[p.name]) for p in entry.params}
    object.__setattr__(entry, "symbolic", symbolic)
    object.__setattr__(entry, "values", values)
    for f, e in symbolic.items():
        # xreplace: the symbol nodes swapped for numbers, the tree rebuilt (and evaluated) as
        # subs does, without its assumption queries: 0.4 ms a bound entry instead of 2.4 ms
        # (a parameter fit binds a few hundred), the same expressions
        object.__setattr__(entry, f, e.xreplace(subs))
    if entry.at is not None:
        for f, v in entry.at(values).items():
            object.__setattr__(entry, f, v)


class _Parameterised:
    """What both entry kinds share about parameters (fields declared on each dataclass)."""

    name: str
    params: tuple[Param, ...]
    values: Mapping[str, float]
    explicit: bool
    symbolic: dict[str, sp.Expr] | None

    @property
    def defaults(self) -> dict[str, float]:
        return {p.name: p.default for p in self.params}

    @property
    def id(self) -> str:
        """The name, with the values when bound explicitly: ``leaky_relu[slope=0.2]``."""
        if not self.explicit or not self.params:
            return self.name
        return self.id_at({})

    def id_at(self, values: Mapping[str, float]) -> str:
        """The id of this entry bound at ``values`` (the others at their defaults), without
        binding it (no expressions substituted, no range check)."""
        if not self.params:
            return self.name
        merged = {**self.defaults, **self.values, **dict(values)}
        inner = ",".join(f"{p.name}={format_value(merged[p.name])}" for p in self.params)
        return f"{self.name}[{inner}]"

    def bind(self, values: Mapping[str, object]) -> Any:
        """This entry at ``values`` (the other parameters at their defaults); the result's id
        shows every value.  :class:`InvalidParameter` for an unknown name or a value out of
        range."""
        if not self.params:
            if values:
                raise InvalidParameter(f"{self.name} has no parameters")
            return self
        merged = {**self.defaults, **dict(values)}
        return dataclasses.replace(self, values=merged, explicit=True)  # type: ignore[type-var]

    def declared(self, field_name: str) -> Any:
        """An expression field as declared: symbolic in the parameters."""
        if self.symbolic and field_name in self.symbolic:
            return self.symbolic[field_name]
        return getattr(self, field_name)

    def substitutions(self) -> dict[sp.Symbol, sp.Expr]:
        """Parameter symbol -> bound value, to evaluate a derived expression."""
        return {p.symbol: _sympy_value(self.values[p.name]) for p in self.params}


@dataclass(frozen=True)
class Activation(_Parameterised):
    """An activation a = f(z).

    Elementwise entries give ``expr`` in the symbol :data:`Z`.  Vector-valued entries (softmax)
    give ``vector_expr(K)`` returning K SymPy expressions in ``z0..z{K-1}``; they act along the
    last axis and their derivative is the Jacobian.
    ``output_derivative`` is f'(z) written as a function of the output ``a`` (symbol :data:`A`)
    where that classic form exists and is single-valued (sigmoid: a(1-a)).
    ``inverse`` is a preimage z = f^-1(a) in :data:`A`, written in its numerically stable form
    (softplus: a + log(-expm1(-a))); an implementation that differentiates f itself (autodiff)
    evaluates the output form as f'(f^-1(a)).  Where f is not one-to-one (relu on a <= 0, the
    step) it names the preimage whose derivative is the spec's convention.  Without it an
    autodiff backend offers no ``N_der_output``.
    """

    name: str
    formula: str
    expr: sp.Expr | None
    range: Interval
    domain: Interval = REALS
    params: tuple[Param, ...] = ()
    kinks: tuple[Kink, ...] = ()
    output_derivative: sp.Expr | None = None
    inverse: sp.Expr | None = None
    vector_expr: Callable[[int], list[sp.Expr]] | None = None
    stability: Stability = ""
    aliases: tuple[str, ...] = ()
    #: Everyday names for this function that are not aliases (``mse`` for squared): they
    #: never bind a candidate's function (an ``mse`` usually returns the mean), they only
    #: let the report name the protocol name meant (:mod:`gradspec.conformance.targets.unchecked`).
    informal: tuple[str, ...] = ()
    kind: Literal["activation"] = "activation"
    #: Vector entries: the Jacobian J_ij = d a_i / d z_j written in the outputs,
    #: ``jacobian_output(a, i, j)`` with ``a`` indexable (symbols or an IndexedBase); the
    #: derivations prove it for K = 3 and render it (softmax: a_i (delta_ij - a_j)).
    jacobian_output: Callable[[object, object, object], sp.Expr] | None = None
    #: Fixed constants of the definition (selu's lambda and alpha): not parameters.
    constants: dict[str, float] = field(default_factory=dict)
    #: The fields that depend on the parameter values: ``at(values)`` -> {field: value}
    #: (kinks, range, formula, ...).
    at: Callable[[dict[str, float]], dict[str, Any]] | None = field(default=None, repr=False)
    #: The bound values, every parameter (defaults filled in); set by binding.
    values: Mapping[str, float] = field(default_factory=dict)
    #: Bound by :meth:`bind` (its id shows the values), not the registry's default entry.
    explicit: bool = False
    #: The declared expressions, symbolic in the parameters (set on construction).
    symbolic: dict[str, sp.Expr] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        _bind_fields(self)
        if self.inverse is not None and self.output_derivative is None:
            raise ValueError(f"{self.name}: an inverse only serves the output_derivative form")

    @property
    def vector(self) -> bool:
        return self.vector_expr is not None

    @property
    def smooth(self) -> bool:
        return not self.kinks


@dataclass(frozen=True)
class Cost(_Parameterised):
    """A cost C(a, y) per element of (prediction a, target y), or per row for vector costs.

    ``inputs`` says what the prediction argument is: ``"prediction"`` (an activation output) or
    ``"logits"`` (the pre-activation z; the entry then fuses an output activation, e.g. log loss
    on logits = softplus(z) - y z).  A cost on logits names the activation it fuses in
    ``fuses`` (or, where that inverse link is no registry activation, one of
    ``FUSED_LINKS``: poisson_nll_log fuses exp); its output layer then uses activation
    ``identity``.  Kinks are located in ``kink_variable``: ``"residual"`` r = a - y (absolute,
    huber) or ``"margin"`` m = y a (hinge, whose kink is at m = 1 for every target).
    ``target_labels`` are the classic target values (hinge: -1 and +1), drawn often by the
    strategies; the target domain still says what the formulas hold for.
    ``closed_forms`` maps an output activation's name to the classic simplification of
    dC/dz = C'(f(z), y) f'(z) the spec claims for that pair, as a string in ``a`` (= f(z)) and
    ``y`` (sigmoid + log loss: "a - y"); the derivations prove each one.
    Vector costs (categorical cross-entropy on logits) act along the last axis and give
    ``vector_expr(K)`` returning (expression, preds, targets); ``target_simplex`` says the
    target rows must sum to 1.
    """

    name: str
    formula: str
    expr: sp.Expr | None
    pred_domain: Interval
    target_domain: Interval
    params: tuple[Param, ...] = ()
    kinks: tuple[Kink, ...] = ()
    inputs: Literal["prediction", "logits"] = "prediction"
    fuses: str | None = None
    closed_forms: dict[str, str] = field(default_factory=dict)
    vector_expr: Callable[[int], tuple[sp.Expr, list[sp.Symbol], list[sp.Symbol]]] | None = None
    target_simplex: bool = False
    stability: Stability = ""
    aliases: tuple[str, ...] = ()
    #: Everyday names for this function that are not aliases (``mse`` for squared): they
    #: never bind a candidate's function (an ``mse`` usually returns the mean), they only
    #: let the report name the protocol name meant (:mod:`gradspec.conformance.targets.unchecked`).
    informal: tuple[str, ...] = ()
    kind: Literal["cost"] = "cost"
    kink_variable: Literal["residual", "margin"] = "residual"
    target_labels: tuple[float, ...] = ()
    #: Fixed constants of the definition (selu's lambda and alpha): not parameters.
    constants: dict[str, float] = field(default_factory=dict)
    #: The fields that depend on the parameter values: ``at(values)`` -> {field: value}
    #: (kinks, range, formula, ...).
    at: Callable[[dict[str, float]], dict[str, Any]] | None = field(default=None, repr=False)
    #: The bound values, every parameter (defaults filled in); set by binding.
    values: Mapping[str, float] = field(default_factory=dict)
    #: Bound by :meth:`bind` (its id shows the values), not the registry's default entry.
    explicit: bool = False
    #: The declared expressions, symbolic in the parameters (set on construction).
    symbolic: dict[str, sp.Expr] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        _bind_fields(self)
        if (self.inputs == "logits") != (self.fuses is not None):
            raise ValueError(f"{self.name}: a cost on logits (and only one) names what it fuses")
        if self.inputs == "logits" and self.closed_forms:
            raise ValueError(f"{self.name}: a cost on logits pairs with no output activation")

    @property
    def vector(self) -> bool:
        return self.vector_expr is not None

    @property
    def smooth(self) -> bool:
        return not self.kinks

    @property
    def kink_label(self) -> str:
        """How the kink variable reads: ``a - y`` or ``y a``."""
        return "y a" if self.kink_variable == "margin" else "a - y"

    def kink_value(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The kink variable at (a, y), elementwise (float64)."""
        a, y = np.asarray(a, np.float64), np.asarray(y, np.float64)
        return y * a if self.kink_variable == "margin" else a - y

    def kink_prediction(self, at: float, y: np.ndarray) -> np.ndarray:
        """The prediction a where the kink variable equals ``at`` for target y: y + at, or
        at / y for a margin (inf where y = 0: no kink in a)."""
        y = np.asarray(y, np.float64)
        if self.kink_variable == "residual":
            return y + at
        nonzero = y != 0
        return np.where(nonzero, at / np.where(nonzero, y, 1.0), np.inf)


@dataclass(frozen=True)
class Reduction:
    """How per-element costs become one number: ``none``, ``sum`` or ``mean``.

    ``scale(n)`` is the factor each element's gradient carries: 1 for sum, 1/n for mean.
    """

    name: str
    formula: str
    gradient: str

    def scale(self, n: int) -> float:
        if self.name == "mean":
            return 1.0 / n
        return 1.0


@dataclass(frozen=True)
class Pair:
    """An output activation followed by a cost: dC/dz = dC/da * da/dz."""

    activation: Activation
    cost: Cost
    valid: bool
    reason: str = ""
    closed_form: str | None = None  # the classic simplification, when the spec claims one

    @property
    def name(self) -> str:
        return f"{self.activation.name}+{self.cost.name}"

    @property
    def id(self) -> str:
        """The name with the bound values of either entry: ``leaky_relu[slope=0.2]+huber``."""
        return f"{self.activation.id}+{self.cost.id}"
