"""Many candidates at a glance: a table (sortable by verdict, failed checks, diagnosis;
each row links to the candidate's section) and how many candidates each diagnosis names:
what a course's submissions most often get wrong."""

from __future__ import annotations

from collections import Counter
from typing import Any

from gradspec.conformance.html._util import candidate_anchor, esc

#: Sort rank of a verdict: the worst first when sorted ascending.
VERDICT_RANK = {"error": 0, "fail": 1, "warn": 2, "pass": 3}


def verdict_of(impl: dict[str, Any]) -> str:
    """``error`` when the candidate could not be checked at all, else its verdict."""
    return "error" if impl.get("error") else impl["verdict"]


def signatures(impl: dict[str, Any]) -> list[str]:
    """The diagnosis signatures (the name before ``:``) of a candidate's failures."""
    return sorted(
        {
            d.split(":", 1)[0]
            for r in impl["results"]
            if r["status"] in ("fail", "error")
            for d in r.get("diagnosis", [])
        }
    )


def _failed(impl: dict[str, Any]) -> list[str]:
    return [r["id"] for r in impl["results"] if r["status"] in ("fail", "error")]


def render_summary(impls: list[dict[str, Any]]) -> str:
    """The candidates table and the counts per diagnosis."""
    rows = []
    for i, impl in enumerate(impls):
        v = verdict_of(impl)
        failed = _failed(impl)
        sigs = signatures(impl)
        warned = sum(r["status"] == "warn" for r in impl["results"])
        shown = ", ".join(failed[:3]) + (f" (+{len(failed) - 3})" if len(failed) > 3 else "")
        diag = ", ".join(sigs) or (impl.get("error", "")[:120] if v == "error" else "")
        rows.append(
            "<tr>"
            f'<td data-sort="{esc(impl["implementation"])}"><a href="#'
            f'{candidate_anchor(i, impl["implementation"])}">{esc(impl["implementation"])}</a></td>'
            f'<td data-sort="{VERDICT_RANK[v]}" class="st-{v}">{v.upper()}</td>'
            f'<td data-sort="{len(failed)}" class="num">{len(failed)}</td>'
            f'<td data-sort="{warned}" class="num">{warned}</td>'
            f'<td data-sort="{esc(shown)}" class="ids">{esc(shown)}</td>'
            f'<td data-sort="{esc(diag) or "~"}">{esc(diag)}</td>'
            "</tr>"
        )
    head = "".join(
        f'<th scope="col" data-type="{t}"{" class=ids" if n == "failed" else ""}>'
        f'<button type="button" class="sort">{esc(n)}</button></th>'
        for n, t in (
            ("candidate", "text"),
            ("verdict", "num"),
            ("failed checks", "num"),
            ("warned", "num"),
            ("failed", "text"),
            ("diagnosis", "text"),
        )
    )
    verdicts = Counter(verdict_of(x) for x in impls)
    line = ", ".join(f"{verdicts[v]} {v}" for v in ("pass", "warn", "fail", "error") if verdicts[v])
    return (
        f"<h2>candidates</h2><p>{len(impls)} candidates: {esc(line)}.</p>"
        f"{render_diagnosis_counts(impls)}"
        "<h3>each candidate</h3><p>Click a column heading to sort (with JavaScript); a name "
        "leads to the candidate's section.</p>"
        '<div class="scroll"><table class="summary sortable" id="summary">'
        f"<thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def render_diagnosis_counts(impls: list[dict[str, Any]]) -> str:
    """Each diagnosis signature with the number of candidates it names, most frequent first."""
    counts = Counter(s for impl in impls for s in signatures(impl))
    if not counts:
        return ""
    rows = "".join(
        f'<tr><td><code>{esc(s)}</code></td><td class="num">{n}</td></tr>'
        for s, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    return (
        "<h3>what goes wrong most often</h3>"
        '<table class="diagcount"><thead><tr><th>diagnosis</th><th>candidates</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )
