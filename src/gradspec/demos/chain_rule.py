"""The chain rule, factor by factor, for one example: a chain of single neurons and a wider net.

For one dense layer with z = w a(L-1) + b, a = f(z) and cost C:

    dC/dw = dC/da * da/dz * dz/dw        (dz/dw = a(L-1))
    dC/db = dC/da * da/dz * dz/db        (dz/db = 1)
    dC/da(L-1) = sum over j of dC/da_j * da_j/dz_j * dz_j/da(L-1)   (dz_j/da(L-1) = w_j)

A neuron of layer L-1 feeds every neuron j of layer L, so its sensitivity sums over all those
paths.  The demo prints every factor (rich tables), multiplies them by hand, and checks the
products against :func:`gradspec.reference.mlp.grads` (backprop) and against central
differences of the loss.  Finally the gradient of the *mean* cost over a training set is shown
to be the average of the per-example gradients.

Tolerances (normwise relative differences, see :func:`rel_diff`): products vs backprop agree
to 1e-12 (the same floating-point products, only summed in another order: a few ulps); backprop
vs central differences to 1e-6 (step h = eps^(1/3) ~ 6e-6 balances the O(h^2) truncation error
against the eps/h rounding error, both ~1e-11 absolute here, on gradients of order 1e-3 .. 1).
"""

from __future__ import annotations

import io
import itertools
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from gradspec.reference import chain, mlp

from ._common import DemoResult, out_dir

Params = dict[str, np.ndarray]

#: Agreement required between the hand-multiplied factors and backprop (see module docstring).
RTOL_PRODUCT = 1e-12
#: Agreement required between backprop and central differences (see module docstring).
RTOL_NUMERIC = 1e-6
H = float(np.cbrt(np.finfo(np.float64).eps))

CHAIN = mlp.Arch((1, 1, 1, 1), "sigmoid", cost="squared", reduction="sum", bias=True)
WIDE = mlp.Arch((3, 4, 3, 2), "sigmoid", cost="squared", reduction="sum", bias=True)
WIDE_MEAN = mlp.Arch((3, 4, 3, 2), "sigmoid", cost="squared", reduction="mean", bias=True)


def central_diff(arch: mlp.Arch, params: Params, X: np.ndarray, Y: np.ndarray) -> Params:
    """dLoss/dparam for every entry by central differences (loss(p+h) - loss(p-h)) / 2h."""
    out: Params = {}
    for key, value in params.items():
        g = np.zeros_like(value)
        for idx in np.ndindex(value.shape):
            plus = {k: v.copy() for k, v in params.items()}
            minus = {k: v.copy() for k, v in params.items()}
            h = H * max(1.0, abs(value[idx]))
            plus[key][idx] += h
            minus[key][idx] -= h
            g[idx] = (mlp.loss(arch, plus, X, Y) - mlp.loss(arch, minus, X, Y)) / (2 * h)
        out[key] = g
    return out


def rel_diff(a: np.ndarray, b: np.ndarray) -> float:
    """Normwise relative difference of two arrays: max |a - b| / max(|a|, |b|).

    Relative to the largest entry, not entry by entry: a gradient entry of 1e-5 next to ones
    of 1e-1 carries the same absolute central-difference error, so a per-entry ratio would
    measure the step size, not the gradient.
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    den = max(float(np.max(np.abs(a))), float(np.max(np.abs(b))), 1e-300)
    return float(np.max(np.abs(a - b)) / den)


def _params(arch: mlp.Arch, seed: int) -> Params:
    """Glorot weights from the reference initialiser, plus non-zero biases (so dz/db shows)."""
    p = mlp.init_params(arch, seed)
    rng = np.random.default_rng(seed + 1)
    for k in p:
        if k.startswith("b"):
            p[k] = rng.normal(0.0, 0.5, size=p[k].shape)
    return p


def _factors(arch: mlp.Arch, params: Params, x: np.ndarray, y: np.ndarray) -> list:
    """chain.layer_factors of every layer for one example, output layer first."""
    layers = mlp.forward(arch, params, x[None, :])
    out = []
    upstream = None
    for layer in reversed(range(arch.n_layers)):
        a_prev = layers[layer - 1][1][0] if layer > 0 else x
        kw = {"cost": arch.cost, "y": y} if upstream is None else {"upstream": upstream}
        f = chain.layer_factors(
            arch.layer_activation(layer), a_prev, params[f"W{layer}"], params[f"b{layer}"], **kw
        )
        out.append((layer, f))
        upstream = f.dC_da_prev
    return out


def _fmt(v: np.ndarray | float) -> str:
    arr = np.atleast_1d(np.asarray(v, float))
    return ", ".join(f"{t:+.5f}" for t in arr.ravel())


def _chain_part(seed: int, tables: list, figures: dict) -> None:

    params = _params(CHAIN, seed)
    x, y = np.array([0.8]), np.array([1.0])
    X, Y = x[None, :], y[None, :]
    backprop = mlp.grads(CHAIN, params, X, Y)
    numeric = central_diff(CHAIN, params, X, Y)
    cost = mlp.loss(CHAIN, params, X, Y)

    t = Table(
        title=f"Chain of single neurons, input a(0) = {x[0]}, target y = {y[0]}, "
        f"C = (a(3) - y)^2 = {cost:.6f}",
        caption="factors of each layer L (output first); dz/da(L-1) = w(L)",
    )
    for col in ("L", "a(L-1)", "w(L)", "b(L)", "z(L)", "a(L)"):
        t.add_column(col, justify="right")
    for col in ("dC/da(L)", "da/dz", "dz/dw", "dz/db", "dC/da(L-1)"):
        t.add_column(col, justify="right", style="cyan")
    checks = Table(title="Chain: factor products vs backprop vs central differences")
    for col in ("parameter", "product of factors", "backprop", "numeric", "rel. diff (bp)"):
        checks.add_column(col, justify="right")
    checks.add_column("rel. diff (num)", justify="right")
    worst_bp = worst_num = 0.0
    for layer, f in _factors(CHAIN, params, x, y):
        t.add_row(
            str(layer + 1),
            _fmt(f.a_prev),
            _fmt(f.W),
            _fmt(f.b),
            _fmt(f.z),
            _fmt(f.a),
            _fmt(f.dC_da),
            _fmt(f.da_dz),
            _fmt(chain.dz_dw(f.a_prev)),
            _fmt(chain.dz_db(f.z)),
            _fmt(f.dC_da_prev),
        )
        # the products, written out by hand from the printed factors
        prod_w = f.dC_da * f.da_dz * chain.dz_dw(f.a_prev)
        prod_b = f.dC_da * f.da_dz * chain.dz_db(f.z)
        for name, prod in ((f"W{layer}", prod_w), (f"b{layer}", prod_b)):
            bp, num = backprop[name].ravel(), numeric[name].ravel()
            r_bp, r_num = rel_diff(prod, bp), rel_diff(bp, num)
            worst_bp, worst_num = max(worst_bp, r_bp), max(worst_num, r_num)
            label = f"{'w' if name[0] == 'W' else 'b'}({layer + 1})"
            checks.add_row(label, _fmt(prod), _fmt(bp), _fmt(num), f"{r_bp:.1e}", f"{r_num:.1e}")
    tables += [t, checks]
    figures.update(chain_rel_product_vs_backprop=worst_bp, chain_rel_backprop_vs_numeric=worst_num)


def _wide_part(seed: int, tables: list, figures: dict) -> None:

    params = _params(WIDE, seed + 10)
    rng = np.random.default_rng(seed + 20)
    x, y = rng.normal(size=3), np.array([1.0, 0.0])
    X, Y = x[None, :], y[None, :]
    backprop = mlp.grads(WIDE, params, X, Y)
    numeric = central_diff(WIDE, params, X, Y)
    summary = Table(
        title=f"Network {'-'.join(map(str, WIDE.sizes))} (sigmoid, squared error), "
        f"x = [{_fmt(x)}], y = [{_fmt(y)}]",
        caption="dC/da(L-1)_k summed by hand over the paths k -> j; dC/dw_kj = "
        "a(L-1)_k * da_j/dz_j * dC/da_j",
    )
    for col in ("L", "neuron j", "a_j", "dC/da_j", "da_j/dz_j", "dz_j/db_j", "dC/db_j"):
        summary.add_column(col, justify="right")
    checks = Table(title="Network: factor products vs backprop vs central differences")
    for col in ("layer L", "paths into a(L-1)", "dC/da(L-1) by paths vs W·delta"):
        checks.add_column(col, justify="right")
    for col in ("dC/dW, dC/db: product vs backprop", "backprop vs numeric"):
        checks.add_column(col, justify="right")
    worst_bp = worst_num = worst_paths = 0.0
    for layer, f in _factors(WIDE, params, x, y):
        fan_in, fan_out = f.W.shape
        for j in range(fan_out):
            summary.add_row(
                str(layer + 1) if j == 0 else "",
                str(j),
                f"{f.a[j]:+.5f}",
                f"{f.dC_da[j]:+.5f}",
                f"{f.da_dz[j]:+.5f}",
                "1",
                f"{f.dC_da[j] * f.da_dz[j]:+.5f}",
            )
        # every weight: the product of its three factors
        prod_W = np.empty((fan_in, fan_out))
        for k, j in itertools.product(range(fan_in), range(fan_out)):
            prod_W[k, j] = f.dC_da[j] * f.da_dz[j] * chain.dz_dw(f.a_prev)[k]
        prod_b = f.dC_da * f.da_dz * chain.dz_db(f.z)
        # sensitivity to the previous layer: one term per path k -> j, summed
        by_paths = np.zeros(fan_in)
        for k, j in itertools.product(range(fan_in), range(fan_out)):
            by_paths[k] += chain.dz_da_prev(f.W)[k, j] * f.da_dz[j] * f.dC_da[j]
        r_paths = rel_diff(by_paths, f.dC_da_prev)
        r_bp = max(rel_diff(prod_W, backprop[f"W{layer}"]), rel_diff(prod_b, backprop[f"b{layer}"]))
        r_num = max(rel_diff(backprop[k], numeric[k]) for k in (f"W{layer}", f"b{layer}"))
        worst_bp, worst_num = max(worst_bp, r_bp), max(worst_num, r_num)
        worst_paths = max(worst_paths, r_paths)
        checks.add_row(
            str(layer + 1),
            f"{fan_in} x {fan_out} = {fan_in * fan_out}" if layer > 0 else "(input)",
            f"{r_paths:.1e}" if layer > 0 else "-",
            f"{r_bp:.1e}",
            f"{r_num:.1e}",
        )
    tables += [summary, checks]
    figures.update(
        wide_rel_product_vs_backprop=worst_bp,
        wide_rel_backprop_vs_numeric=worst_num,
        wide_rel_paths_vs_matrix=worst_paths,
    )


def _average_part(seed: int, tables: list, figures: dict, n: int = 8) -> None:

    params = _params(WIDE_MEAN, seed + 10)
    rng = np.random.default_rng(seed + 30)
    X = rng.normal(size=(n, 3))
    Y = rng.uniform(size=(n, 2))
    per_example = [mlp.grads(WIDE_MEAN, params, X[i : i + 1], Y[i : i + 1]) for i in range(n)]
    averaged = {k: np.mean([g[k] for g in per_example], axis=0) for k in params}
    full = mlp.grads(WIDE_MEAN, params, X, Y)
    numeric = central_diff(WIDE_MEAN, params, X, Y)
    t = Table(
        title=f"Mean cost over {n} examples: average of per-example gradients = full gradient"
    )
    for col in ("parameter", "average of per-example", "full-batch backprop", "numeric"):
        t.add_column(col, justify="right")
    for col in ("rel. diff (avg vs full)", "rel. diff (full vs num)"):
        t.add_column(col, justify="right")
    worst_avg = worst_num = 0.0
    for k in params:
        r_avg, r_num = rel_diff(averaged[k], full[k]), rel_diff(full[k], numeric[k])
        worst_avg, worst_num = max(worst_avg, r_avg), max(worst_num, r_num)
        first = (0,) * params[k].ndim
        t.add_row(
            f"{k}{list(first)} of {params[k].size}",
            f"{averaged[k][first]:+.6f}",
            f"{full[k][first]:+.6f}",
            f"{numeric[k][first]:+.6f}",
            f"{r_avg:.1e}",
            f"{r_num:.1e}",
        )
    tables.append(t)
    figures.update(mean_rel_average_vs_full=worst_avg, mean_rel_full_vs_numeric=worst_num)


def run(out: str | Path = "gradspec-out/chain-rule", seed: int = 0, progress: bool = False):
    """Build the tables, check every product, write them to ``chain_rule.txt``."""

    t0 = time.perf_counter()
    folder = out_dir(out)
    result = DemoResult("chain-rule")
    tables: list = []
    _chain_part(seed, tables, result.figures)
    _wide_part(seed, tables, result.figures)
    _average_part(seed, tables, result.figures)
    f = result.figures
    f["products_match_backprop"] = bool(
        max(f["chain_rel_product_vs_backprop"], f["wide_rel_product_vs_backprop"]) <= RTOL_PRODUCT
        and f["wide_rel_paths_vs_matrix"] <= RTOL_PRODUCT
        and f["mean_rel_average_vs_full"] <= RTOL_PRODUCT
    )
    f["backprop_matches_numeric"] = bool(
        max(
            f["chain_rel_backprop_vs_numeric"],
            f["wide_rel_backprop_vs_numeric"],
            f["mean_rel_full_vs_numeric"],
        )
        <= RTOL_NUMERIC
    )
    console = Console(file=io.StringIO(), record=True, width=140)
    for t in tables:
        console.print(t)
    path = folder / "chain_rule.txt"
    path.write_text(console.export_text())
    result.paths.append(path)
    result.data["tables"] = tables
    result.lines += [
        "chain of single neurons: max rel. diff product vs backprop "
        f"{f['chain_rel_product_vs_backprop']:.1e}, backprop vs numeric "
        f"{f['chain_rel_backprop_vs_numeric']:.1e}",
        "3-4-3-2 network: product vs backprop "
        f"{f['wide_rel_product_vs_backprop']:.1e}, sum over paths vs W·delta "
        f"{f['wide_rel_paths_vs_matrix']:.1e}, backprop vs numeric "
        f"{f['wide_rel_backprop_vs_numeric']:.1e}",
        "mean over 8 examples: average of per-example gradients vs full gradient "
        f"{f['mean_rel_average_vs_full']:.1e}, full vs numeric {f['mean_rel_full_vs_numeric']:.1e}",
        f"tolerances: products {RTOL_PRODUCT:g} (same products, other summation order), "
        f"numeric {RTOL_NUMERIC:g} (central differences, h = eps^(1/3))",
        "all checks pass"
        if f["products_match_backprop"] and f["backprop_matches_numeric"]
        else "SOME CHECKS FAIL",
    ]
    result.seconds = time.perf_counter() - t0
    return result
