"""The cost entries of the spec registry.  One entry per function, declared once."""

from __future__ import annotations

import sympy as sp

from ._types import REALS, A, Cost, Interval, Kink, Y, Z, closed, open_

HUBER_DELTA = 1.0

_r = A - Y
_delta = sp.Float(HUBER_DELTA)


def _categorical_logits(k: int) -> tuple[sp.Expr, list[sp.Symbol], list[sp.Symbol]]:
    zs = list(sp.symbols(f"z0:{k}", real=True))
    ys = list(sp.symbols(f"y0:{k}", real=True))
    total = sum(sp.exp(zi) for zi in zs)
    expr = -sum(yi * sp.log(sp.exp(zi) / total) for zi, yi in zip(zs, ys, strict=True))
    return expr, zs, ys


PROBABILITY_TARGET = closed(0.0, 1.0)

COSTS: tuple[Cost, ...] = (
    Cost(
        name="half_squared",
        formula="C(a, y) = (a - y)^2 / 2",
        expr=_r**2 / 2,
        pred_domain=REALS,
        target_domain=REALS,
        closed_forms={"identity": "a - y"},
    ),
    Cost(
        name="squared",
        formula="C(a, y) = (a - y)^2",
        expr=_r**2,
        pred_domain=REALS,
        target_domain=REALS,
        closed_forms={"identity": "2*(a - y)"},
    ),
    Cost(
        name="absolute",
        formula="C(a, y) = |a - y|",
        expr=sp.Abs(_r),
        pred_domain=REALS,
        target_domain=REALS,
        kinks=(Kink(at=0.0, order=1, accepted=(-1.0, 1.0), note="subdifferential [-1, 1]"),),
    ),
    Cost(
        name="huber",
        formula=f"C(a, y) = r^2/2 if |r| <= {HUBER_DELTA:g} else "
        f"{HUBER_DELTA:g} (|r| - {HUBER_DELTA:g}/2),  r = a - y",
        expr=sp.Piecewise(
            (_r**2 / 2, sp.Abs(_r) <= _delta), (_delta * (sp.Abs(_r) - _delta / 2), True)
        ),
        pred_domain=REALS,
        target_domain=REALS,
        params={"delta": HUBER_DELTA},
        kinks=(
            Kink(at=-HUBER_DELTA, order=2, accepted=(0.0, 1.0), note="C'' jumps from 0 to 1"),
            Kink(at=HUBER_DELTA, order=2, accepted=(0.0, 1.0), note="C'' jumps from 1 to 0"),
        ),
    ),
    Cost(
        name="log_loss",
        formula="C(a, y) = -(y log a + (1 - y) log(1 - a))",
        expr=-(Y * sp.log(A) + (1 - Y) * sp.log(1 - A)),
        pred_domain=open_(0.0, 1.0),
        target_domain=PROBABILITY_TARGET,
        closed_forms={"sigmoid": "a - y"},
        aliases=("binary_cross_entropy", "bce"),
        stability="Use log1p(-a) for log(1 - a); near a = 1 the prediction itself has lost "
        "the information, so prefer log_loss_logits.",
    ),
    Cost(
        name="cross_entropy",
        formula="C(a, y) = -y log a   (summed over the class axis for the categorical loss)",
        expr=-Y * sp.log(A),
        pred_domain=Interval(0.0, 1.0, hi_closed=True),
        target_domain=PROBABILITY_TARGET,
        target_simplex=True,
        # assumes every row of y sums to 1 (target_simplex)
        closed_forms={"softmax": "a - y"},
        aliases=("categorical_cross_entropy",),
        stability="Probabilities at exactly 0 give inf; prefer cross_entropy_logits.",
    ),
    Cost(
        name="log_loss_logits",
        formula="C(z, y) = log(1 + exp(z)) - y z   (log loss of sigmoid(z))",
        expr=sp.log(1 + sp.exp(Z)) - Y * Z,
        pred_domain=REALS,
        target_domain=PROBABILITY_TARGET,
        inputs="logits",
        fuses="sigmoid",
        aliases=("sigmoid_cross_entropy",),
        stability="Evaluate as max(z, 0) - y z + log1p(exp(-|z|)); the derivative is "
        "sigmoid(z) - y, evaluated with the stable sigmoid.",
    ),
    Cost(
        name="cross_entropy_logits",
        formula="C(z, y) = -sum_k y_k log softmax(z)_k = logsumexp(z) - sum_k y_k z_k  "
        "(rows of y sum to 1)",
        expr=None,
        vector_expr=_categorical_logits,
        pred_domain=REALS,
        target_domain=PROBABILITY_TARGET,
        target_simplex=True,
        inputs="logits",
        fuses="softmax",
        aliases=("softmax_cross_entropy",),
        stability="logsumexp with the max subtracted; the derivative is softmax(z) - y.",
    ),
)
