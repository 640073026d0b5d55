"""Mistakes in an activation's value and derivative, and the wrong derivative factors a
network's backward pass can use (:data:`FACTORS`, substituted per layer by ``networks``).

The candidate is called on a fixed probe (eight points away from every kink) and compared
with each wrong formula evaluated there with the reference implementation.  Which formulas
apply comes from the registry: the output form where the entry has ``output_derivative``,
the input form applied to the output only where it differs from f' on the probe (not for
piecewise-linear entries, whose f'(f(z)) equals f'(z)), the slope parameter of a leaky
entry; a mistake about one function (tanh's ``1 - a``) names that function in its factor.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from gradspec import spec
from gradspec.conformance.diagnosis import own, params
from gradspec.conformance.diagnosis.catalog import Signature
from gradspec.conformance.diagnosis.matching import close, matches
from gradspec.conformance.targets.namespace import ActivationBinding, Namespace
from gradspec.reference import activations as ref

#: The probe: clear of every kink of the registry (0, +-1, +-3, 6) and of saturation.
PROBE = (-2.5, -1.7, -0.9, -0.3, 0.4, 1.1, 1.9, 2.6)

#: Negative-side slopes tried for a leaky activation inside a network.
WRONG_SLOPES = (0.0, 0.1, 0.2, 0.3, 0.5, 1.0)

_VALUE = frozenset({"value"})


@dataclass(frozen=True)
class Reference:
    """An elementwise registry activation as the reference implements it."""

    entry: spec.Activation
    f: Callable[[np.ndarray], np.ndarray] = field(repr=False)
    der: Callable[[np.ndarray], np.ndarray] = field(repr=False)
    der_output: Callable[[np.ndarray], np.ndarray] | None = field(repr=False)

    @classmethod
    def of(cls, name: str) -> Reference:
        """The reference of ``name``, a registry name or a bound id (its functions called at
        the bound values)."""
        entry = spec.activation(name)

        def fn(suffix: str) -> Callable[[np.ndarray], np.ndarray]:
            f = getattr(ref, entry.name + suffix)
            return functools.partial(f, **entry.values) if entry.explicit else f

        out = fn("_der_output") if entry.output_derivative else None
        return cls(entry, fn(""), fn("_der"), out)

    @property
    def name(self) -> str:
        return self.entry.name

    def input_form_on_output_differs(self) -> bool:
        """f'(f(z)) differs from f'(z) on the probe: applying the input form to the output
        a = f(z) is a visible mistake (it is not for identity, step, relu, leaky relu)."""
        z = np.asarray(PROBE)
        return not np.allclose(self.der(self.f(z)), self.der(z))


@dataclass(frozen=True)
class WrongFactor:
    """A wrong formula for da/dz, ``formula(reference, z, a)`` with a = f(z).

    ``as_derivative``: how it reads when a derivative function returns it (after the
    function's name and role); ``in_layer``: when a network layer's backward pass uses it
    (after the layer).  Empty: not looked for there.  ``wrt``: the only convention under
    which a derivative function can make it; ``applies``: which activations can.  Both texts
    may use ``{name}`` and ``{NAME}``.
    """

    formula: Callable[[Reference, np.ndarray, np.ndarray], np.ndarray]
    as_derivative: str = ""
    in_layer: str = ""
    wrt: str | None = None
    applies: Callable[[Reference], bool] = lambda act: True


#: signature id -> the wrong factor it names (the order is the catalog's).
FACTORS: dict[str, WrongFactor] = {
    "sign_flipped": WrongFactor(lambda r, z, a: -r.der(z), "returns -f'"),
    "factor2_extra": WrongFactor(lambda r, z, a: 2 * r.der(z), "returns 2 f'"),
    "factor2_missing": WrongFactor(lambda r, z, a: r.der(z) / 2, "returns f'/2"),
    "forward_as_derivative": WrongFactor(lambda r, z, a: a, "returns f(z) itself"),
    "derivative_taken_twice": WrongFactor(
        lambda r, z, a: r.der(z) * r.der(z), "returns f'(z)**2 (applied twice)", "applied twice"
    ),
    "output_form_applied_to_z": WrongFactor(
        lambda r, z, a: r.der_output(z),
        "is written in terms of the output a = {name}(z) but is called with z: "
        "declare {NAME}_DER_WRT = 'output' or compute it from {name}(z)",
        "computed from z with the output form (e.g. a*(1-a) evaluated at z)",
        wrt="input",
        applies=lambda r: r.der_output is not None,
    ),
    "input_form_applied_to_a": WrongFactor(
        lambda r, z, a: r.der(a),
        "computes f'(x) of its argument, but {NAME}_DER_WRT = 'output' says it receives "
        "a = f(z): f' applied to the output",
        "computed as {name}'(a), f' applied to the output a instead of z",
        wrt="output",
        applies=Reference.input_form_on_output_differs,
    ),
    "tanh_der_one_minus_a": WrongFactor(
        lambda r, z, a: 1 - a,
        "computes 1 - a, not 1 - a**2",
        "computed as 1 - a instead of 1 - a**2",
        applies=lambda r: r.name == "tanh",
    ),
    "activation_derivative_omitted": WrongFactor(
        lambda r, z, a: np.ones_like(z), in_layer="left out"
    ),
}


def layer_factors(act: Reference, sig: str) -> Iterator[tuple[str, Callable]]:
    """(text, factor(z, a)) for every wrong da/dz of ``act`` that signature ``sig`` names in a
    network layer."""
    if sig == "wrong_leaky_slope":
        if "slope" in act.entry.values:
            spec_slope = act.entry.values["slope"]
            for s in WRONG_SLOPES:
                yield (
                    f"uses slope {s:g} for z < 0 (spec {spec_slope:g})",
                    lambda z, a, s=s: np.where(z < 0, s, 1.0),
                )
        return
    f = FACTORS[sig]
    if f.in_layer and f.applies(act):
        text = f.in_layer.format(name=act.name, NAME=act.name.upper())
        yield text, lambda z, a: f.formula(act, z, a)


# --- the probe ---------------------------------------------------------------------------


@dataclass
class Probe:
    """One activation binding called on the probe, with the truth there.

    ``got`` is the candidate's value (kind value) or derivative (kind derivative, called with
    z or with a = f(z) as its convention says); ``truth`` the reference's.
    """

    ns: Namespace
    b: ActivationBinding
    dtype: np.dtype
    ref: Reference
    z: np.ndarray  # the probe in the dtype
    z64: np.ndarray
    a64: np.ndarray  # the reference f(z)
    got: object
    truth: np.ndarray

    @property
    def where(self) -> str:
        return f"{self.b.der} ({self.ref.name}'; chain-rule factor da/dz)"

    def own_forward(self, x: np.ndarray) -> np.ndarray:
        """The candidate's forward at float64 ``x``, computed in the dtype."""
        return np.asarray(self.ns.call(self.b.forward, x.astype(self.dtype)), np.float64)


def probe(ns: Namespace, b: ActivationBinding, dtype: np.dtype, kind: str) -> Probe | None:
    """The probe of a failing ``kind`` check of ``b`` (None: nothing to diagnose)."""
    if b.entry.vector:
        return None
    r = Reference.of(b.entry.id)
    z = np.asarray(PROBE).astype(dtype)
    z64 = z.astype(np.float64)
    a64 = r.f(z64)
    if kind == "value":
        if not b.forward:
            return None
        return Probe(ns, b, dtype, r, z, z64, a64, ns.call(b.forward, z), a64)
    if not b.der:
        return None
    if b.der_wrt == "output":
        arg = np.asarray(ns.call(b.forward, z), dtype=dtype) if b.forward else a64.astype(dtype)
    else:
        arg = z
    return Probe(ns, b, dtype, r, z, z64, a64, ns.call(b.der, arg), r.der(z64))


# --- detectors -----------------------------------------------------------------------------


def _declared_on_value(p: Probe) -> Iterator[str]:
    if not (p.b.der and p.b.der_wrt == "input"):
        return
    if own.self_consistent(p.own_forward, p.z64, p.truth, p.ns.call(p.b.der, p.z), p.dtype):
        yield own.differs_text(p.b.forward, p.ref.name)


def _sign_on_value(p: Probe) -> Iterator[str]:
    fn = p.b.forward
    if matches(p.got, p.ref.f(-p.z64), p.truth, p.dtype):
        yield f"{fn}(z) computes f(-z): the sign inside is flipped (e.g. exp(z) for exp(-z))"
    if matches(p.got, -p.truth, p.truth, p.dtype):
        yield f"{fn}(z) returns -f(z)"


def _factor(sig: str) -> Callable[[Probe], Iterator[str]]:
    """The detector of wrong factor ``sig`` in a derivative function."""
    f = FACTORS[sig]

    def detect(p: Probe) -> Iterator[str]:
        if f.wrt not in (None, p.b.der_wrt) or not f.applies(p.ref):
            return
        if matches(p.got, f.formula(p.ref, p.z64, p.a64), p.truth, p.dtype):
            text = f.as_derivative.format(name=p.ref.name, NAME=p.ref.name.upper())
            yield f"{p.where} {text}"

    return detect


def _leaky_slope(p: Probe) -> Iterator[str]:
    # The slope is read off the candidate (one constant for z < 0), not tried from a list.
    if "slope" not in p.ref.entry.values:
        return
    g = np.asarray(p.got, np.float64)
    neg = g[p.z64 < 0]
    slope = p.ref.entry.values["slope"]
    if (
        neg.size
        and np.ptp(neg) < 1e-6
        and abs(neg[0] - slope) > 1e-6
        and matches(g, np.where(p.z64 < 0, neg[0], 1.0), p.truth, p.dtype)
    ):
        yield f"{p.where}: slope {neg[0]:g} for z < 0, spec {slope:g}"


def _others(p: Probe) -> Iterator[Reference]:
    """Every other elementwise registry activation, as the reference implements it."""
    for entry in spec.ACTIVATIONS:
        if not entry.vector and entry.name != p.ref.name:
            yield Reference.of(entry.name)


def _mixup_on_value(p: Probe) -> Iterator[str]:
    # A real function under the wrong registry name: the value is another entry's exactly.
    for other in _others(p):
        if matches(p.got, other.f(p.z64), p.truth, p.dtype):
            yield f"{p.b.forward}(z) computes {other.name}, not the declared {p.ref.name}"


def _mixup_on_derivative(p: Probe) -> Iterator[str]:
    if p.b.der_wrt != "input":
        return
    for other in _others(p):
        if matches(p.got, other.der(p.z64), p.truth, p.dtype):
            yield f"{p.where} is {other.name}', not {p.ref.name}'"


def _declared_on_derivative(p: Probe) -> Iterator[str]:
    forward_in_z = p.b.forward and p.b.der_wrt == "input"
    if forward_in_z and own.self_consistent(p.own_forward, p.z64, p.a64, p.got, p.dtype):
        yield own.differs_text(p.b.forward, p.ref.name)


def _coarse(p: Probe) -> Iterator[str]:
    # Only a right forward can be the function the quotient was taken of.
    if p.b.forward and p.b.der_wrt == "input" and close(p.own_forward(p.z64), p.a64, dtype=p.dtype):
        how = own.coarse_quotient(p.own_forward, p.z64, p.truth, p.got, p.dtype)
        if how:
            yield f"{p.where} is a {how}, not the exact f'"


def _param_on_value(p: Probe) -> Iterator[str]:
    if p.b.forward:
        f = getattr(ref, p.ref.name)
        yield from params.detect(
            p.b.entry, p.got, lambda v: f(p.z64, **v), p.dtype, f"{p.b.forward}(z)"
        )


def _param_on_derivative(p: Probe) -> Iterator[str]:
    if p.b.der_wrt == "input":
        f = getattr(ref, f"{p.ref.name}_der")
        yield from params.detect(p.b.entry, p.got, lambda v: f(p.z64, **v), p.dtype, p.where)


ENTRIES: tuple[Signature, ...] = (
    Signature(
        "parameter_mismatch",
        "activation",
        _param_on_value,
        "the registry's function at another value of one of its parameters than the one "
        "checked (declared in PARAMS, else the default): the value the code uses is "
        "estimated by a bounded fit and named only when the code passes at it",
        kinds=_VALUE,
    ),
    Signature("parameter_mismatch", "activation", _param_on_derivative),
    Signature(
        "declared_function_differs",
        "activation",
        _declared_on_value,
        "self-consistent, but not the declared function: the derivative is the exact "
        "derivative of the implementation's own function (or grads the exact gradient of "
        "its own loss), and that function is not the one declared (another parameter, "
        "approximation, definition or reduction)",
        kinds=_VALUE,
    ),
    Signature(
        "sign_flipped",
        "activation",
        _sign_on_value,
        "the sign of the derivative/gradient is flipped",
        kinds=_VALUE,
    ),
    Signature("sign_flipped", "activation", _factor("sign_flipped")),
    Signature("factor2_extra", "activation", _factor("factor2_extra")),
    Signature("factor2_missing", "activation", _factor("factor2_missing")),
    Signature(
        "forward_as_derivative",
        "activation",
        _factor("forward_as_derivative"),
        "the activation's value returned as its derivative",
    ),
    Signature(
        "derivative_taken_twice",
        "activation",
        _factor("derivative_taken_twice"),
        "the activation derivative applied twice (e.g. the fused a - y of sigmoid + log loss "
        "multiplied by sigma' again)",
    ),
    Signature(
        "output_form_applied_to_z",
        "activation",
        _factor("output_form_applied_to_z"),
        "sigma' written in terms of the output a (a*(1-a), 1-a**2) but applied to z",
    ),
    Signature(
        "input_form_applied_to_a",
        "activation",
        _factor("input_form_applied_to_a"),
        "sigma' written in terms of z but applied to the output a (sigma'(sigma(z)))",
    ),
    Signature(
        "tanh_der_one_minus_a",
        "activation",
        _factor("tanh_der_one_minus_a"),
        "tanh' written as 1 - a instead of 1 - a**2",
    ),
    Signature(
        "wrong_leaky_slope",
        "activation",
        _leaky_slope,
        "leaky ReLU derivative with the wrong negative slope",
    ),
    Signature(
        "registry_function_mixup",
        "activation",
        _mixup_on_value,
        "another registry function under this name (log_sigmoid declared as sigmoid, selu as "
        "elu, gelu_tanh as gelu): the library call is right, the declared name is not",
        kinds=_VALUE,
    ),
    Signature("registry_function_mixup", "activation", _mixup_on_derivative),
    Signature("declared_function_differs", "activation", _declared_on_derivative, fallback=True),
    Signature(
        "coarse_numeric_derivative",
        "activation",
        _coarse,
        "a finite difference with a coarse step posing as the exact derivative",
        fallback=True,
    ),
)
