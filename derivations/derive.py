"""Symbolic derivatives of every registry entry, with SymPy.

For each activation f: f' and f'' (softmax: the Jacobian, derived for a small fixed K and shown
in its general form); the classic output form f'(z) = g(a) is proved equal to f'(z).
For each cost C(a, y): dC/da and d2C/da2.
For each valid (activation, cost) pair: dC/dz = dC/da(f(z), y) * f'(z) and d2C/dz2.

Two forms are kept per composed derivative:

* ``raw``: the unsimplified chain-rule product.  Ground truth is evaluated from it in mpmath,
  so a wrong simplification can never corrupt the truth (SymPy once turned softplus + log loss
  into log((e^z+1)^(e^z+1)), which evaluates to -0.0 at z = 6).
* ``display``: a readable form.  Where the activation has an output form f'(z) = g(a), the
  product C'(a, y) g(a) is a small rational expression in a and y and simplifies fast and well
  (sigmoid + log loss -> a - y).  Otherwise the factors are shown as they are.

Closed forms claimed by the registry are proved with ``simplify(claim - raw) == 0``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from gradspec.spec import (
    ACTIVATIONS,
    COSTS,
    PAIRS,
    A,
    Activation,
    Cost,
    Pair,
    Y,
    Z,
    closed_form_expr,
)

_a, _y = sp.IndexedBase("a"), sp.IndexedBase("y")
_i, _j = sp.symbols("i j", integer=True)
_k = sp.Symbol("K", integer=True, positive=True)

#: K used to derive softmax and categorical cross-entropy symbolically.  The result is shown
#: per component and holds for every K; truth for other K is derived on demand.
SYMBOLIC_K = 3


@dataclass
class Derived:
    """All derivatives of the registry, keyed by entry name (pairs: ``"act+cost"``)."""

    activations: dict[str, dict[str, sp.Expr]] = field(default_factory=dict)
    costs: dict[str, dict[str, sp.Expr]] = field(default_factory=dict)
    pairs: dict[str, dict[str, sp.Expr]] = field(default_factory=dict)
    closed_forms: dict[str, bool] = field(default_factory=dict)
    output_forms: dict[str, bool] = field(default_factory=dict)


def _simplify_rational(expr: sp.Expr) -> sp.Expr:
    """Simplify an expression in a and y.

    Rational forms simplify fast and well.  Forms with Abs, sign or Piecewise are left as the
    plain product: simplify() turns sign into larger Piecewise-with-Eq forms.
    """
    if expr.has(sp.Piecewise, sp.sign, sp.Abs):
        return expr
    return sp.factor(sp.simplify(expr))


def vector_activation(act: Activation, k: int) -> dict[str, sp.Matrix]:
    """f and its Jacobian for a vector activation with ``k`` components."""
    comps = act.vector_expr(k)
    zs = sp.symbols(f"z0:{k}", real=True)
    return {"f": sp.Matrix(comps), "d1": sp.Matrix(comps).jacobian(sp.Matrix(zs))}


def derive_activation(act: Activation) -> tuple[dict[str, sp.Expr], bool | None]:
    if act.vector:
        out = vector_activation(act, SYMBOLIC_K)
        if act.jacobian_output is None:
            return out, None
        a = sp.symbols(f"a0:{SYMBOLIC_K}", real=True)
        # The Jacobian in output form (softmax: J_ij = a_i (delta_ij - a_j)); proved for K = 3.
        general = sp.Matrix(
            SYMBOLIC_K, SYMBOLIC_K, lambda i, j: act.jacobian_output(a, int(i), int(j))
        )
        subs = dict(zip(a, list(out["f"]), strict=True))
        proved = all(
            sp.simplify(general[i, j].subs(subs) - out["d1"][i, j]) == 0
            for i in range(SYMBOLIC_K)
            for j in range(SYMBOLIC_K)
        )
        out["d1_output"] = general
        return out, proved
    # Symbolic in the entry's parameters (leaky_relu's slope): the truth substitutes values.
    f = act.declared("expr")
    d1 = sp.diff(f, Z)
    d2 = sp.diff(d1, Z)
    # d3 only feeds the error model (the condition of f'' at z), it is not a spec claim.
    out = {"f": f, "d1": d1, "d2": d2, "d3": sp.diff(d2, Z)}
    proved = None
    if act.output_derivative is not None:
        out["d1_output"] = act.declared("output_derivative")
        proved = _output_form_holds(act, d1)
    return out, proved


def _output_form_holds(act: Activation, d1: sp.Expr) -> bool:
    diff = act.declared("output_derivative").subs(A, act.declared("expr")) - d1
    if not diff.has(sp.Piecewise):
        return sp.simplify(diff) == 0
    # Piecewise: compare on each side of 0 (the only kink location in the registry).
    pos = sp.Symbol("p", positive=True)
    return all(sp.simplify(_branch(act, diff.subs(Z, s * pos), pos)) == 0 for s in (1, -1))


def _branch(act: Activation, expr: sp.Expr, pos: sp.Symbol) -> sp.Expr:
    """``expr`` with each Piecewise replaced by the branch it takes on this side of 0.

    SymPy cannot always decide a condition in the parameters (alpha (exp(-p) - 1) < 0 for
    alpha > 0); the condition is on the sign of f(z), which is the same on all of one side of
    0, so the branch is chosen at p = 1 and the parameters' defaults, and the identity is then
    proved symbolically on it."""
    at = {pos: 1, **act.substitutions()}

    def choose(pw: sp.Piecewise) -> sp.Expr:
        for e, cond in pw.args:
            if cond == sp.true or bool(cond.subs(at)):
                return e
        return pw

    return expr.replace(lambda e: isinstance(e, sp.Piecewise), choose)


def vector_cost(c: Cost, k: int) -> dict[str, sp.Expr]:
    """A vector cost, its gradient and Hessian in the ``k`` predictions of one row."""
    expr, preds, _targets = c.vector_expr(k)
    grad = sp.Matrix([sp.diff(expr, p) for p in preds])
    return {"f": expr, "d1": grad, "d2": sp.hessian(expr, preds)}


def derive_cost(c: Cost) -> dict[str, sp.Expr]:
    if c.vector:
        return vector_cost(c, SYMBOLIC_K)
    var = Z if c.inputs == "logits" else A
    expr = c.declared("expr")
    d1 = sp.diff(expr, var)
    d2 = sp.diff(d1, var)
    # The y-derivatives (and d3) only feed the error model: how a rounding of the inputs
    # propagates to C, C' and C''.
    return {
        "f": expr,
        "d1": d1,
        "d2": d2,
        "d3": sp.diff(d2, var),
        "dy": sp.diff(expr, Y),
        "d1dy": sp.diff(d1, Y),
        "d2dy": sp.diff(d2, Y),
    }


def vector_pair(p: Pair, k: int) -> sp.Matrix:
    """dC/dz (a column of ``k``) for a vector activation: the cost gradient through the Jacobian."""
    comps = p.activation.vector_expr(k)
    zs = sp.symbols(f"z0:{k}", real=True)
    ys = sp.symbols(f"y0:{k}", real=True)
    dC = [sp.diff(p.cost.expr, A).subs({A: comps[i], Y: ys[i]}) for i in range(k)]
    jac = sp.Matrix(comps).jacobian(sp.Matrix(zs))
    return sp.Matrix([sum(dC[i] * jac[i, j] for i in range(k)) for j in range(k)])


def _softmax_pair(p: Pair) -> dict[str, sp.Expr]:
    return {"d1": vector_pair(p, SYMBOLIC_K), "display": softmax_display(p)}


def softmax_display(p: Pair) -> sp.Expr:
    """dC/dz_j = a_j (C'(a_j, y_j) - sum_i a_i C'(a_i, y_i)) for softmax, for any number of
    classes K; another vector activation: sum_i C'(a_i, y_i) J_ij in its output form."""
    if p.closed_form:
        return closed_form_expr(p).subs({A: _a[_j], Y: _y[_j]})
    cprime = sp.diff(p.cost.declared("expr"), A)
    term = cprime.subs({A: _a[_i], Y: _y[_i]}, simultaneous=True)
    own = cprime.subs({A: _a[_j], Y: _y[_j]})
    if p.activation.name == "softmax":
        return _a[_j] * (own - sp.Sum(_a[_i] * term, (_i, 1, _k)))
    if p.activation.name == "log_softmax":  # J_ij = delta_ij - exp(a_j)
        return own - sp.exp(_a[_j]) * sp.Sum(term, (_i, 1, _k))
    return sp.Sum(term * p.activation.jacobian_output(_a, _i, _j), (_i, 1, _k))


def _softmax_closed_form_holds(p: Pair, raw: sp.Matrix) -> bool:
    comps = p.activation.vector_expr(SYMBOLIC_K)
    ys = sp.symbols(f"y0:{SYMBOLIC_K}", real=True)
    claim = closed_form_expr(p)
    # The categorical closed form needs targets on the simplex: substitute the last one.
    simplex = {ys[-1]: 1 - sum(ys[:-1])}
    return all(
        sp.simplify((claim.subs({A: comps[j], Y: ys[j]}) - raw[j]).subs(simplex)) == 0
        for j in range(SYMBOLIC_K)
    )


def derive_pair(p: Pair) -> tuple[dict[str, sp.Expr], bool | None]:
    act, c = p.activation, p.cost
    if act.vector:
        out = _softmax_pair(p)
        proved = _softmax_closed_form_holds(p, out["d1"]) if p.closed_form else None
        return out, proved
    dC = sp.diff(c.declared("expr"), A)
    d2C = sp.diff(dC, A)
    f = act.declared("expr")
    f1 = sp.diff(f, Z)
    f2 = sp.diff(f1, Z)
    raw = dC.subs(A, f) * f1
    raw2 = d2C.subs(A, f) * f1**2 + dC.subs(A, f) * f2
    if act.output_derivative is not None:
        display = _simplify_rational(dC * act.declared("output_derivative"))
    else:
        display = dC * sp.Symbol("f'(z)")
    out = {"d1": raw, "d2": raw2, "d1dy": sp.diff(raw, Y), "display": display}
    proved = None
    if p.closed_form:
        claim = closed_form_expr(p).subs(A, f)
        proved = sp.simplify(claim - raw) == 0
    return out, proved


def derive_all() -> Derived:
    """Derive everything from the registry (the slow path; see :mod:`.cache`)."""
    d = Derived()
    for act in ACTIVATIONS:
        d.activations[act.name], proved = derive_activation(act)
        if proved is not None:
            d.output_forms[act.name] = bool(proved)
    for c in COSTS:
        d.costs[c.name] = derive_cost(c)
    for p in PAIRS:
        if not p.valid:
            continue
        d.pairs[p.name], proved = derive_pair(p)
        if proved is not None:
            d.closed_forms[p.name] = bool(proved)
    return d
