"""The activation entries of the spec registry.  One entry per function, declared once."""

from __future__ import annotations

import math

import sympy as sp
from sympy.codegen.cfunctions import expm1, log1p

from ._types import REALS, A, Activation, Interval, Kink, Param, Z, closed, open_

#: Parameters of the activations (the defaults are torch's).
SLOPE = Param(
    "slope",
    0.01,
    open_(0.0, 1.0),
    "the slope for z < 0 (torch 0.01, Keras 0.3, TensorFlow 0.2)",
    draw=(0.01, 0.5),
)
ELU_ALPHA_PARAM = Param(
    "alpha", 1.0, open_(0.0, math.inf), "the saturation value -alpha for z -> -inf", draw=(0.1, 2.0)
)
SOFTPLUS_BETA = Param(
    "beta",
    1.0,
    open_(0.0, math.inf),
    "torch's sharpness: log(1 + exp(beta z)) / beta",
    draw=(0.25, 4.0),
)
CELU_ALPHA = Param(
    "alpha",
    1.0,
    open_(0.0, math.inf),
    "the saturation value -alpha for z -> -inf, and the scale of z inside exp(z / alpha)",
    draw=(0.1, 2.0),
)
HARD_SIGMOID_SLOPE = Param(
    "slope",
    1 / 6,
    open_(0.0, math.inf),
    "the slope of the linear middle piece: 1/6 (torch, Keras 3, JAX) or 0.2 (Keras 2, TensorFlow)",
    draw=(0.1, 0.5),
)
LEAKY_SLOPE = SLOPE.default
ELU_ALPHA = ELU_ALPHA_PARAM.default

#: SELU's fixed constants (Klambauer et al. 2017), to the 31 digits the paper and every
#: library (torch, JAX, Keras) give them; the registry's expression uses them as exact
#: rationals, implementations as the nearest float64.
SELU_LAMBDA_DIGITS = "1.0507009873554804934193349852946"
SELU_ALPHA_DIGITS = "1.6732632423543772848170429916717"
SELU_LAMBDA = float(SELU_LAMBDA_DIGITS)  # 1.0507009873554805
SELU_ALPHA = float(SELU_ALPHA_DIGITS)  # 1.6732632423543772
#: The cubic coefficient of GELU's tanh approximation (Hendrycks & Gimpel), exactly 0.044715.
GELU_TANH_CUBIC = 0.044715


def _softmax_components(k: int) -> list[sp.Expr]:
    zs = sp.symbols(f"z0:{k}", real=True)
    total = sum(sp.exp(zi) for zi in zs)
    return [sp.exp(zi) / total for zi in zs]


def _log_softmax_components(k: int) -> list[sp.Expr]:
    zs = sp.symbols(f"z0:{k}", real=True)
    lse = sp.log(sum(sp.exp(zi) for zi in zs))
    return [zi - lse for zi in zs]


def _softmax_jacobian(a: object, i: object, j: object) -> sp.Expr:
    return a[i] * (sp.KroneckerDelta(i, j) - a[j])


def _log_softmax_jacobian(a: object, i: object, j: object) -> sp.Expr:
    # d(z_i - logsumexp z)/dz_j = delta_ij - softmax_j, and softmax_j = exp(a_j)
    return sp.KroneckerDelta(i, j) - sp.exp(a[j])


_slope = SLOPE.symbol
_selu_lambda = sp.Rational(SELU_LAMBDA_DIGITS)
_selu_alpha = sp.Rational(SELU_ALPHA_DIGITS)
_gelu_cubic = sp.Rational("0.044715")  # = GELU_TANH_CUBIC exactly
_relu6 = sp.Piecewise((0, Z < 0), (6, Z > 6), (Z, True))
_alpha = ELU_ALPHA_PARAM.symbol
_beta = SOFTPLUS_BETA.symbol
_celu_alpha = CELU_ALPHA.symbol
_hs_slope = HARD_SIGMOID_SLOPE.symbol


def _celu_at(v: dict[str, float]) -> dict:
    alpha = v["alpha"]
    # a / alpha kept as a division in the stable inverse (no rounded 1 / alpha)
    a_over = sp.Mul(sp.Min(A, 0), sp.Pow(_sympy_number(alpha), -1, evaluate=False), evaluate=False)
    return {
        "range": Interval(-alpha, math.inf),
        "kinks": (
            Kink(
                at=0.0,
                order=2,
                accepted=(0.0, 1.0 / alpha),
                note="f' = exp(z / alpha) is continuous at 0 (1 on both sides) but f'' jumps "
                "from 1/alpha to 0",
            ),
        ),
        "inverse": sp.Piecewise(
            (_sympy_number(alpha) * log1p(sp.Max(a_over, -1)), A < 0), (A, True)
        ),
    }


def _hard_sigmoid_at(v: dict[str, float]) -> dict:
    edge = 0.5 / v["slope"]
    note = "subdifferential [0, slope]; PyTorch returns 0 (the slope on the open interval)"
    return {
        "kinks": (
            Kink(at=-edge, order=1, accepted=(0.0, v["slope"]), note=note),
            Kink(at=edge, order=1, accepted=(0.0, v["slope"]), note=note),
        )
    }


def _sympy_number(v: float) -> sp.Expr:
    return sp.Integer(int(v)) if float(v).is_integer() else sp.Float(v)


def _leaky_at(v: dict[str, float]) -> dict:
    slope = v["slope"]
    # a / slope kept as a division (SymPy would fold it into 100.0 a, another rounding)
    a_over_slope = sp.Mul(A, sp.Pow(sp.Float(slope), -1, evaluate=False), evaluate=False)
    return {
        "inverse": sp.Piecewise((a_over_slope, A < 0), (A, True)),
        "kinks": (
            Kink(
                at=0.0,
                order=1,
                accepted=(slope, 1.0),
                note="subdifferential [slope, 1]; PyTorch returns the slope, JAX 1",
            ),
        ),
    }


def _elu_at(v: dict[str, float]) -> dict:
    alpha = v["alpha"]
    if alpha == 1.0:
        kink = Kink(
            at=0.0,
            order=2,
            accepted=(0.0, alpha),
            note="f' is continuous at 0 (alpha = 1) but f'' jumps from alpha to 0",
        )
    else:
        kink = Kink(
            at=0.0,
            order=1,
            accepted=(min(alpha, 1.0), max(alpha, 1.0)),
            note="f' jumps from alpha to 1 at 0 (alpha != 1): the subdifferential is between them",
        )
    return {
        "range": Interval(-alpha, math.inf),
        "kinks": (kink,),
    }


ACTIVATIONS: tuple[Activation, ...] = (
    Activation(
        name="identity",
        formula="f(z) = z",
        expr=Z,
        range=REALS,
        output_derivative=sp.Integer(1),
        inverse=A,
    ),
    Activation(
        name="step",
        formula="f(z) = 1 if z >= 0 else 0  (Heaviside)",
        expr=sp.Piecewise((0, Z < 0), (1, True)),
        range=closed(0.0, 1.0),
        kinks=(
            Kink(
                at=0.0,
                order=0,
                accepted=(0.0, 0.0),
                note="jump: the derivative is a Dirac delta at 0; the conventional value 0 "
                "is required, so the step gives no gradient anywhere",
            ),
        ),
        output_derivative=sp.Integer(0),
        inverse=A - sp.Rational(1, 2),  # a in {0, 1} -> -1/2 or 1/2, off the jump
        stability="f(0) may be 0, 1/2 or 1 (numpy.heaviside's second argument); "
        "the spec value is 1.",
    ),
    Activation(
        name="sigmoid",
        formula="f(z) = 1 / (1 + exp(-z))",
        expr=1 / (1 + sp.exp(-Z)),
        range=open_(0.0, 1.0),
        output_derivative=A * (1 - A),
        inverse=sp.log(A) - log1p(-A),
        informal=("logistic",),
        stability="Evaluate exp(-|z|) only: z >= 0: 1/(1+exp(-z)); z < 0: exp(z)/(1+exp(z)). "
        "The textbook 1/(1+exp(-z)) overflows (with a warning) for z < -709 in float64 "
        "and z < -88 in float32.",
    ),
    Activation(
        name="tanh",
        formula="f(z) = tanh(z)",
        expr=sp.tanh(Z),
        range=open_(-1.0, 1.0),
        output_derivative=1 - A**2,
        inverse=sp.atanh(A),
        stability="Use the library tanh; (e^z - e^-z)/(e^z + e^-z) overflows.",
    ),
    Activation(
        name="relu",
        formula="f(z) = max(0, z)",
        expr=sp.Piecewise((0, Z < 0), (Z, True)),
        range=Interval(0.0, math.inf, lo_closed=True),
        kinks=(
            Kink(
                at=0.0,
                order=1,
                accepted=(0.0, 1.0),
                note="subdifferential [0, 1]; JAX and PyTorch return 0",
            ),
        ),
        output_derivative=sp.Piecewise((0, A <= 0), (1, True)),
        inverse=A,  # a = 0 -> z = 0, where the spec's relu' is 0
    ),
    Activation(
        name="leaky_relu",
        formula="f(z) = z if z >= 0 else slope z",
        expr=sp.Piecewise((_slope * Z, Z < 0), (Z, True)),
        range=REALS,
        params=(SLOPE,),
        at=_leaky_at,
        output_derivative=sp.Piecewise((_slope, A < 0), (1, True)),
        inverse=sp.Piecewise((A / _slope, A < 0), (A, True)),
    ),
    Activation(
        name="softplus",
        formula="f(z) = log(1 + exp(beta z)) / beta",
        expr=sp.log(1 + sp.exp(_beta * Z)) / _beta,
        range=open_(0.0, math.inf),
        params=(SOFTPLUS_BETA,),
        output_derivative=1 - sp.exp(-_beta * A),
        # log(expm1(beta a)) / beta without overflow for large a
        inverse=A + sp.log(-expm1(-_beta * A)) / _beta,
        stability="Evaluate as max(z, 0) + log1p(exp(-|beta z|)) / beta (= logaddexp(beta z, "
        "0) / beta): log(1+exp(beta z)) overflows for beta z > 709 (float64) / 88 (float32).  "
        "PyTorch's softplus is the identity beyond beta z > threshold = 20 (a relative error "
        "up to 2e-9: a warning in float64).",
    ),
    Activation(
        name="elu",
        formula="f(z) = z if z >= 0 else alpha (exp(z) - 1)",
        expr=sp.Piecewise((_alpha * (sp.exp(Z) - 1), Z < 0), (Z, True)),
        range=Interval(-ELU_ALPHA, math.inf),
        params=(ELU_ALPHA_PARAM,),
        at=_elu_at,
        output_derivative=sp.Piecewise((A + _alpha, A < 0), (1, True)),
        # min(a, 0): the unused branch never sees log1p of a large positive a / alpha;
        # max(., -1): a saturated a = -alpha divided by alpha may round below -1 (alpha != 1)
        inverse=sp.Piecewise((log1p(sp.Max(sp.Min(A, 0) / _alpha, -1)), A < 0), (A, True)),
        stability="Use expm1(z) on the negative branch and evaluate it only on z < 0: "
        "exp of a large positive z overflows in the unused branch (and NaNs its gradient).",
    ),
    Activation(
        name="gelu",
        formula="f(z) = z/2 (1 + erf(z / sqrt(2)))",
        expr=Z / 2 * (1 + sp.erf(Z / sp.sqrt(2))),
        range=Interval(-0.17, math.inf),
        stability="Exact form with erf (not the tanh approximation); for z << 0 use "
        "z/2 erfc(-z/sqrt 2) to avoid cancellation in 1 + erf.",
    ),
    Activation(
        name="swish",
        formula="f(z) = z sigmoid(z)",
        expr=Z / (1 + sp.exp(-Z)),
        range=Interval(-0.28, math.inf),
        aliases=("silu",),
        stability="Use the stable sigmoid; z/(1+exp(-z)) overflows for z < -709.",
    ),
    Activation(
        name="gelu_tanh",
        formula="f(z) = z/2 (1 + tanh(sqrt(2/pi) (z + 0.044715 z^3)))  (GELU, tanh approximation)",
        expr=Z / 2 * (1 + sp.tanh(sp.sqrt(2 / sp.pi) * (Z + _gelu_cubic * Z**3))),
        range=Interval(-0.171, math.inf),
        stability="Evaluate 1 + tanh(u) as 2 sigmoid(2u) = 2 / (1 + exp(-2u)) with the stable "
        "sigmoid: 1 + tanh(u) cancels to 0 for z << 0.  z^3 overflows float32 beyond "
        "|z| ~ 7e12 (float16: 40); beyond |z| = 30 the sigmoid is exactly 0 or 1 in every "
        "dtype, so u may be computed on clip(z, -30, 30).  A different function from the exact "
        "gelu (up to 5e-4 apart): declare the name of the one computed.",
    ),
    Activation(
        name="selu",
        formula="f(z) = lambda z if z >= 0 else lambda alpha (exp(z) - 1),  "
        f"lambda = {SELU_LAMBDA_DIGITS}, alpha = {SELU_ALPHA_DIGITS}",
        expr=_selu_lambda * sp.Piecewise((_selu_alpha * (sp.exp(Z) - 1), Z < 0), (Z, True)),
        range=Interval(-SELU_LAMBDA * SELU_ALPHA, math.inf),
        constants={"lambda": SELU_LAMBDA, "alpha": SELU_ALPHA},
        kinks=(
            Kink(
                at=0.0,
                order=1,
                accepted=(SELU_LAMBDA, SELU_LAMBDA * SELU_ALPHA),
                note="f' jumps from lambda alpha (1.7581) to lambda (1.0507); PyTorch and JAX "
                "return lambda alpha at 0",
            ),
        ),
        stability="As elu: expm1 on the negative branch, evaluated on min(z, 0) only.",
    ),
    Activation(
        name="mish",
        formula="f(z) = z tanh(softplus(z))",
        # tanh(log(1 + e^z)) written as the rational function of e^z it equals: the log form
        # makes the mpmath truth lose the e^z term of f' for z << 0 (1 + e^-656 rounds to 1
        # at any precision it tries), this one has no cancellation anywhere.
        expr=Z * sp.exp(Z) * (sp.exp(Z) + 2) / (sp.exp(2 * Z) + 2 * sp.exp(Z) + 2),
        range=Interval(-0.309, math.inf),
        stability="softplus in its stable form (max(z, 0) + log1p(exp(-|z|))); sech^2 of it "
        "as 4 e / (1 + e)^2, e = exp(-2 softplus(z)), not 1 - tanh^2 (which rounds to 0).",
    ),
    Activation(
        name="softsign",
        formula="f(z) = z / (1 + |z|)",
        expr=Z / (1 + sp.Abs(Z)),
        range=open_(-1.0, 1.0),
        kinks=(
            Kink(
                at=0.0,
                order=2,
                accepted=(-2.0, 2.0),
                note="f' = 1/(1 + |z|)^2 is continuous at 0 but f'' jumps from 2 to -2",
            ),
        ),
        stability="Divide twice (1/(1 + |z|)/(1 + |z|)) so (1 + |z|)^2 cannot overflow.",
    ),
    Activation(
        name="hard_tanh",
        formula="f(z) = max(-1, min(1, z))",
        expr=sp.Piecewise((-1, Z < -1), (1, Z > 1), (Z, True)),
        range=closed(-1.0, 1.0),
        kinks=(
            Kink(
                at=-1.0,
                order=1,
                accepted=(0.0, 1.0),
                note="subdifferential [0, 1]; PyTorch returns 0, JAX 1",
            ),
            Kink(
                at=1.0,
                order=1,
                accepted=(0.0, 1.0),
                note="subdifferential [0, 1]; PyTorch returns 0, JAX 1",
            ),
        ),
    ),
    Activation(
        name="relu6",
        formula="f(z) = min(max(0, z), 6)",
        expr=_relu6,
        range=closed(0.0, 6.0),
        kinks=(
            Kink(
                at=0.0,
                order=1,
                accepted=(0.0, 1.0),
                note="subdifferential [0, 1]; PyTorch and JAX return 0",
            ),
            Kink(
                at=6.0,
                order=1,
                accepted=(0.0, 1.0),
                note="subdifferential [0, 1]; PyTorch and JAX return 0",
            ),
        ),
    ),
    Activation(
        name="hard_swish",
        formula="f(z) = z relu6(z + 3) / 6  (0 for z <= -3, z for z >= 3)",
        expr=sp.Piecewise((0, Z < -3), (Z, Z > 3), (Z * (Z + 3) / 6, True)),
        range=Interval(-0.375, math.inf, lo_closed=True),
        kinks=(
            Kink(
                at=-3.0,
                order=1,
                accepted=(-0.5, 0.0),
                note="f' jumps from 0 to -1/2; PyTorch returns -1/2",
            ),
            Kink(
                at=3.0,
                order=1,
                accepted=(1.0, 1.5),
                note="f' jumps from 3/2 to 1; PyTorch returns 3/2",
            ),
        ),
        stability="The definition of PyTorch and Keras 3 (Howard et al. 2019, MobileNetV3). "
        "Older code (Keras 2, some tutorials) computed z hard_sigmoid(z) with slope 0.2, "
        "z clip(0.2 z + 0.5, 0, 1): a different function, which fails here.",
    ),
    Activation(
        name="log_sigmoid",
        formula="f(z) = log(sigmoid(z)) = -log(1 + exp(-z)) = -softplus(-z)",
        expr=-sp.log(1 + sp.exp(-Z)),
        range=open_(-math.inf, 0.0),
        stability="Evaluate as -softplus(-z) = min(z, 0) - log1p(exp(-|z|)): log(sigmoid(z)) "
        "gives -inf once sigmoid underflows (z < -745 in float64, -103 in float32) and "
        "log(1 + exp(-z)) overflows; f'(z) = sigmoid(-z) with the stable sigmoid.",
    ),
    Activation(
        name="celu",
        formula="f(z) = max(0, z) + min(0, alpha (exp(z / alpha) - 1))",
        expr=sp.Piecewise((_celu_alpha * (sp.exp(Z / _celu_alpha) - 1), Z < 0), (Z, True)),
        range=Interval(-CELU_ALPHA.default, math.inf),
        params=(CELU_ALPHA,),
        at=_celu_at,
        output_derivative=sp.Piecewise((A / _celu_alpha + 1, A < 0), (1, True)),
        stability="alpha expm1(min(z, 0) / alpha) on the negative branch (as elu): exp of a "
        "large positive z / alpha in the unused branch overflows and NaNs the gradient.  "
        "PyTorch's F.celu and jax.nn.celu; alpha = 1 is elu (with alpha = 1).",
    ),
    Activation(
        name="hard_sigmoid",
        formula="f(z) = clip(slope z + 1/2, 0, 1)  (slope 1/6: relu6(z + 3) / 6)",
        expr=sp.Piecewise(
            (0, _hs_slope * Z + sp.Rational(1, 2) < 0),
            (1, _hs_slope * Z + sp.Rational(1, 2) > 1),
            (_hs_slope * Z + sp.Rational(1, 2), True),
        ),
        range=closed(0.0, 1.0),
        params=(HARD_SIGMOID_SLOPE,),
        at=_hard_sigmoid_at,
        stability="Exact as written.  The default slope 1/6 is PyTorch's F.hardsigmoid, "
        "jax.nn.hard_sigmoid and Keras 3 (relu6(z + 3) / 6, kinks at +-3); Keras 2 and "
        "TensorFlow's hard_sigmoid is slope 0.2 (kinks at +-2.5): declare "
        'PARAMS = {"hard_sigmoid": {"slope": 0.2}}.  hard_swish is z hard_sigmoid(z) at '
        "slope 1/6 only.",
    ),
    Activation(
        name="softmax",
        formula="f(z)_i = exp(z_i) / sum_j exp(z_j)   (along the last axis)",
        expr=None,
        vector_expr=_softmax_components,
        jacobian_output=_softmax_jacobian,
        range=open_(0.0, 1.0),
        stability="Subtract max(z) before exp; the Jacobian is diag(a) - a a^T.",
    ),
    Activation(
        name="log_softmax",
        formula="f(z)_i = z_i - log sum_j exp(z_j)   (along the last axis)",
        expr=None,
        vector_expr=_log_softmax_components,
        jacobian_output=_log_softmax_jacobian,
        range=open_(-math.inf, 0.0),
        stability="(z - m) - log1p(sum_{j != argmax} exp(z_j - m)), m the row max: never "
        "log(softmax(z)), which is -inf once a probability underflows.  The Jacobian is "
        "I - 1 softmax(z)^T (row i: e_i - softmax(z)), not softmax's diag(a) - a a^T; its "
        "vector-Jacobian product is g - softmax(z) sum(g).",
    ),
)
