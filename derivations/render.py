"""Render the whole spec (registry + derivations) as Markdown, LaTeX or JSON."""

from __future__ import annotations

import json

import sympy as sp

from gradspec.spec import (
    ACTIVATIONS,
    COSTS,
    PAIRS,
    REDUCTIONS,
    Activation,
    Cost,
    Kink,
    format_value,
)

from .cache import fingerprint, load
from .derive import SYMBOLIC_K, Derived

FORMATS = ("markdown", "latex", "json")


def _kinks(kinks: tuple[Kink, ...], var: str) -> str:
    if not kinks:
        return "none (smooth)"
    parts = []
    for k in kinks:
        what = "jump, f'" if k.order == 0 else ("f'" if k.order == 1 else "f''")
        lo, hi = k.accepted
        accepted = f"{lo:g}" if lo == hi else f"[{lo:g}, {hi:g}]"
        parts.append(f"{var} = {k.at:g}: {what} accepts {accepted}")
    return "; ".join(parts)


_IJ = sp.symbols("i j", integer=True)


def _s(expr: object) -> str:
    return sp.sstr(expr)


def _md(expr: object) -> str:
    return "`" + _s(expr).replace("|", "\\|") + "`"


def _params_data(entry: Activation | Cost) -> list[dict]:
    return [
        {"name": p.name, "default": p.default, "valid": str(p.valid), "doc": p.doc}
        for p in entry.params
    ]


def _params_md(entry: Activation | Cost) -> list[str]:
    """The parameters line: each with its default and valid range (expressions above are
    symbolic in them; domains and kinks are shown at the defaults)."""
    out = []
    if entry.params:
        shown = "; ".join(
            f"{p.name} = {format_value(p.default)} by default, in {p.valid}: {p.doc}"
            for p in entry.params
        )
        out.append(f"- parameters (the kinks and domain above at the defaults): {shown}")
    if getattr(entry, "constants", None):
        fixed = ", ".join(f"{k} = {v!r}" for k, v in entry.constants.items())
        out.append(f"- constants (fixed, not parameters): {fixed}")
    return out


def _param_names() -> str:
    """The registry's parameter names, each once: ``slope, alpha, beta, delta or gamma``."""
    names = list(dict.fromkeys(p.name for e in (*ACTIVATIONS, *COSTS) for p in e.params))
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else "".join(names)


def as_dict(d: Derived | None = None) -> dict:
    """The spec as plain data (the JSON format)."""
    d = d or load()
    acts = []
    for act in ACTIVATIONS:
        e = d.activations[act.name]
        acts.append(
            {
                "name": act.name,
                "aliases": list(act.aliases),
                "formula": act.formula,
                "vector": act.vector,
                "f": _s(e["f"]),
                "d1": _s(e["d1"]),
                "d2": _s(e["d2"]) if "d2" in e else None,
                "d1_output": _s(e["d1_output"]) if "d1_output" in e else None,
                "output_form_proved": d.output_forms.get(act.name),
                "domain": str(act.domain),
                "range": str(act.range),
                "params": _params_data(act),
                "constants": act.constants,
                "kinks": [k.__dict__ | {"accepted": list(k.accepted)} for k in act.kinks],
                "stability": act.stability,
            }
        )
    costs = []
    for c in COSTS:
        e = d.costs[c.name]
        costs.append(
            {
                "name": c.name,
                "aliases": list(c.aliases),
                "formula": c.formula,
                "inputs": c.inputs,
                "vector": c.vector,
                "f": _s(e["f"]),
                "d1": _s(e["d1"]),
                "d2": _s(e["d2"]),
                "pred_domain": str(c.pred_domain),
                "target_domain": str(c.target_domain),
                "target_simplex": c.target_simplex,
                "params": _params_data(c),
                "kinks": [k.__dict__ | {"accepted": list(k.accepted)} for k in c.kinks],
                "kink_variable": c.kink_label,
                "stability": c.stability,
            }
        )
    pairs = []
    for p in PAIRS:
        row = {
            "name": p.name,
            "activation": p.activation.name,
            "cost": p.cost.name,
            "valid": p.valid,
            "reason": p.reason,
        }
        if p.valid:
            row["dC_dz"] = _s(d.pairs[p.name]["display"])
            row["closed_form"] = p.closed_form
            row["closed_form_proved"] = d.closed_forms.get(p.name)
        pairs.append(row)
    return {
        "fingerprint": fingerprint(),
        "activations": acts,
        "costs": costs,
        "reductions": [r.__dict__ for r in REDUCTIONS],
        "pairs": pairs,
    }


def to_json(d: Derived | None = None) -> str:
    return json.dumps(as_dict(d), indent=2) + "\n"


def to_markdown(d: Derived | None = None) -> str:
    d = d or load()
    out = [
        "# The gradspec specification",
        "",
        "Rendered by `gradspec derive --format markdown` from the registry "
        "(`src/gradspec/spec/`) and its SymPy derivations; do not edit by hand.",
        f"Registry fingerprint: `{fingerprint()}`.",
        "",
        "## Activations",
        "",
        "Kinks give the point, the derivative that does not exist there, and the values an "
        "implementation may return for it (the subgradient interval or the convention).",
        "",
    ]
    for act in ACTIVATIONS:
        e = d.activations[act.name]
        alias = f" (alias: {', '.join(act.aliases)})" if act.aliases else ""
        out += [f"### {act.name}{alias}", "", f"{act.formula}", ""]
        if act.vector:
            jac = act.jacobian_output(sp.IndexedBase("a"), *_IJ)
            out += [
                f"- Jacobian (derived for K = {SYMBOLIC_K}, holds for every K): "
                f"`J_ij = {_s(jac)}`" + (" (proved)" if d.output_forms.get(act.name) else ""),
            ]
        else:
            out += [
                f"- f(z) = {_md(e['f'])}",
                f"- f'(z) = {_md(e['d1'])}",
                f"- f''(z) = {_md(e['d2'])}",
            ]
            if "d1_output" in e:
                proved = " (proved equal to f'(z))" if d.output_forms.get(act.name) else ""
                out.append(
                    f"- f' as a function of the output a = f(z): {_md(e['d1_output'])}{proved}"
                )
        out += [
            f"- domain: z in {act.domain}; range: {act.range}",
            f"- kinks: {_kinks(act.kinks, 'z')}",
        ]
        out += _params_md(act)
        if act.stability:
            out.append(f"- stable evaluation: {act.stability}")
        out.append("")
    out += [
        "## Costs",
        "",
        "Per element of prediction a and target y (costs on logits take the "
        "pre-activation z); cost kinks are located in r = a - y, or in the margin y a "
        "where the entry says so (hinge).",
        "",
    ]
    for c in COSTS:
        e = d.costs[c.name]
        var = "z" if c.inputs == "logits" else "a"
        out += [f"### {c.name}", "", c.formula, ""]
        if c.vector:
            out += [
                f"- gradient (derived for K = {SYMBOLIC_K}): dC/dz_j = softmax(z)_j - y_j "
                "for targets on the simplex"
            ]
        else:
            out += [
                f"- C = {_md(e['f'])}",
                f"- dC/d{var} = {_md(e['d1'])}",
                f"- d2C/d{var}2 = {_md(e['d2'])}",
            ]
        simplex = " (rows sum to 1)" if c.target_simplex else ""
        out += [
            f"- domain: {var} in {c.pred_domain}; y in {c.target_domain}{simplex}",
            f"- kinks: {_kinks(c.kinks, c.kink_label)}",
        ]
        out += _params_md(c)
        if c.stability:
            out.append(f"- stable evaluation: {c.stability}")
        out.append("")
    out += ["## Reductions", "", "| reduction | value | gradient |", "|---|---|---|"]
    out += [f"| {r.name} | `{r.formula}` | `{r.gradient}` |" for r in REDUCTIONS]
    out += [
        "",
        "## Output activation x cost: dC/dz",
        "",
        "dC/dz = dC/da * da/dz, written in a = f(z) where the activation has an output form "
        "(f'(z) stands for the activation's derivative otherwise; softmax pairs go through "
        "the Jacobian, per class j of K).  Closed forms are proved by "
        "`simplify(claim - derived) == 0`.  A parameterised entry's pairs stay symbolic in "
        f"its parameter ({_param_names()} below) and are checked at bound values: "
        '`delta("softplus[beta=2]", "squared", z, y)` against this dC/dz at beta = 2 '
        "(`composed[softplus[beta=2]+squared:float64]`), with the kinks and domains of the "
        "bound entries.",
        "",
        "| pair | dC/dz | closed form |",
        "|---|---|---|",
    ]
    for p in PAIRS:
        if not p.valid:
            continue
        cf = ""
        if p.closed_form:
            cf = f"`{p.closed_form}`" + (
                " (proved)" if d.closed_forms.get(p.name) else " (NOT proved)"
            )
        out.append(f"| {p.name} | {_md(d.pairs[p.name]['display'])} | {cf} |")
    out += ["", "Pairs outside the spec (the activation's range leaves the cost's domain):", ""]
    out += [f"- {p.name}: {p.reason}" for p in PAIRS if not p.valid]
    return "\n".join(out) + "\n"


def to_latex(d: Derived | None = None) -> str:
    d = d or load()
    lines = [r"\section*{gradspec specification}", r"\subsection*{Activations}", r"\begin{itemize}"]
    for act in ACTIVATIONS:
        e = d.activations[act.name]
        name = act.name.replace("_", r"\_")
        if act.vector:
            jac = sp.latex(act.jacobian_output(sp.IndexedBase("a"), *_IJ))
            lines.append(rf"\item \texttt{{{name}}}: \verb|{act.formula}|, $J_{{ij}} = {jac}$")
        else:
            lines.append(
                rf"\item \texttt{{{name}}}: $f(z) = {sp.latex(e['f'])}$, "
                rf"$f'(z) = {sp.latex(e['d1'])}$, $f''(z) = {sp.latex(e['d2'])}$"
            )
    lines += [r"\end{itemize}", r"\subsection*{Costs}", r"\begin{itemize}"]
    for c in COSTS:
        e = d.costs[c.name]
        name = c.name.replace("_", r"\_")
        if c.vector:
            lines.append(
                rf"\item \texttt{{{name}}}: $C = -\sum_k y_k \log \mathrm{{softmax}}(z)_k$,"
                r" $\partial C/\partial z_j = \mathrm{softmax}(z)_j - y_j$"
            )
        else:
            lines.append(
                rf"\item \texttt{{{name}}}: $C = {sp.latex(e['f'])}$, "
                rf"$C' = {sp.latex(e['d1'])}$, $C'' = {sp.latex(e['d2'])}$"
            )
    lines += [r"\end{itemize}", r"\subsection*{Pairs: $\partial C/\partial z$}", r"\begin{itemize}"]
    for p in PAIRS:
        if p.valid:
            name = p.name.replace("_", r"\_")
            lines.append(rf"\item \texttt{{{name}}}: ${sp.latex(d.pairs[p.name]['display'])}$")
    lines.append(r"\end{itemize}")
    return "\n".join(lines) + "\n"


def render(fmt: str, d: Derived | None = None) -> str:
    if fmt == "markdown":
        return to_markdown(d)
    if fmt == "latex":
        return to_latex(d)
    if fmt == "json":
        return to_json(d)
    raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
