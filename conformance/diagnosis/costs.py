"""Mistakes in a cost's value and derivative dC/da, and the wrong dC/da a network's output
layer can start from (:data:`WRONG_DC_DA`, substituted by ``networks``).

The candidate is called on a fixed probe (a 2x4 batch of predictions and targets drawn from
the entry's domains) and compared, after its declared reduction, with each wrong formula
evaluated there with the reference implementation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from gradspec import spec
from gradspec.conformance.diagnosis import own, params
from gradspec.conformance.diagnosis.catalog import Signature
from gradspec.conformance.diagnosis.matching import close, matches
from gradspec.conformance.targets.namespace import CostBinding, Namespace
from gradspec.reference import chain
from gradspec.reference import costs as ref
from gradspec.reference._deferred import deferred

sc = deferred("scipy.special")  # imported on first use: ~0.3 s a one-function check never needs

_VALUE = frozenset({"value"})


def _fused_pairs(c: spec.Cost) -> list[spec.Pair]:
    """The output pairs whose dC/dz is the fused a - y (sigmoid + log loss)."""
    return [p for p in spec.PAIRS if p.cost.name == c.name and p.valid and p.closed_form == "a - y"]


@dataclass(frozen=True)
class WrongCostDerivative:
    """A wrong formula for the elementwise dC/da, ``formula(cost, a, y)``.

    ``as_derivative``: how it reads when a derivative function returns it (after the
    function's name and role; ``{pair}``: the fused pair); ``in_network``: when a network's
    output delta starts from it.  ``unreduced_too``: also looked for without the reduction's
    1/N.  ``applies``: which costs a derivative function can make it for.
    """

    formula: Callable[[str, np.ndarray, np.ndarray], np.ndarray]
    as_derivative: str
    in_network: str
    unreduced_too: bool = False
    applies: Callable[[spec.Cost], bool] = lambda c: True


def _value(c: str, a: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The reference C of cost ``c`` (a name, or a bound id: at its values)."""
    e = spec.cost(c)
    return getattr(ref, e.name)(a, y, **(e.values if e.explicit else {}))


def _dC_da(c: str, a: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The reference dC/da of cost ``c`` (a name, or a bound id: at its values)."""
    e = spec.cost(c)
    if e.explicit:
        return getattr(ref, f"{e.name}_der")(a, y, **e.values)
    return chain.dC_da(c, a, y)


def _focal_weight_constant(c: str, a: np.ndarray, y: np.ndarray) -> np.ndarray:
    """dC/da of focal with (1 - a)^gamma and a^gamma taken as constant weights: the log-loss
    terms weighted, the derivative of the modulating factor dropped."""
    g = spec.cost(c).values["gamma"]
    return -y * (1 - a) ** g / a + (1 - y) * a**g / (1 - a)


#: signature id -> the wrong dC/da it names.
WRONG_DC_DA: dict[str, WrongCostDerivative] = {
    "error_as_derivative": WrongCostDerivative(
        _value,
        "returns the error value C(a, y) itself",
        "the output delta starts from the cost value C(a, y) instead of dC/da (delta = C * sigma')",
        unreduced_too=True,
    ),
    "factor2_missing": WrongCostDerivative(
        lambda c, a, y: _dC_da(c, a, y) / 2, "misses a factor 2", "dC/da misses a factor 2"
    ),
    "factor2_extra": WrongCostDerivative(
        lambda c, a, y: 2 * _dC_da(c, a, y),
        "has an extra factor 2",
        "dC/da has an extra factor 2",
    ),
    "hinge_label_dropped": WrongCostDerivative(
        lambda c, a, y: np.where(y * a < 1, -1.0, 0.0),
        "returns -1 inside the margin (y a < 1), not -y: the label's sign is dropped",
        "dC/da of the hinge taken as -1 inside the margin instead of -y",
        applies=lambda c: c.kink_variable == "margin" and c.name == "hinge",
    ),
    "hinge_max_dropped": WrongCostDerivative(
        lambda c, a, y: -y + 0.0 * a,
        "returns -y everywhere: the derivative of 1 - y a without the max (0 beyond the "
        "margin y a >= 1)",
        "dC/da of the hinge taken as -y everywhere (the max dropped)",
        applies=lambda c: c.kink_variable == "margin" and c.name == "hinge",
    ),
    "kl_div_probabilities_as_log": WrongCostDerivative(
        lambda c, a, y: -y + 0.0 * a,
        "returns -y, the derivative of y (log y - a): the probabilities a were used where "
        "log-probabilities belong (torch's kl_div(input=a, ...) takes log a)",
        "dC/da of kl_div taken as -y (probabilities used as log-probabilities)",
        applies=lambda c: c.name == "kl_div",
    ),
    "focal_gamma_term_dropped": WrongCostDerivative(
        _focal_weight_constant,
        "treats the modulating factors (1 - a)^gamma and a^gamma as constant weights: "
        "-y (1-a)^gamma / a + (1-y) a^gamma / (1-a), without their derivative "
        "(gamma y (1-a)^(gamma-1) log a, -gamma (1-y) a^(gamma-1) log(1-a))",
        "dC/da of the focal loss with the modulating factor taken as a constant weight",
        applies=lambda c: c.name == "focal",
    ),
    "fused_delta_as_cost_derivative": WrongCostDerivative(
        lambda c, a, y: a - y,
        "returns a - y, the fused delta of {pair} (dC/dz), not dC/da",
        "dC/da taken as a - y",
        applies=lambda c: bool(_fused_pairs(c)),
    ),
}


# --- the probe ---------------------------------------------------------------------------


def probe_inputs(c: spec.Cost, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """A fixed (a, y) batch for ``c``: predictions inside the inner 80% of a bounded domain
    (else in [-2, 2]); binary targets for a [0, 1] target domain (else in [-2, 2])."""
    rng = np.random.default_rng(7)
    shape = (2, 4)
    lo, hi = c.pred_domain.lo, c.pred_domain.hi
    if np.isfinite(lo) and np.isfinite(hi):
        a = rng.uniform(lo + 0.1 * (hi - lo), hi - 0.1 * (hi - lo), shape)
    else:
        a = rng.uniform(-2, 2, shape)
    if c.target_labels:  # the classic labels (hinge: -1, +1)
        y = rng.choice(np.asarray(c.target_labels, float), shape)
    elif (c.target_domain.lo, c.target_domain.hi) == (0.0, 1.0):
        y = rng.integers(0, 2, shape).astype(float)
    else:
        y = rng.uniform(-2, 2, shape)
    return a.astype(dtype), y.astype(dtype)


@dataclass
class Probe:
    """One cost binding called on the probe, with the reference's values there.

    ``got`` is the candidate's (reduced) value or its derivative; ``truth`` the reference's;
    ``k`` the factor every element's gradient carries under the reduction (1/N for mean).
    """

    ns: Namespace
    cb: CostBinding
    dtype: np.dtype
    a: np.ndarray
    y: np.ndarray
    a64: np.ndarray
    y64: np.ndarray
    value: np.ndarray  # reference C(a, y), elementwise
    der: np.ndarray  # reference dC/da, elementwise
    got: object
    truth: np.ndarray

    @property
    def n(self) -> int:
        return self.a.size

    @property
    def k(self) -> float:
        return 1 / self.n if self.cb.reduction == "mean" else 1.0

    @property
    def where(self) -> str:
        c = self.cb
        return f"{c.der} (dC/da of {c.entry.name}, reduction {c.reduction})"

    def own_forward(self, x: np.ndarray) -> np.ndarray:
        """The candidate's cost at float64 predictions ``x`` (the probe's targets)."""
        return np.asarray(self.ns.call(self.cb.value, x.astype(self.dtype), self.y), np.float64)


def probe(ns: Namespace, cb: CostBinding, dtype: np.dtype, kind: str) -> Probe | None:
    """The probe of a failing ``kind`` check of ``cb`` (None: nothing to diagnose)."""
    c = cb.entry
    if c.vector:  # an elementwise cost is probed elementwise, simplex targets or not
        return None
    a, y = probe_inputs(c, dtype)
    a64, y64 = a.astype(np.float64), y.astype(np.float64)
    if c.explicit:  # a declared parameter value: the reference at it
        value = getattr(ref, c.name)(a64, y64, **c.values)
        der = getattr(ref, f"{c.name}_der")(a64, y64, **c.values)
    else:
        value = getattr(ref, c.name)(a64, y64)
        der = chain.dC_da(c.name, a64, y64)
    if kind == "value":
        if not cb.value:
            return None
        red = cb.reduction
        t = value if red == "none" else (value.sum() if red == "sum" else value.mean())
        return Probe(ns, cb, dtype, a, y, a64, y64, value, der, ns.call(cb.value, a, y), t)
    if not cb.der:
        return None
    p = Probe(ns, cb, dtype, a, y, a64, y64, value, der, ns.call(cb.der, a, y), der)
    p.truth = der * p.k
    return p


# --- detectors -----------------------------------------------------------------------------


def _value_times(factor: float, says: str) -> Callable[[Probe], Iterator[str]]:
    """The detector of a value ``factor`` times the (reduced) cost: ``says`` what it returns."""

    def detect(p: Probe) -> Iterator[str]:
        if matches(p.got, factor * p.truth, p.truth, p.dtype):
            yield f"{p.cb.value} returns {says}"

    return detect


def _sum_instead_of_mean(p: Probe) -> Iterator[str]:
    fn, red = p.cb.value, p.cb.reduction
    if red == "mean" and matches(p.got, p.truth * p.n, p.truth, p.dtype):
        yield f"{fn} returns the sum, not the mean"
    if red == "sum" and matches(p.got, p.truth / p.n, p.truth, p.dtype):
        yield f"{fn} returns the mean, not the sum"


def _wrong_dC_da(sig: str) -> Callable[[Probe], Iterator[str]]:
    """The detector of wrong formula ``sig`` for dC/da in a derivative function."""
    f = WRONG_DC_DA[sig]

    def detect(p: Probe) -> Iterator[str]:
        c = p.cb.entry
        if not f.applies(c):
            return
        w = f.formula(c.id, p.a64, p.y64)
        pairs = _fused_pairs(c)
        pair = f"{pairs[0].activation.name} + {c.name.replace('_', ' ')}" if pairs else ""
        for scaled in (w * p.k, w) if f.unreduced_too else (w * p.k,):
            if matches(p.got, scaled, p.truth, p.dtype):
                yield f"{p.where} {f.as_derivative.format(pair=pair)}"

    return detect


def _reduced(p: Probe, w: np.ndarray) -> np.ndarray:
    """Elementwise values ``w`` under the binding's reduction."""
    red = p.cb.reduction
    return w if red == "none" else (w.sum() if red == "sum" else w.mean())


def _kl_probabilities_as_log(p: Probe) -> Iterator[str]:
    # torch.nn.functional.kl_div(a, y) with a probabilities computes y (log y - a)
    if p.cb.entry.name != "kl_div":
        return
    w = sc.xlogy(p.y64, p.y64) - p.y64 * p.a64
    if matches(p.got, _reduced(p, w), p.truth, p.dtype):
        yield (
            f"{p.cb.value} returns y (log y - a): the probabilities a were used where "
            "log-probabilities belong (torch's kl_div(input, target) takes input = log a)"
        )


def _der_sign(p: Probe) -> Iterator[str]:
    if matches(p.got, -p.truth, p.truth, p.dtype):
        yield f"{p.where} returns -dC/da (y - a for a - y)"


def _mean_without_1_over_n(p: Probe) -> Iterator[str]:
    if p.cb.reduction == "mean" and matches(p.got, p.der, p.truth, p.dtype):
        yield f"{p.where} is not divided by N = {p.n}"


def _extra_1_over_n(p: Probe) -> Iterator[str]:
    if p.cb.reduction != "mean" and matches(p.got, p.der / p.n, p.truth, p.dtype):
        yield f"{p.where} is divided by N = {p.n}"


def _elementwise_with_value(p: Probe) -> bool:
    # Only an unreduced cost has a derivative that is the elementwise derivative of its value.
    return bool(p.cb.value) and p.cb.reduction == "none"


def _declared(p: Probe) -> Iterator[str]:
    if _elementwise_with_value(p) and own.self_consistent(
        p.own_forward, p.a64, p.value, p.got, p.dtype
    ):
        yield own.differs_text(p.cb.value, p.cb.entry.name)


def _coarse(p: Probe) -> Iterator[str]:
    if _elementwise_with_value(p) and close(p.own_forward(p.a64), p.value, dtype=p.dtype):
        how = own.coarse_quotient(p.own_forward, p.a64, p.truth, p.got, p.dtype)
        if how:
            yield f"{p.where} is a {how}"


def _param_on_value(p: Probe) -> Iterator[str]:
    if p.cb.value and p.cb.reduction == "none":
        f = getattr(ref, p.cb.entry.name)
        where = f"{p.cb.value}(a, y)"
        yield from params.detect(p.cb.entry, p.got, lambda v: f(p.a64, p.y64, **v), p.dtype, where)


def _param_on_derivative(p: Probe) -> Iterator[str]:
    if p.cb.der and p.cb.reduction == "none":
        f = getattr(ref, f"{p.cb.entry.name}_der")
        where = f"{p.cb.der} (dC/da)"
        yield from params.detect(p.cb.entry, p.got, lambda v: f(p.a64, p.y64, **v), p.dtype, where)


ENTRIES: tuple[Signature, ...] = (
    Signature("parameter_mismatch", "cost", _param_on_value, kinds=_VALUE),
    Signature("parameter_mismatch", "cost", _param_on_derivative),
    Signature("sign_flipped", "cost", _value_times(-1, "-C (a minus sign missing)"), kinds=_VALUE),
    Signature("factor2_extra", "cost", _value_times(2, "2 C"), kinds=_VALUE),
    Signature("factor2_missing", "cost", _value_times(0.5, "C / 2"), kinds=_VALUE),
    Signature(
        "cost_sum_instead_of_mean",
        "cost",
        _sum_instead_of_mean,
        "mean reduction declared, the cost returns the sum (or the converse)",
        kinds=_VALUE,
    ),
    Signature(
        "error_as_derivative",
        "cost",
        _wrong_dC_da("error_as_derivative"),
        "the error value C(a, y) (e.g. 0.5*(a-y)**2) used in place of its derivative dC/da",
    ),
    Signature("sign_flipped", "cost", _der_sign),
    Signature(
        "factor2_missing",
        "cost",
        _wrong_dC_da("factor2_missing"),
        "a factor 2 is missing (d/da (a-y)**2 written as a - y)",
    ),
    Signature(
        "factor2_extra",
        "cost",
        _wrong_dC_da("factor2_extra"),
        "an extra factor 2 (d/da 0.5*(a-y)**2 written as 2*(a-y))",
    ),
    Signature(
        "mean_without_1_over_n",
        "cost",
        _mean_without_1_over_n,
        "mean reduction, but the gradient is not divided by N",
    ),
    Signature(
        "extra_1_over_n", "cost", _extra_1_over_n, "sum reduction, but the gradient is divided by N"
    ),
    Signature(
        "fused_delta_as_cost_derivative",
        "cost",
        _wrong_dC_da("fused_delta_as_cost_derivative"),
        "the fused output delta a - y (sigmoid + log loss) used as dC/da of the log loss",
    ),
    Signature(
        "hinge_label_dropped",
        "cost",
        _wrong_dC_da("hinge_label_dropped"),
        "hinge derivative -1 instead of -y inside the margin (the label y's sign dropped)",
    ),
    Signature(
        "hinge_max_dropped",
        "cost",
        _wrong_dC_da("hinge_max_dropped"),
        "hinge derivative -y everywhere: the max(0, .) forgotten, so points beyond the "
        "margin still pull",
    ),
    Signature(
        "kl_div_probabilities_as_log",
        "cost",
        _kl_probabilities_as_log,
        "KL divergence with probabilities where log-probabilities belong (torch's kl_div "
        "takes log a as its input): y (log y - a) instead of y log(y / a)",
        kinds=_VALUE,
    ),
    Signature("kl_div_probabilities_as_log", "cost", _wrong_dC_da("kl_div_probabilities_as_log")),
    Signature(
        "focal_gamma_term_dropped",
        "cost",
        _wrong_dC_da("focal_gamma_term_dropped"),
        "focal loss derivative with the modulating factor (1 - a)^gamma treated as a constant "
        "weight: the gamma terms of its derivative dropped",
    ),
    Signature("declared_function_differs", "cost", _declared, fallback=True),
    Signature("coarse_numeric_derivative", "cost", _coarse, fallback=True),
)
