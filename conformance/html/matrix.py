"""The conformance matrix of one implementation: a row per function (or pair, or network),
a column per (check, dtype) in the order the plan ran them, each cell its status, coloured,
with the worst error in eps-units in the cell and the full result in its hover title.  A
cell no result fills is *not defined* (the function is absent, or the check does not apply
to it).  Each cell carries ``data-id`` and ``data-status`` (the JSON's id and status)."""

from __future__ import annotations

from typing import Any

from gradspec.conformance.html._util import esc, result_anchor, short_dtype, units_text

#: The text a cell shows per status (the colour says it too; the text is for print and
#: colour-blind readers).
CELL_TEXT = {
    "pass": "pass",
    "warn": "warn",
    "fail": "FAIL",
    "error": "ERROR",
    "skip": "skip",
    "xfail": "xfail",
}


def columns(results: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(check, dtype) pairs, checks in the order first run, dtypes within each check."""
    checks: dict[str, list[str]] = {}
    for r in results:
        dts = checks.setdefault(r["check"], [])
        if r["dtype"] not in dts:
            dts.append(r["dtype"])
    return [(c, d) for c, dts in checks.items() for d in dts]


def _title(r: dict[str, Any]) -> str:
    parts = [f"{r['id']}: {r['status']}"]
    w = r.get("worst")
    if w:
        parts.append(
            f"worst {units_text(w['units'])} eps-units (budget {units_text(w['budget'])}, "
            f"fail threshold {units_text(w.get('fail_threshold', 'inf'))})"
        )
    if r.get("message"):
        parts.append(r["message"][:300])
    return "\n".join(parts)


def _cell(r: dict[str, Any] | None, impl_index: int, result_index: int) -> str:
    if r is None:
        return '<td class="nd" title="not defined: no such check here">&middot;</td>'
    status = r["status"]
    w = r.get("worst")
    units = f"<small>{esc(units_text(w['units']))}</small>" if w else ""
    text = CELL_TEXT.get(status, status)
    if status in ("fail", "error", "warn", "xfail"):
        text = f'<a href="#{result_anchor(impl_index, result_index)}">{text}</a>'
    return (
        f'<td class="st-{esc(status)}" data-id="{esc(r["id"])}" data-status="{esc(status)}" '
        f'title="{esc(_title(r))}">{text}{units}</td>'
    )


def render_matrix(impl: dict[str, Any], impl_index: int) -> str:
    """The matrix table of one implementation (``as_dict()`` form); empty without results."""
    results = impl["results"]
    if not results:
        return ""
    cols = columns(results)
    by_subject: dict[str, dict[tuple[str, str], int]] = {}
    for i, r in enumerate(results):
        by_subject.setdefault(r["subject"], {})[(r["check"], r["dtype"])] = i
    spans: list[tuple[str, int]] = []
    for c, _ in cols:
        if spans and spans[-1][0] == c:
            spans[-1] = (c, spans[-1][1] + 1)
        else:
            spans.append((c, 1))
    head1 = "".join(f'<th colspan="{n}" scope="colgroup">{esc(c)}</th>' for c, n in spans)
    head2 = "".join(f'<th scope="col">{esc(short_dtype(d))}</th>' for _, d in cols)
    rows = []
    for subject, cells in by_subject.items():
        tds = "".join(
            _cell(results[cells[col]] if col in cells else None, impl_index, cells.get(col, -1))
            for col in cols
        )
        rows.append(f'<tr><th scope="row" class="subject">{esc(subject)}</th>{tds}</tr>')
    return (
        '<div class="scroll"><table class="matrix">'
        f'<thead><tr><th rowspan="2" class="subject">function / pair</th>{head1}</tr>'
        f"<tr>{head2}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
        '<p class="legend"><span class="st-pass">pass</span> <span class="st-warn">warn</span> '
        '<span class="st-fail">FAIL</span> <span class="st-error">ERROR</span> '
        '<span class="st-skip">skip</span> <span class="st-xfail">xfail</span> '
        '<span class="nd">&middot; not defined</span>; the small number is the worst error '
        "in eps-units (docs/tolerances.md); hover a cell for the full result.</p>"
    )
