"""The catalog of known wrong formulas, and naming the ones a failing candidate matches.

Run only after a check failed.  For the failing function (or network) the candidate is
called again on a fixed probe input, and its output is compared with every known-wrong
formula evaluated on the same input with the reference implementation.  A formula *matches*
when the candidate is much closer to it than to the truth (``_match``); each match is named,
with its place: which function, which layer, which parameter tensor, which chain-rule factor.
Diagnoses read ``"<signature id>: <what and where>"``; :data:`SIGNATURES` lists them all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gradspec import spec

#: Every signature the catalog knows: id -> the classic mistake it names.
SIGNATURES: dict[str, str] = {
    "error_as_derivative": "the error value C(a, y) (e.g. 0.5*(a-y)**2) used in place of its "
    "derivative dC/da",
    "sign_flipped": "the sign of the derivative/gradient is flipped",
    "factor2_missing": "a factor 2 is missing (d/da (a-y)**2 written as a - y)",
    "factor2_extra": "an extra factor 2 (d/da 0.5*(a-y)**2 written as 2*(a-y))",
    "mean_without_1_over_n": "mean reduction, but the gradient is not divided by N",
    "extra_1_over_n": "sum reduction, but the gradient is divided by N",
    "output_form_applied_to_z": "sigma' written in terms of the output a (a*(1-a), 1-a**2) but "
    "applied to z",
    "input_form_applied_to_a": "sigma' written in terms of z but applied to the output a "
    "(sigma'(sigma(z)))",
    "derivative_taken_twice": "the activation derivative applied twice (e.g. the fused a - y of "
    "sigmoid + log loss multiplied by sigma' again)",
    "activation_derivative_omitted": "the activation derivative factor da/dz left out",
    "tanh_der_one_minus_a": "tanh' written as 1 - a instead of 1 - a**2",
    "wrong_leaky_slope": "leaky ReLU derivative with the wrong negative slope",
    "forward_as_derivative": "the activation's value returned as its derivative",
    "fused_delta_as_cost_derivative": "the fused output delta a - y (sigmoid + log loss) used as "
    "dC/da of the log loss",
    "transposed_weight_gradient": "weight gradient transposed (delta.T @ a_prev)",
    "bias_not_summed": "bias gradient not summed over the batch (per-example rows, one example, "
    "or a mean)",
    "short_minibatch_nominal_size": "the last, short minibatch divided by the nominal batch size",
    "coarse_numeric_derivative": "a finite difference with a coarse step posing as the exact "
    "derivative",
    "stateful_gradients": "gradients that change between identical calls (state kept, "
    "accumulation)",
    "input_mutated": "an argument modified in place",
    "cost_sum_instead_of_mean": "mean reduction declared, the cost returns the sum (or the "
    "converse)",
    "train_step_sign": "train_step adds lr * grads instead of subtracting",
    "train_step_lr_ignored": "train_step ignores the learning rate",
    "declared_function_differs": "self-consistent, but not the declared function: the "
    "derivative is the exact derivative of the implementation's own function (or grads the "
    "exact gradient of its own loss), and that function is not the one declared (another "
    "parameter, approximation, definition or reduction)",
}

_STEPS = (1e-1, 3e-2, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6)


def _d(sig: str, text: str) -> str:
    return f"{sig}: {text}"


def _match(c: Any, w: Any, t: Any, dtype: np.dtype, *, slack: float = 1e3, ratio=0.02) -> bool:
    """Is ``c`` (candidate) the wrong formula ``w`` rather than the truth ``t``?"""
    try:
        c, w, t = (np.asarray(x, dtype=np.float64) for x in (c, w, t))
    except (TypeError, ValueError):
        return False
    if c.shape != w.shape or w.shape != t.shape:
        return False
    ok = np.isfinite(c) & np.isfinite(w) & np.isfinite(t)
    if not ok.any() or (np.isfinite(w) != np.isfinite(c)).any():
        return False
    scale = max(float(np.max(np.abs(t[ok]))), float(np.max(np.abs(w[ok]))), 1e-300)
    tol = slack * float(np.finfo(dtype).eps) * scale
    d_w = float(np.max(np.abs(c[ok] - w[ok])))
    d_t = float(np.max(np.abs(c[ok] - t[ok])))
    return d_t > tol and d_w <= max(tol, ratio * d_t)


def _ref(name: str) -> Callable:
    from gradspec.reference import activations, costs

    return getattr(activations, name, None) or getattr(costs, name)


# ----------------------------------------------------------------- activations


def _act_probe(entry: spec.Activation, dt: np.dtype) -> np.ndarray:
    z = np.array([-2.5, -1.7, -0.9, -0.3, 0.4, 1.1, 1.9, 2.6])
    return z.astype(dt)


def _fine_derivative(f: Callable, x: np.ndarray) -> np.ndarray:
    """Richardson-extrapolated central difference (O(h^4)) of an elementwise ``f``."""
    h = 1e-3 * np.maximum(1.0, np.abs(x))
    d1 = (f(x + h) - f(x - h)) / (2 * h)
    d2 = (f(x + h / 2) - f(x - h / 2)) / h
    return (4 * d2 - d1) / 3


def _close(c: Any, w: Any, rtol: float = 1e-6) -> bool:
    c, w = np.asarray(c, np.float64), np.asarray(w, np.float64)
    if c.shape != w.shape:
        return False
    return bool(np.all(np.abs(c - w) <= rtol * (np.abs(w) + np.max(np.abs(w)) + 1e-300)))


def _self_consistent(fwd: Callable, x: np.ndarray, spec_value: np.ndarray, der: Any) -> bool:
    """The forward is not the spec's, and ``der`` is its exact derivative: the implementation
    is a different (declared-wrongly) function, not a wrong derivative."""
    with np.errstate(all="ignore"):
        own = fwd(x)
        return not _close(own, spec_value) and _close(der, _fine_derivative(fwd, x), 1e-5)


def _numeric_variants(f: Callable, x: np.ndarray, truth: np.ndarray, c, dt) -> str | None:
    for h in _STEPS:
        for kind, w in (
            ("central", (f(x + h) - f(x - h)) / (2 * h)),
            ("forward", (f(x + h) - f(x)) / h),
        ):
            if _match(c, w, truth, dt, ratio=0.2):
                return f"{kind} difference with step h = {h:g}"
    return None


def diagnose_activation(ns, b, dt: np.dtype, check: str) -> list[str]:
    name = b.entry.name
    if b.entry.vector:
        return []
    z = _act_probe(b.entry, dt)
    z64 = z.astype(np.float64)
    out: list[str] = []
    f, fd = _ref(name), _ref(f"{name}_der")
    if check == "value" and b.forward:
        got = ns.call(b.forward, z)
        t = f(z64)
        if b.der and b.der_wrt == "input":

            def fwd(x: np.ndarray) -> np.ndarray:
                return np.asarray(ns.call(b.forward, x.astype(dt)), np.float64)

            if _self_consistent(fwd, z64, t, ns.call(b.der, z)):
                out.append(_d("declared_function_differs", _differs_text(b.forward, name)))
        if _match(got, f(-z64), t, dt):
            out.append(
                _d(
                    "sign_flipped",
                    f"{b.forward}(z) computes f(-z): the sign inside is "
                    "flipped (e.g. exp(z) for exp(-z))",
                )
            )
        if _match(got, -t, t, dt):
            out.append(_d("sign_flipped", f"{b.forward}(z) returns -f(z)"))
        return out
    if not b.der:
        return out
    if b.der_wrt == "output":
        arg = np.asarray(ns.call(b.forward, z), dtype=dt) if b.forward else f(z64).astype(dt)
    else:
        arg = z
    got = ns.call(b.der, arg)
    t = fd(z64)
    where = f"{b.der} ({name}'; chain-rule factor da/dz)"
    a = f(z64)
    variants: list[tuple[str, str, np.ndarray]] = [
        ("sign_flipped", f"{where} returns -f'", -t),
        ("factor2_extra", f"{where} returns 2 f'", 2 * t),
        ("factor2_missing", f"{where} returns f'/2", t / 2),
        ("forward_as_derivative", f"{where} returns f(z) itself", a),
        ("derivative_taken_twice", f"{where} returns f'(z)**2 (applied twice)", t * t),
    ]
    der_out = getattr(_ref_module(), f"{name}_der_output", None)
    if b.der_wrt == "input" and der_out is not None and name != "identity":
        variants.append(
            (
                "output_form_applied_to_z",
                f"{where} is written in terms of the output a = {name}(z) but is called with z: "
                f"declare {name.upper()}_DER_WRT = 'output' or compute it from {name}(z)",
                der_out(z64),
            )
        )
    if b.der_wrt == "output" and name not in ("identity", "relu", "step", "leaky_relu"):
        variants.append(
            (
                "input_form_applied_to_a",
                f"{where} computes f'(x) of its argument, but {name.upper()}_DER_WRT = 'output' "
                "says it receives a = f(z): f' applied to the output",
                fd(a),
            )
        )
    if name == "tanh":
        variants.append(("tanh_der_one_minus_a", f"{where} computes 1 - a, not 1 - a**2", 1 - a))
    for sig, text, w in variants:
        if _match(got, w, t, dt):
            out.append(_d(sig, text))
    if name == "leaky_relu":
        g = np.asarray(got, np.float64)
        neg = g[z64 < 0]
        slope = b.entry.params.get("slope", 0.01)
        if (
            neg.size
            and np.ptp(neg) < 1e-6
            and abs(neg[0] - slope) > 1e-6
            and _match(g, np.where(z64 < 0, neg[0], 1.0), t, dt)
        ):
            out.append(
                _d("wrong_leaky_slope", f"{where}: slope {neg[0]:g} for z < 0, spec {slope:g}")
            )
    if not out and b.forward and b.der_wrt == "input":

        def fwd(x: np.ndarray) -> np.ndarray:
            return np.asarray(ns.call(b.forward, x.astype(dt)), np.float64)

        if _self_consistent(fwd, z64, a, got):
            out.append(_d("declared_function_differs", _differs_text(b.forward, name)))
        elif _close(fwd(z64), a):  # a right forward, a difference quotient as derivative
            how = _numeric_variants(fwd, z64, t, got, dt)
            if how:
                out.append(_d("coarse_numeric_derivative", f"{where} is a {how}, not the exact f'"))
    return out


def _differs_text(fn: str, name: str) -> str:
    return (
        f"{fn} and its derivative agree with each other, but {fn} is not the spec's {name}: "
        "another parameter, approximation or definition is implemented than declared"
    )


def _ref_module():
    from gradspec.reference import activations

    return activations


# ----------------------------------------------------------------- costs


def _cost_probe(c: spec.Cost, dt: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    shape = (2, 4)
    if c.name in ("log_loss",):
        a = rng.uniform(0.1, 0.9, shape)
        y = rng.integers(0, 2, shape).astype(float)
    elif c.name == "log_loss_logits":
        a = rng.uniform(-2, 2, shape)
        y = rng.integers(0, 2, shape).astype(float)
    else:
        a = rng.uniform(-2, 2, shape)
        y = rng.uniform(-2, 2, shape)
    return a.astype(dt), y.astype(dt)


def diagnose_cost(ns, cb, dt: np.dtype, check: str) -> list[str]:
    c = cb.entry
    if c.target_simplex or c.vector_expr is not None:
        return []
    a, y = _cost_probe(c, dt)
    a64, y64 = a.astype(np.float64), y.astype(np.float64)
    n = a.size
    red = cb.reduction
    val = _ref(c.name)(a64, y64)
    der = _ref(f"{c.name}_der")(a64, y64)
    out: list[str] = []
    if check == "value" and cb.value:
        got = ns.call(cb.value, a, y)
        t = val if red == "none" else (val.sum() if red == "sum" else val.mean())
        variants = [
            ("sign_flipped", f"{cb.value} returns -C (a minus sign missing)", -t),
            ("factor2_extra", f"{cb.value} returns 2 C", 2 * t),
            ("factor2_missing", f"{cb.value} returns C / 2", t / 2),
        ]
        if red == "mean":
            variants.append(
                ("cost_sum_instead_of_mean", f"{cb.value} returns the sum, not the mean", t * n)
            )
        if red == "sum":
            variants.append(
                ("cost_sum_instead_of_mean", f"{cb.value} returns the mean, not the sum", t / n)
            )
        return [_d(s, txt) for s, txt, w in variants if _match(got, w, t, dt)]
    if not cb.der:
        return out
    got = ns.call(cb.der, a, y)
    k = 1 / n if red == "mean" else 1.0
    t = der * k
    where = f"{cb.der} (dC/da of {c.name}, reduction {red})"
    variants = [
        ("error_as_derivative", f"{where} returns the error value C(a, y) itself", val * k),
        ("error_as_derivative", f"{where} returns the error value C(a, y) itself", val),
        ("sign_flipped", f"{where} returns -dC/da (y - a for a - y)", -t),
        ("factor2_missing", f"{where} misses a factor 2", t / 2),
        ("factor2_extra", f"{where} has an extra factor 2", 2 * t),
    ]
    if red == "mean":
        variants.append(("mean_without_1_over_n", f"{where} is not divided by N = {n}", der))
    else:
        variants.append(("extra_1_over_n", f"{where} is divided by N = {n}", der / n))
    if c.name == "log_loss":
        variants.append(
            (
                "fused_delta_as_cost_derivative",
                f"{where} returns a - y, the fused delta of sigmoid + log loss (dC/dz), not dC/da",
                (a64 - y64) * k,
            )
        )
    for sig, text, w in variants:
        if _match(got, w, t, dt) and _d(sig, text) not in out:
            out.append(_d(sig, text))
    if not out and cb.value:

        def fwd(x: np.ndarray) -> np.ndarray:
            return np.asarray(ns.call(cb.value, x.astype(dt), y), np.float64)

        if red == "none":
            spec_value = _ref(c.name)(a64, y64)
            if _self_consistent(fwd, a64, spec_value, got):
                out.append(_d("declared_function_differs", _differs_text(cb.value, c.name)))
            elif _close(fwd(a64), spec_value):
                how = _numeric_variants(fwd, a64, t, got, dt)
                if how:
                    out.append(_d("coarse_numeric_derivative", f"{where} is a {how}"))
    return out


# ----------------------------------------------------------------- networks


def _arch_parts(arch) -> tuple[list[str], str, str, int]:
    return list(arch.layer_activations), arch.cost, arch.reduction, arch.n_layers


def backprop(arch: dict, p: dict, X: np.ndarray, Y: np.ndarray, mod: dict | None = None):
    """Reference backprop with hooks for wrong variants.  ``mod`` keys: ``("act", li)`` ->
    factor(z, a) replacing da/dz at layer l; ``"dcost"`` -> dC/da(a, y); ``"twice"`` -> layer
    whose factor is applied twice; ``"scale"`` -> multiplier of the reduction.  Returns
    (grads, deltas per layer)."""
    from gradspec.reference import chain

    mod = mod or {}
    acts, cost, red, L = _arch_parts(arch)
    a = np.asarray(X, np.float64)
    A, Z = [a], []
    for li in range(L):
        z = a @ p[f"W{li}"] + p.get(f"b{li}", 0.0)
        a = _ref(acts[li])(z)
        Z.append(z)
        A.append(a)

    def factor(li: int) -> np.ndarray:
        if ("act", li) in mod:
            return mod[("act", li)](Z[li], A[li + 1])
        return chain.da_dz(acts[li], Z[li])

    N = X.shape[0]
    scale = (1.0 / N if red == "mean" else 1.0) * mod.get("scale", 1.0)
    last = L - 1
    if "dcost" in mod or ("act", last) in mod or mod.get("twice") == last:
        delta = mod.get("dcost", lambda a_, y_: chain.dC_da(cost, a_, y_))(A[-1], Y) * factor(last)
        if mod.get("twice") == last:
            delta = chain.delta(acts[last], cost, Z[last], Y) * chain.da_dz(acts[last], Z[last])
    else:
        delta = chain.delta(acts[last], cost, Z[last], Y)
    delta = delta * scale
    g, deltas = {}, {}
    for li in reversed(range(L)):
        deltas[li] = delta
        g[f"W{li}"] = A[li].T @ delta
        if f"b{li}" in p:
            g[f"b{li}"] = delta.sum(axis=0)
        if li:
            f = factor(li - 1)
            if mod.get("twice") == li - 1:
                f = f * chain.da_dz(acts[li - 1], Z[li - 1])
            delta = (delta @ p[f"W{li}"].T) * f
    return g, deltas


def _net_probe(arch: dict | None, p: dict, dt: np.dtype, n: int = 5):
    keys = sorted(k for k in p if k.startswith("W"))
    n_in, n_out = np.shape(p[keys[0]])[0], np.shape(p[keys[-1]])[1]
    rng = np.random.default_rng(11)
    X = rng.uniform(-1, 1, (n, n_in))
    c = spec.cost(arch.cost) if arch else None
    if c is not None and c.target_simplex:
        Y = np.eye(n_out)[rng.integers(0, n_out, n)]
    elif c is not None and c.target_domain.lo == 0.0 and c.target_domain.hi == 1.0:
        Y = rng.integers(0, 2, (n, n_out)).astype(float)
    else:
        Y = rng.uniform(-1, 1, (n, n_out))
    return X.astype(dt), Y.astype(dt)


def _flat(g: dict, keys: list[str]) -> np.ndarray | None:
    try:
        return np.concatenate([np.ravel(np.asarray(g[k], np.float64)) for k in keys])
    except (KeyError, TypeError, ValueError):
        return None


def _numeric_grad(loss: Callable, p: dict, keys: list[str], h: float, kind: str) -> dict:
    out = {}
    base = loss(p) if kind == "forward" else None
    for k in keys:
        g = np.zeros(np.shape(p[k]))
        for idx in np.ndindex(g.shape):
            q = {kk: np.array(v, dtype=np.float64, copy=True) for kk, v in p.items()}
            q[k][idx] += h
            up = loss(q)
            if kind == "forward":
                g[idx] = (up - base) / h
            else:
                q[k][idx] -= 2 * h
                g[idx] = (up - loss(q)) / (2 * h)
        out[k] = g
    return out


def diagnose_network(ns, target, dt: np.dtype, check: str) -> list[str]:
    p = ns.call("init_params", 0)
    p = {k: np.asarray(v) for k, v in p.items()}
    keys = sorted(p)
    arch = target.arch
    X, Y = _net_probe(arch, p, dt)
    if check == "minibatch":
        return _diagnose_minibatch(ns, p, dt, arch)
    if check == "determinism_mutation":
        return _diagnose_state(ns, p, X, Y)
    if check == "gd_update":
        return _diagnose_step(ns, p, X, Y, dt)
    G = ns.call("grads", p, X, Y)
    if not isinstance(G, dict):
        return []
    G = {k: np.asarray(v, dtype=np.float64) for k, v in G.items()}
    p64 = {k: v.astype(np.float64) for k, v in p.items()}
    X64, Y64 = X.astype(np.float64), Y.astype(np.float64)
    N = X.shape[0]

    def cand_loss(q: dict) -> float:
        return float(ns.call("loss", {k: v.astype(dt) for k, v in q.items()}, X, Y))

    n_params = sum(v.size for v in p.values())
    if arch is not None:
        correct, deltas = backprop(arch, p64, X64, Y64)
    elif n_params <= 400:
        g1 = _numeric_grad(cand_loss, p64, keys, 1e-4, "central")
        g2 = _numeric_grad(cand_loss, p64, keys, 5e-5, "central")
        correct = {k: (4 * g2[k] - g1[k]) / 3 for k in keys}  # Richardson: O(h**4)
        deltas = None
    else:
        return []
    cf = _flat(correct, keys)
    out: list[str] = []
    wrong = [k for k in keys if not _same(G.get(k), correct[k], dt)]
    loc = f"wrong tensors: {', '.join(wrong) if wrong else 'none alone'}"

    def try_variant(sig: str, text: str, g: dict) -> None:
        gf = _flat(G, keys)
        wf = _flat(g, keys)
        if gf is not None and wf is not None and _match(gf, wf, cf, dt, slack=1e4):
            item = _d(sig, f"{text} ({loc})")
            if item not in out:
                out.append(item)

    try_variant(
        "sign_flipped", "grads returns minus the gradient", {k: -v for k, v in correct.items()}
    )
    red = arch.reduction if arch else None
    if red in ("mean", None):
        try_variant(
            "mean_without_1_over_n",
            f"grads of the mean loss are not divided by the batch size N = {N}",
            {k: v * N for k, v in correct.items()},
        )
    if red in ("sum", None):
        try_variant(
            "extra_1_over_n",
            f"grads of the summed loss are divided by the batch size N = {N}",
            {k: v / N for k, v in correct.items()},
        )
    try_variant(
        "factor2_extra", "grads are twice the gradient", {k: 2 * v for k, v in correct.items()}
    )
    try_variant(
        "factor2_missing", "grads are half the gradient", {k: v / 2 for k, v in correct.items()}
    )
    if arch is not None:
        out += _arch_variants(arch, p64, X64, Y64, try_variant)
    # tensor-level: transposed weights, bias not summed
    for k in keys:
        gk = G.get(k)
        if gk is None:
            continue
        ck = correct[k]
        transposed = gk.shape == ck.T.shape and _same(gk.T, ck, dt)
        if k.startswith("W") and transposed and not _same(gk, ck, dt):
            out.append(
                _d(
                    "transposed_weight_gradient",
                    f"grads[{k!r}] is the transpose of the "
                    f"weight gradient (shape {gk.shape}; expected {ck.shape}: a_prev.T @ delta)",
                )
            )
        if k.startswith("b") and deltas is not None:
            li = int(k[1:])
            d = deltas[li]
            for how, w in (
                ("one row per example, not summed", d),
                ("only the first example's delta", d[0]),
                ("the mean over the batch instead of the sum", d.mean(axis=0)),
            ):
                if gk.shape == w.shape and not _same(gk, ck, dt) and _same(gk, w, dt):
                    out.append(_d("bias_not_summed", f"grads[{k!r}] is {how} (layer {li})"))
                    break
    if not out and arch is not None and n_params <= 400:
        g1 = _numeric_grad(cand_loss, p64, keys, 1e-4, "central")
        g2 = _numeric_grad(cand_loss, p64, keys, 5e-5, "central")
        own = {k: (4 * g2[k] - g1[k]) / 3 for k in keys}
        gf, of = _flat(G, keys), _flat(own, keys)
        if gf is not None and of is not None and _close(gf, of, 1e-5) and not _close(gf, cf, 1e-5):
            out.append(
                _d(
                    "declared_function_differs",
                    "grads is the exact gradient of loss, but loss is not the network ARCH "
                    f"declares ({loc}): another activation, parameter, cost or reduction",
                )
            )
    if not out and n_params <= 400:
        for h in (1e-2, 1e-3, 1e-4, 1e-5, 1e-6):
            for kind in ("central", "forward"):
                ng = _numeric_grad(cand_loss, p64, keys, h, kind)
                try_variant(
                    "coarse_numeric_derivative",
                    f"grads is a {kind} difference of loss with step h = {h:g}",
                    ng,
                )
            if out:
                break
    return out


def _same(c: Any, w: Any, dt: np.dtype) -> bool:
    try:
        c, w = np.asarray(c, np.float64), np.asarray(w, np.float64)
    except (TypeError, ValueError):
        return False
    if c.shape != w.shape:
        return False
    scale = float(np.max(np.abs(w))) if w.size else 0.0
    return bool(np.all(np.abs(c - w) <= 1e4 * float(np.finfo(dt).eps) * (scale + 1e-300)))


def _arch_variants(arch, p, X, Y, try_variant) -> list[str]:
    from gradspec.reference import chain

    acts, cost, _red, L = _arch_parts(arch)
    cost_val = _ref(cost)
    if acts[-1] != "softmax" and not spec.cost(cost).target_simplex:
        where = f"output layer {L - 1}, chain-rule factor dC/da of {cost}"
        dC = lambda a, y: chain.dC_da(cost, a, y)  # noqa: E731
        for sig, text, fn in (
            (
                "error_as_derivative",
                "the output delta starts from the cost value C(a, y) "
                "instead of dC/da (delta = C * sigma')",
                cost_val,
            ),
            ("factor2_missing", "dC/da misses a factor 2", lambda a, y: dC(a, y) / 2),
            ("factor2_extra", "dC/da has an extra factor 2", lambda a, y: 2 * dC(a, y)),
            ("fused_delta_as_cost_derivative", "dC/da taken as a - y", lambda a, y: a - y),
        ):
            g, _ = backprop(arch, p, X, Y, {"dcost": fn})
            try_variant(sig, f"{where}: {text}", g)
    for li in range(L):
        act = acts[li]
        if act in ("softmax", "identity"):
            continue
        kind = "output" if li == L - 1 else "hidden"
        where = f"layer {li} ({kind}, {act}), chain-rule factor da/dz"
        fd = _ref(f"{act}_der")
        f = _ref(act)
        dout = getattr(_ref_module(), f"{act}_der_output", None)
        mods: list[tuple[str, str, dict]] = [
            ("activation_derivative_omitted", "left out", {("act", li): lambda z, a: 1.0}),
            ("derivative_taken_twice", "applied twice", {"twice": li}),
        ]
        if act in ("sigmoid", "tanh", "softplus", "elu", "gelu", "swish"):
            mods.append(
                (
                    "input_form_applied_to_a",
                    f"computed as {act}'(a), f' applied to the output a instead of z",
                    {("act", li): lambda z, a, fd=fd: fd(a)},
                )
            )
        if dout is not None:
            mods.append(
                (
                    "output_form_applied_to_z",
                    "computed from z with the output form (e.g. a*(1-a) evaluated at z)",
                    {("act", li): lambda z, a, d=dout: d(z)},
                )
            )
        if act == "tanh":
            mods.append(
                (
                    "tanh_der_one_minus_a",
                    "computed as 1 - a instead of 1 - a**2",
                    {("act", li): lambda z, a: 1 - a},
                )
            )
        if act == "leaky_relu":
            for s in (0.0, 0.1, 0.2, 0.3, 0.5, 1.0):
                mods.append(
                    (
                        "wrong_leaky_slope",
                        f"uses slope {s:g} for z < 0 (spec 0.01)",
                        {("act", li): lambda z, a, s=s: np.where(z < 0, s, 1.0)},
                    )
                )
        del f
        for sig, text, mod in mods:
            g, _ = backprop(arch, p, X, Y, mod)
            try_variant(sig, f"{where} {text}", g)
    return []


def _diagnose_minibatch(ns, p: dict, dt: np.dtype, arch) -> list[str]:
    X, Y = _net_probe(arch, p, dt, n=7)
    bs = 3
    got = ns.call("minibatch_grads", p, X, Y, bs)
    if not isinstance(got, list | tuple) or len(got) != 3:
        return []
    keys = sorted(p)
    last = ns.call("grads", p, X[6:], Y[6:])
    want = {k: np.asarray(v, np.float64) for k, v in last.items()}
    red = arch.reduction if arch else "mean"
    if red == "mean":
        gf, wf = _flat(got[2], keys), _flat({k: v / bs for k, v in want.items()}, keys)
        if gf is not None and _match(gf, wf, _flat(want, keys), dt, slack=1e4):
            return [
                _d(
                    "short_minibatch_nominal_size",
                    "minibatch_grads divides the last batch "
                    f"(1 example of 7, batch size {bs}) by {bs}, not by its true size 1",
                )
            ]
    return []


def _diagnose_state(ns, p: dict, X, Y) -> list[str]:
    out = []
    if hasattr(ns, "call_with_args"):
        copies = ({k: np.array(v, copy=True) for k, v in p.items()}, X.copy(), Y.copy())
        _, args = ns.call_with_args("grads", *copies)
        names = ("params", "X", "Y")
        for name, before, after in zip(names, (p, X, Y), args, strict=False):
            if isinstance(before, dict):
                changed = [k for k in before if not np.array_equal(before[k], after.get(k))]
                if changed:
                    out.append(
                        _d(
                            "input_mutated",
                            f"grads modified {name}[{changed[0]!r}] in "
                            "place (update applied inside grads?)",
                        )
                    )
            elif not np.array_equal(before, after):
                out.append(_d("input_mutated", f"grads modified {name} in place"))
    g1 = ns.call("grads", p, X, Y)
    g2 = ns.call("grads", p, X, Y)
    if isinstance(g1, dict) and isinstance(g2, dict):
        diff = [k for k in g1 if not np.array_equal(np.asarray(g1[k]), np.asarray(g2.get(k)))]
        if diff:
            k = diff[0]
            a, b = np.asarray(g1[k], np.float64), np.asarray(g2[k], np.float64)
            how = "changes between identical calls"
            if np.allclose(b, 2 * a, rtol=1e-6) or np.allclose(b - a, a, rtol=1e-6):
                how = "accumulates across calls (never reset to zero)"
            out.append(_d("stateful_gradients", f"grads[{k!r}] {how}"))
    return out


def _diagnose_step(ns, p: dict, X, Y, dt) -> list[str]:
    lr = 0.1
    g = ns.call("grads", p, X, Y)
    new = ns.call("train_step", p, X, Y, lr)
    if not (isinstance(g, dict) and isinstance(new, dict)):
        return []
    keys = sorted(p)
    P, G, NW = _flat(p, keys), _flat(g, keys), _flat(new, keys)
    if P is None or G is None or NW is None:
        return []
    t = P - lr * G
    out = []
    if _match(NW, P + lr * G, t, dt, slack=1e4):
        out.append(_d("train_step_sign", "train_step returns params + lr * grads"))
    if _match(NW, P - G, t, dt, slack=1e4):
        out.append(_d("train_step_lr_ignored", "train_step returns params - grads"))
    return out


def _diagnose_elementwise_state(ns, fn: str, args: tuple) -> list[str]:
    out = []
    if hasattr(ns, "call_with_args"):
        res, after = ns.call_with_args(fn, *(np.array(a, copy=True) for a in args))
        for i, (b, a) in enumerate(zip(args, after, strict=False)):
            if not np.array_equal(np.asarray(b), np.asarray(a), equal_nan=True):
                extra = ""
                if np.shape(a) == np.shape(res) and np.array_equal(np.asarray(a), np.asarray(res)):
                    extra = " (its result is written into the argument: out= or +=)"
                out.append(_d("input_mutated", f"{fn} modified argument {i + 1} in place{extra}"))
    r1, r2 = ns.call(fn, *args), ns.call(fn, *args)
    if not np.array_equal(np.asarray(r1), np.asarray(r2), equal_nan=True):
        out.append(_d("stateful_gradients", f"{fn} returns different values for the same input"))
    return out


# ----------------------------------------------------------------- entry point


def _family(check: str) -> str:
    return check if check in ("determinism_mutation", "minibatch", "gd_update", "value") else "math"


def diagnose_report(target, report) -> None:
    """Fill ``diagnosis`` of every failed result (after the run; a courtesy that never fails).
    Results are matched to what they checked by their subject, never by position."""
    by_act = {b.entry.name: b for b in target.bindings.activations}
    by_cost = {b.entry.name: b for b in target.bindings.costs}
    by_net = {n.label: n for n in target.networks}
    cache: dict[tuple, list[str]] = {}
    for res in report.results:
        if res.status not in ("fail", "error"):
            continue
        group = (
            "activations"
            if res.subject in by_act
            else "costs"
            if res.subject in by_cost
            else "network"
            if res.subject in by_net
            else ""
        )
        key = (group, res.subject, res.dtype, _family(res.check))
        if key not in cache:
            dt = np.dtype(res.dtype)
            try:
                cache[key] = _one(target.ns, group, res, dt, by_act, by_cost, by_net)
            except KeyboardInterrupt:
                raise
            except Exception:  # the candidate misbehaves on the probe: no diagnosis
                cache[key] = []
        res.diagnosis = list(cache[key])


def _one(ns, group, res, dt, by_act, by_cost, by_net) -> list[str]:
    fam = _family(res.check)
    if group == "activations":
        b = by_act[res.subject]
        if fam == "determinism_mutation":
            z = np.linspace(-3, 3, 15, dtype=dt)
            fns = [f for f in (b.forward, b.der) if f]
            return [d for f in fns for d in _diagnose_elementwise_state(ns, f, (z,))]
        return diagnose_activation(ns, b, dt, "value" if fam == "value" else "derivative")
    if group == "costs":
        cb = by_cost[res.subject]
        if fam == "determinism_mutation":
            a, y = _cost_probe(cb.entry, dt)
            fns = [f for f in (cb.value, cb.der) if f]
            return [d for f in fns for d in _diagnose_elementwise_state(ns, f, (a, y))]
        return diagnose_cost(ns, cb, dt, "value" if fam == "value" else "derivative")
    if group == "network":
        return diagnose_network(ns, by_net[res.subject], dt, fam if fam != "value" else "math")
    return []
