"""The cost entries of the spec registry.  One entry per function, declared once."""

from __future__ import annotations

import math

import sympy as sp

from ._types import REALS, A, Cost, Interval, Kink, Param, Y, Z, closed, open_

HUBER_DELTA_PARAM = Param(
    "delta",
    1.0,
    open_(0.0, math.inf),
    "where the quadratic part ends (|a - y| = delta)",
    draw=(0.25, 4.0),
)
SMOOTH_L1_BETA = Param(
    "beta",
    1.0,
    open_(0.0, math.inf),
    "where the quadratic part ends; beta -> 0 is absolute (L1)",
    draw=(0.25, 4.0),
    symbol_name="beta_l1",
)
FOCAL_GAMMA = Param(
    "gamma",
    2.0,
    Interval(0.0, math.inf, lo_closed=True),
    "the focusing exponent; gamma = 0 is log_loss",
    draw=(0.5, 5.0),
)
HUBER_DELTA = HUBER_DELTA_PARAM.default

#: Inverse links a cost on logits may fuse that are no registry activation, with f(z).
#: exp is not an output activation of the registry: its value overflows float32 beyond
#: z = 88.7 and its pairs with the squared costs much sooner, so every check of it would
#: measure the dtype's range, not the implementation.  The Poisson loss on log-rates is where
#: it is fused: exp(z) - y z is evaluated without forming a rate that could overflow first.
FUSED_LINKS: dict[str, sp.Expr] = {"exp": sp.exp(Z)}

#: Largest log-rate of poisson_nll_log: exp(88) = 1.65e38 is finite in float32 (and so is
#: every derivative); beyond 88.72 the value itself overflows float32.
POISSON_LOG_RATE_MAX = 88.0

_r = A - Y
_delta = HUBER_DELTA_PARAM.symbol


def _huber_at(v: dict[str, float]) -> dict:
    d = v["delta"]
    return {
        "kinks": (
            Kink(at=-d, order=2, accepted=(0.0, 1.0), note="C'' jumps from 0 to 1"),
            Kink(at=d, order=2, accepted=(0.0, 1.0), note="C'' jumps from 1 to 0"),
        ),
    }


_beta_l1 = SMOOTH_L1_BETA.symbol
_gamma = FOCAL_GAMMA.symbol


def _smooth_l1_at(v: dict[str, float]) -> dict:
    b = v["beta"]
    return {
        "kinks": (
            Kink(at=-b, order=2, accepted=(0.0, 1.0 / b), note="C'' jumps from 0 to 1/beta"),
            Kink(at=b, order=2, accepted=(0.0, 1.0 / b), note="C'' jumps from 1/beta to 0"),
        )
    }


def _categorical_logits(k: int) -> tuple[sp.Expr, list[sp.Symbol], list[sp.Symbol]]:
    zs = list(sp.symbols(f"z0:{k}", real=True))
    ys = list(sp.symbols(f"y0:{k}", real=True))
    total = sum(sp.exp(zi) for zi in zs)
    expr = -sum(yi * sp.log(sp.exp(zi) / total) for zi, yi in zip(zs, ys, strict=True))
    return expr, zs, ys


PROBABILITY_TARGET = closed(0.0, 1.0)
_margin = Y * A
_hinge = sp.Piecewise((1 - _margin, _margin < 1), (0, True))

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
        informal=("mse", "l2"),
    ),
    Cost(
        name="absolute",
        formula="C(a, y) = |a - y|",
        expr=sp.Abs(_r),
        pred_domain=REALS,
        target_domain=REALS,
        kinks=(Kink(at=0.0, order=1, accepted=(-1.0, 1.0), note="subdifferential [-1, 1]"),),
        informal=("mae", "l1"),
    ),
    Cost(
        name="huber",
        formula="C(a, y) = r^2/2 if |r| <= delta else delta (|r| - delta/2),  r = a - y",
        expr=sp.Piecewise(
            (_r**2 / 2, sp.Abs(_r) <= _delta), (_delta * (sp.Abs(_r) - _delta / 2), True)
        ),
        pred_domain=REALS,
        target_domain=REALS,
        params=(HUBER_DELTA_PARAM,),
        at=_huber_at,
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
        informal=("ce",),
        stability="Probabilities at exactly 0 give inf; prefer cross_entropy_logits.",
    ),
    Cost(
        name="hinge",
        formula="C(a, y) = max(0, 1 - y a),  labels y in {-1, +1}",
        expr=_hinge,
        pred_domain=REALS,
        target_domain=closed(-1.0, 1.0),
        target_labels=(-1.0, 1.0),
        kink_variable="margin",
        kinks=(
            Kink(
                at=1.0,
                order=1,
                accepted=(-1.0, 1.0),
                note="at the margin y a = 1 dC/da jumps from -y to 0: the subdifferential is "
                "between them ([-1, 0] for y = 1, [0, 1] for y = -1; the one-sided "
                "differences check which); PyTorch and JAX return 0 there",
            ),
        ),
        stability="Exact as written (one product, one subtraction).  The kink is at the margin "
        "y a = 1, which for labels +-1 is a = y; the formula and its derivative -y (y a < 1) "
        "hold for any real y, and the spec checks y in [-1, 1].",
    ),
    Cost(
        name="squared_hinge",
        formula="C(a, y) = max(0, 1 - y a)^2,  labels y in {-1, +1}",
        expr=_hinge**2,
        pred_domain=REALS,
        target_domain=closed(-1.0, 1.0),
        target_labels=(-1.0, 1.0),
        kink_variable="margin",
        kinks=(
            Kink(
                at=1.0,
                order=2,
                accepted=(0.0, 2.0),
                note="dC/da = -2 y max(0, 1 - y a) is continuous; d2C/da2 jumps from 2 y^2 "
                "(2 for labels +-1) to 0 at the margin y a = 1",
            ),
        ),
        stability="Exact as written: square max(0, 1 - y a) after the max.",
    ),
    Cost(
        name="kl_div",
        formula="C(a, y) = y log(y / a)   (0 log 0 = 0; summed over classes: KL(y || a))",
        # y log y (the 0 log 0 = 0 convention as a Piecewise) is constant in a: written
        # apart, dC/da is the plain -y / a and the softmax closed form proves like
        # cross_entropy's
        expr=-Y * sp.log(A) + sp.Piecewise((0, sp.Eq(Y, 0)), (Y * sp.log(Y), True)),
        pred_domain=Interval(0.0, 1.0, hi_closed=True),
        target_domain=PROBABILITY_TARGET,
        target_simplex=True,
        # KL(y || softmax(z)) differs from the cross-entropy by the entropy of y, constant in z
        closed_forms={"softmax": "a - y"},
        stability="Both arguments are probabilities (a: the prediction, y: the target), as in "
        "log_loss and cross_entropy.  xlogy(y, y) - xlogy(y, a) gives 0 at y = 0; "
        "y log(y/a) cancels nothing but divides first.  PyTorch's kl_div(input, target) "
        "takes input = log a (log-probabilities) and target = y: kl_div(a, y) here is "
        "torch.nn.functional.kl_div(torch.log(a), y, reduction='none').",
    ),
    Cost(
        name="poisson_nll",
        formula="C(a, y) = a - y log a   (a: the rate, y: the count; log y! dropped)",
        expr=A - Y * sp.log(A),
        pred_domain=open_(0.0, math.inf),
        target_domain=Interval(0.0, math.inf, lo_closed=True),
        stability="xlogy(y, a) gives 0 for y = 0 at any a.  PyTorch's poisson_nll_loss with "
        "log_input=False computes a - y log(a + 1e-8): a different function near a = 0 "
        "(and off by 1e-8 y / a everywhere).",
    ),
    Cost(
        name="poisson_nll_log",
        formula="C(z, y) = exp(z) - y z   (Poisson NLL of the rate exp(z); z: the log-rate)",
        expr=sp.exp(Z) - Y * Z,
        pred_domain=Interval(-math.inf, POISSON_LOG_RATE_MAX, hi_closed=True),
        target_domain=Interval(0.0, math.inf, lo_closed=True),
        inputs="logits",
        fuses="exp",
        stability="Exact as written; the derivative is exp(z) - y.  The domain ends at "
        f"z = {POISSON_LOG_RATE_MAX:g}, where exp(z) is still finite in float32.  PyTorch's "
        "poisson_nll_loss(z, y, log_input=True, full=False) is this function.",
    ),
    Cost(
        name="log_cosh",
        formula="C(a, y) = log(cosh(a - y))",
        expr=sp.log(sp.cosh(_r)),
        pred_domain=REALS,
        target_domain=REALS,
        stability="Evaluate as |r| + log1p(exp(-2|r|)) - log 2: cosh overflows for "
        "|r| > 710 (float64) / 89 (float32).  That form cancels for small r (r^2/2 out of "
        "terms of size log 2), as log(cosh r) does: for |r| < 1 use log1p(2 sinh(r/2)^2).  "
        "dC/da = tanh(r), d2C/da2 = sech^2(r) in its tail-accurate form.",
    ),
    Cost(
        name="smooth_l1",
        formula="C(a, y) = r^2 / (2 beta) if |r| < beta else |r| - beta/2,  r = a - y",
        expr=sp.Piecewise(
            (_r**2 / (2 * _beta_l1), sp.Abs(_r) < _beta_l1), (sp.Abs(_r) - _beta_l1 / 2, True)
        ),
        pred_domain=REALS,
        target_domain=REALS,
        params=(SMOOTH_L1_BETA,),
        at=_smooth_l1_at,
        stability="Exact as written.  PyTorch's F.smooth_l1_loss(beta); huber(delta) = "
        "delta smooth_l1(beta = delta), so they agree only at 1.  The kinks at |r| = beta are "
        "second-order (C and C' are continuous); beta -> 0 is absolute, which torch computes "
        "for beta = 0 (declare absolute there: beta = 0 is outside this entry's range).",
    ),
    Cost(
        name="focal",
        formula="C(a, y) = -y (1 - a)^gamma log a - (1 - y) a^gamma log(1 - a)  "
        "(binary focal loss on probabilities)",
        expr=-Y * (1 - A) ** _gamma * sp.log(A) - (1 - Y) * A**_gamma * sp.log(1 - A),
        pred_domain=open_(0.0, 1.0),
        target_domain=PROBABILITY_TARGET,
        params=(FOCAL_GAMMA,),
        stability="log1p(-a) for log(1 - a), (1 - a)^gamma and a^gamma as powers (gamma = 0 "
        "gives 1, and is log_loss).  Lin et al. 2017; the default gamma = 2 is the paper's, "
        "optax's and torchvision's.  Those libraries (optax.sigmoid_focal_loss, "
        "torchvision.ops.sigmoid_focal_loss) take logits: that is the pair sigmoid + focal "
        "here, dC/dz through the chain rule (no closed form), not a separate entry.  Their "
        "optional class weight alpha is not part of this entry.  The classic mistake in "
        "dC/da is to treat the modulating factor (1 - a)^gamma as a constant weight: "
        "-y (1 - a)^gamma / a misses gamma y (1 - a)^(gamma - 1) log a.",
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
