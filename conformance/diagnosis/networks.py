"""Mistakes in a network's gradient, minibatches and training step.

The candidate's ``grads`` on a fixed batch is compared with the correct gradient (the
reference network's, :func:`gradspec.reference.mlp.backprop`, when ARCH is declared; else
Ridders' numeric gradient of the candidate's own loss, for small networks) and with each
wrong variant: the whole gradient scaled (sign, 2, 1/2, N), the reference backward pass with
one chain-rule factor substituted (:class:`gradspec.reference.mlp.Variant`: a wrong dC/da from
``costs.WRONG_DC_DA`` at the output, a wrong da/dz from ``activations.FACTORS`` at one layer),
and single tensors transposed or not summed over the batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from gradspec import spec
from gradspec.conformance.diagnosis import activations, costs
from gradspec.conformance.diagnosis.catalog import Signature
from gradspec.conformance.diagnosis.matching import close, matches, same
from gradspec.conformance.engine import numeric
from gradspec.conformance.engine.calling import Namespace
from gradspec.conformance.targets.networks import NetTarget
from gradspec.reference import mlp
from gradspec.reference.mlp import Arch, Variant

#: Larger parameter vectors are not differenced element by element (the numeric gradient and
#: the coarse-difference variants cost a few loss calls per parameter).
MAX_NUMERIC_PARAMS = 400

#: First step of the numeric gradient: small, so that ReLU units rarely change sides.
NUMERIC_STEP = 1e-4

#: Steps of the difference quotients tried as the coarse numeric gradient.
COARSE_STEPS = (1e-2, 1e-3, 1e-4, 1e-5, 1e-6)

Params = dict[str, np.ndarray]


def probe_inputs(
    target: NetTarget, params: Params, dtype: np.dtype, n: int = 5
) -> tuple[np.ndarray, np.ndarray]:
    """A fixed batch (X, Y) of ``n`` examples, targets from the declared cost's domain
    (one-hot for a simplex, binary for [0, 1], else uniform in [-1, 1])."""
    if target.io is not None:  # keys not in the reference layout (a torch module, a pytree)
        n_in, n_out = target.io
    else:
        keys = sorted(k for k in params if k.startswith("W"))
        n_in, n_out = np.shape(params[keys[0]])[0], np.shape(params[keys[-1]])[1]
    rng = np.random.default_rng(11)
    X = rng.uniform(-1, 1, (n, n_in))
    c = spec.cost(target.cost_name) if target.cost_name else None
    if c is not None and c.target_simplex:
        Y = np.eye(n_out)[rng.integers(0, n_out, n)]
    elif c is not None and c.target_domain.lo == 0.0 and c.target_domain.hi == 1.0:
        Y = rng.integers(0, 2, (n, n_out)).astype(float)
    else:
        Y = rng.uniform(-1, 1, (n, n_out))
    return X.astype(dtype), Y.astype(dtype)


def _flat(g: object, keys: list[str]) -> np.ndarray | None:
    """The tensors ``keys`` of ``g`` as one float64 vector (None: not a dict of those)."""
    if not isinstance(g, dict) or set(keys) - set(g):
        return None
    try:
        return mlp.flatten({k: g[k] for k in keys})[0]
    except (TypeError, ValueError):
        return None


def _coarse_grads(loss: Callable[[Params], float], p: Params, h: float) -> dict[str, Params]:
    """The mistake itself: the one-step difference quotients of ``loss`` in every parameter,
    ``{"central": (L(p + h e) - L(p - h e)) / 2h, "forward": (L(p + h e) - L(p)) / h}``.
    Both from one set of evaluations (they share L(p + h e)): 2n + 1 loss calls, not 3n + 1."""
    central, forward = {}, {}
    base = loss(p)
    for k in sorted(p):
        c, f = np.zeros(np.shape(p[k])), np.zeros(np.shape(p[k]))
        for idx in np.ndindex(c.shape):
            q = {kk: np.array(v, dtype=np.float64, copy=True) for kk, v in p.items()}
            q[k][idx] += h
            up = loss(q)
            f[idx] = (up - base) / h
            q[k][idx] -= 2 * h
            c[idx] = (up - loss(q)) / (2 * h)
        central[k], forward[k] = c, f
    return {"central": central, "forward": forward}


# --- the probe ---------------------------------------------------------------------------


@dataclass
class Probe:
    """A network's parameters (``init_params(0)``) and a fixed batch."""

    target: NetTarget
    dtype: np.dtype
    params: Params

    @property
    def ns(self) -> Namespace:
        return self.target.ns

    @property
    def arch(self) -> Arch | None:
        return self.target.arch

    @property
    def keys(self) -> list[str]:
        return sorted(self.params)

    def batch(self, n: int = 5) -> tuple[np.ndarray, np.ndarray]:
        """The probe batch of ``n`` examples."""
        return probe_inputs(self.target, self.params, self.dtype, n)


@dataclass
class GradientProbe(Probe):
    """The candidate's gradient on the batch, the correct one and the layer deltas."""

    X: np.ndarray
    Y: np.ndarray
    got: Params  # the candidate's grads, float64
    correct: Params
    deltas: list[np.ndarray] | None  # per layer, with ARCH
    #: reference-layout parameters -> the network's own (``target.param_map``): the probe
    #: works in the reference layout, the network is called in its own
    to_own: Callable[[Params], Params] | None = None

    @property
    def p64(self) -> Params:
        return {k: v.astype(np.float64) for k, v in self.params.items()}

    @property
    def small(self) -> bool:
        return sum(v.size for v in self.params.values()) <= MAX_NUMERIC_PARAMS

    def loss(self, q: Params) -> float:
        """The candidate's loss at float64 parameters ``q``, computed in the dtype."""
        q = self.to_own(q) if self.to_own else q
        return float(
            self.ns.call("loss", {k: v.astype(self.dtype) for k, v in q.items()}, self.X, self.Y)
        )

    def _flat_loss(self) -> tuple[np.ndarray, Callable[[np.ndarray], float], list]:
        """(the flat float64 parameters, the loss of a flat vector, the layout)."""
        flat, layout = mlp.flatten(self.p64)
        return flat, lambda x: self.loss(mlp.unflatten(x, layout)), layout

    def own_gradient(self) -> Params:
        """Ridders' numeric gradient of the candidate's own loss."""
        flat, loss, layout = self._flat_loss()
        g, _ = numeric.gradient(loss, flat, NUMERIC_STEP)
        return mlp.unflatten(g, layout)

    def may_be_own_gradient(self, gf: np.ndarray) -> bool:
        """False when the flat gradient ``gf`` is certainly not within 1e-5 (relative, as
        ``close``) of the gradient of the candidate's own loss: one Ridders slope along a
        Rademacher direction v (~6-20 loss calls) instead of the whole numeric gradient
        (up to 2 NTAB n).  Within 1e-5, |<gf - grad, v>| <= 2e-5 max|grad| sum|v_i|; this
        says False only at 100 times that (max|grad| taken as max|gf|) plus four times the
        difference's own error estimate, so a gradient that close is never turned away."""
        flat, loss, _ = self._flat_loss()
        if gf.size != flat.size:  # not even the shape of a gradient (close() says False too)
            return False
        v = numeric.random_direction(flat.size, np.random.default_rng(7))
        d = numeric.directional(loss, flat, gf, v, NUMERIC_STEP)
        allowed = 2e-3 * float(np.max(np.abs(gf))) * flat.size + 4 * d.error_estimate
        return abs(d.analytic - d.numeric) <= allowed

    @property
    def location(self) -> str:
        wrong = [k for k in self.keys if not same(self.got.get(k), self.correct[k], self.dtype)]
        wrong = [self.target.own_name(k) for k in wrong]
        return f"wrong tensors: {', '.join(wrong) if wrong else 'none alone'}"

    def is_variant(self, g: Params) -> bool:
        """Is the candidate's gradient ``g`` rather than the correct one?"""
        gf, wf, cf = _flat(self.got, self.keys), _flat(g, self.keys), _flat(self.correct, self.keys)
        return gf is not None and wf is not None and matches(gf, wf, cf, self.dtype, slack=1e4)

    def backprop(self, variant: Variant) -> Params:
        """The reference network's gradient on the batch with ``variant``'s factors."""
        X64, Y64 = self.X.astype(np.float64), self.Y.astype(np.float64)
        return mlp.backprop(self.arch, self.p64, X64, Y64, variant)[0]


@dataclass
class StepProbe(Probe):
    """One ``train_step`` on the batch: parameters, gradient and result as flat vectors."""

    lr: float
    before: np.ndarray
    grads: np.ndarray
    new: np.ndarray


def _step_probe(target: NetTarget, dtype: np.dtype, p: Params) -> StepProbe | None:
    # grads and train_step are called once: a candidate keeping state would drift otherwise.
    lr = 0.1
    X, Y = probe_inputs(target, p, dtype)
    g = target.ns.call("grads", p, X, Y)
    new = target.ns.call("train_step", p, X, Y, lr)
    keys = sorted(p)
    before, grads, after = _flat(p, keys), _flat(g, keys), _flat(new, keys)
    if before is None or grads is None or after is None:
        return None
    return StepProbe(target, dtype, p, lr, before, grads, after)


def probe(target: NetTarget, dtype: np.dtype, kind: str) -> Probe | None:
    """The probe of a failing ``kind`` check of ``target`` (None: nothing to diagnose)."""
    p = target.init_params(0, dtype)
    if kind == "gd_update":
        return _step_probe(target, dtype, p)
    if kind != "derivative":
        return Probe(target, dtype, p)
    X, Y = probe_inputs(target, p, dtype)
    G = target.ns.call("grads", p, X, Y)
    if not isinstance(G, dict):
        return None
    G = {k: np.asarray(v, dtype=np.float64) for k, v in G.items()}
    pmap, to_own = target.param_map, None
    if pmap is not None:  # diagnose in the reference layout, call the network in its own
        if set(G) != set(p):
            return None
        p, G, to_own = pmap.to_reference(p), pmap.to_reference(G), pmap.from_reference
    gp = GradientProbe(target, dtype, p, X, Y, G, {}, None, to_own)
    if target.arch is not None:
        X64, Y64 = X.astype(np.float64), Y.astype(np.float64)
        gp.correct, gp.deltas = mlp.backprop(target.arch, gp.p64, X64, Y64)
    elif gp.small:
        gp.correct = gp.own_gradient()
    else:
        return None
    return gp


# --- gradient detectors ------------------------------------------------------------------


def _scaled(factor: Callable[[int], float], says: str, reductions: tuple) -> Callable:
    """The detector of the whole gradient times ``factor(N)`` (for the given reductions;
    None: no ARCH declares it)."""

    def detect(p: GradientProbe) -> Iterator[str]:
        red = p.arch.reduction if p.arch else None
        if red in reductions:
            N = p.X.shape[0]
            if p.is_variant({k: v * factor(N) for k, v in p.correct.items()}):
                yield f"{says.format(N=N)} ({p.location})"

    return detect


_ANY = ("mean", "sum", None)


def _output_dC_da(sig: str) -> Callable[[GradientProbe], Iterator[str]]:
    """The detector of wrong dC/da ``sig`` at the output layer (elementwise output pairs)."""
    f = costs.WRONG_DC_DA[sig]

    def detect(p: GradientProbe) -> Iterator[str]:
        arch = p.arch
        if arch is None or spec.activation(arch.out_activation).vector:
            return
        if spec.cost(arch.cost).target_simplex or not f.applies(spec.cost(arch.cost)):
            return
        where = f"output layer {arch.n_layers - 1}, chain-rule factor dC/da of {arch.cost}"
        g = p.backprop(Variant(dC_da=lambda a, y: f.formula(arch.cost, a, y)))
        if p.is_variant(g):
            yield f"{where}: {f.in_network} ({p.location})"

    return detect


def _layer_factor(sig: str) -> Callable[[GradientProbe], Iterator[str]]:
    """The detector of wrong da/dz ``sig`` at any one layer (elementwise activations)."""

    def detect(p: GradientProbe) -> Iterator[str]:
        arch = p.arch
        if arch is None:
            return
        for layer, name in enumerate(arch.layer_activations):
            if spec.activation(name).vector:
                continue
            act = activations.Reference.of(name)
            role = "output" if layer == arch.n_layers - 1 else "hidden"
            where = f"layer {layer} ({role}, {name}), chain-rule factor da/dz"
            for text, factor in activations.layer_factors(act, sig):
                if p.is_variant(p.backprop(Variant(da_dz={layer: factor}))):
                    yield f"{where} {text} ({p.location})"

    return detect


def _transposed(p: GradientProbe) -> Iterator[str]:
    for k in p.keys:
        gk, ck = p.got.get(k), p.correct[k]
        if gk is None or not k.startswith("W"):
            continue
        if gk.shape == ck.T.shape and same(gk.T, ck, p.dtype) and not same(gk, ck, p.dtype):
            yield (
                f"grads[{k!r}] is the transpose of the weight gradient (shape {gk.shape}; "
                f"expected {ck.shape}: a_prev.T @ delta)"
            )


def _bias_not_summed(p: GradientProbe) -> Iterator[str]:
    if p.deltas is None:
        return
    for k in p.keys:
        gk, ck = p.got.get(k), p.correct[k]
        if gk is None or not k.startswith("b"):
            continue
        layer = int(k[1:])
        d = p.deltas[layer]
        for how, w in (
            ("one row per example, not summed", d),
            ("only the first example's delta", d[0]),
            ("the mean over the batch instead of the sum", d.mean(axis=0)),
        ):
            if gk.shape == w.shape and not same(gk, ck, p.dtype) and same(gk, w, p.dtype):
                yield f"grads[{k!r}] is {how} (layer {layer})"
                break


def _declared(p: GradientProbe) -> Iterator[str]:
    if p.arch is None or not p.small:
        return
    gf, cf = _flat(p.got, p.keys), _flat(p.correct, p.keys)
    if gf is None or close(gf, cf, 1e-5) or not p.may_be_own_gradient(gf):
        return
    of = _flat(p.own_gradient(), p.keys)
    if of is not None and close(gf, of, 1e-5):
        yield (
            "grads is the exact gradient of loss, but loss is not the network ARCH declares "
            f"({p.location}): another activation, parameter, cost or reduction"
        )


def _coarse(p: GradientProbe) -> Iterator[str]:
    if not p.small:
        return
    for h in COARSE_STEPS:
        found = False
        for kind, g in _coarse_grads(p.loss, p.p64, h).items():
            if p.is_variant(g):
                found = True
                yield f"grads is a {kind} difference of loss with step h = {h:g} ({p.location})"
        if found:
            return


# --- minibatch and train_step detectors -------------------------------------------------


def _short_minibatch(p: Probe) -> Iterator[str]:
    X, Y = p.batch(n=7)
    bs = 3
    got = p.ns.call("minibatch_grads", p.params, X, Y, bs)
    if not isinstance(got, list | tuple) or len(got) != 3:
        return
    last = p.ns.call("grads", p.params, X[6:], Y[6:])
    want = {k: np.asarray(v, np.float64) for k, v in last.items()}
    if (p.arch.reduction if p.arch else "mean") != "mean":
        return
    gf = _flat(got[2], p.keys)
    wf = _flat({k: v / bs for k, v in want.items()}, p.keys)
    if gf is not None and matches(gf, wf, _flat(want, p.keys), p.dtype, slack=1e4):
        yield (
            "minibatch_grads divides the last batch "
            f"(1 example of 7, batch size {bs}) by {bs}, not by its true size 1"
        )


def _train_step(wrong: Callable[[np.ndarray, np.ndarray, float], np.ndarray], says: str):
    """The detector of ``train_step`` returning ``wrong(P, G, lr)`` instead of P - lr G."""

    def detect(p: StepProbe) -> Iterator[str]:
        if matches(
            p.new, wrong(p.before, p.grads, p.lr), p.before - p.lr * p.grads, p.dtype, slack=1e4
        ):
            yield f"train_step returns {says}"

    return detect


_MB = frozenset({"minibatch"})
_GD = frozenset({"gd_update"})

ENTRIES: tuple[Signature, ...] = (
    Signature(
        "sign_flipped", "network", _scaled(lambda N: -1, "grads returns minus the gradient", _ANY)
    ),
    Signature(
        "mean_without_1_over_n",
        "network",
        _scaled(
            lambda N: N,
            "grads of the mean loss are not divided by the batch size N = {N}",
            ("mean", None),
        ),
    ),
    Signature(
        "extra_1_over_n",
        "network",
        _scaled(
            lambda N: 1 / N,
            "grads of the summed loss are divided by the batch size N = {N}",
            ("sum", None),
        ),
    ),
    Signature(
        "factor2_extra", "network", _scaled(lambda N: 2, "grads are twice the gradient", _ANY)
    ),
    Signature(
        "factor2_missing", "network", _scaled(lambda N: 0.5, "grads are half the gradient", _ANY)
    ),
    *(
        Signature(sig, "network", _output_dC_da(sig))
        for sig in costs.WRONG_DC_DA  # the output delta from a wrong dC/da
    ),
    Signature(
        "activation_derivative_omitted",
        "network",
        _layer_factor("activation_derivative_omitted"),
        "the activation derivative factor da/dz left out",
    ),
    *(
        Signature(sig, "network", _layer_factor(sig))
        for sig in (
            "derivative_taken_twice",
            "input_form_applied_to_a",
            "output_form_applied_to_z",
            "tanh_der_one_minus_a",
            "wrong_leaky_slope",
        )
    ),
    Signature(
        "transposed_weight_gradient",
        "network",
        _transposed,
        "weight gradient transposed (delta.T @ a_prev)",
    ),
    Signature(
        "bias_not_summed",
        "network",
        _bias_not_summed,
        "bias gradient not summed over the batch (per-example rows, one example, or a mean)",
    ),
    Signature("declared_function_differs", "network", _declared, fallback=True),
    Signature("coarse_numeric_derivative", "network", _coarse, fallback=True),
    Signature(
        "short_minibatch_nominal_size",
        "network",
        _short_minibatch,
        "the last, short minibatch divided by the nominal batch size",
        kinds=_MB,
    ),
    Signature(
        "train_step_sign",
        "network",
        _train_step(lambda P, G, lr: P + lr * G, "params + lr * grads"),
        "train_step adds lr * grads instead of subtracting",
        kinds=_GD,
    ),
    Signature(
        "train_step_lr_ignored",
        "network",
        _train_step(lambda P, G, lr: P - G, "params - grads"),
        "train_step ignores the learning rate",
        kinds=_GD,
    ),
)
