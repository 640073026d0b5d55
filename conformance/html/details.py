"""Every failure and warning of one implementation in full: the message, the worst element
(inputs; truth, numeric, actual; the error against its budget and wrong-math threshold), the
diagnosis, the reproducer with a copy button, and the result's figures.  Failures are open,
warnings folded (``<details>``: readable without JavaScript)."""

from __future__ import annotations

import base64
import struct
from typing import Any

from gradspec.conformance.html._util import esc, result_anchor, units_text

#: The statuses shown in full, in the order they are listed.
SHOWN = ("error", "fail", "xfail", "warn")


def _value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.17g}"
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v[:12]) + (", ...]" if len(v) > 12 else "]")
    return str(v)


def _png_size(uri: str) -> str:
    """The ``width``/``height`` attributes of a PNG data URI (from its IHDR chunk): the page
    keeps the figure's room before the lazily loaded image arrives, so that nothing below it
    moves (a link to a later section would otherwise land in the wrong place)."""
    try:
        head = base64.b64decode(uri.split(",", 1)[1][:32])
        w, h = struct.unpack(">II", head[16:24])
    except (IndexError, ValueError, struct.error):
        return ""
    return f' width="{w}" height="{h}"'


def worst_table(w: dict[str, Any]) -> str:
    """The worst element: where, its inputs and values, and the error against the limits."""
    rows = []
    if w.get("index") is not None:
        rows.append(("index", str(w["index"])))
    rows += [(f"input {k}", _value(v)) for k, v in w.get("inputs", {}).items()]
    rows += [(k, _value(v)) for k, v in w.get("values", {}).items()]
    unit = f"{w['working_dtype']} eps-units" if w.get("working_dtype") else "eps-units"
    rows.append(("error", f"{units_text(w['units'])} {unit}"))
    rows.append(("budget (pass up to)", units_text(w["budget"])))
    rows.append(("wrong-math threshold (fail beyond)", units_text(w.get("fail_threshold"))))
    body = "".join(f"<tr><th>{esc(k)}</th><td><code>{esc(v)}</code></td></tr>" for k, v in rows)
    return f'<table class="worst"><caption>worst element</caption>{body}</table>'


def render_result(
    r: dict[str, Any], impl_index: int, result_index: int, figures: list[tuple[str, str]]
) -> str:
    """One result in full; ``figures``: (caption, data URI) pairs drawn for it."""
    anchor = result_anchor(impl_index, result_index)
    status = r["status"]
    parts = []
    if r.get("message"):
        parts.append(f'<p class="message">{esc(r["message"])}</p>')
    if r.get("warnings") and len(r["warnings"]) > 1:
        items = "".join(f"<li>{esc(w)}</li>" for w in r["warnings"])
        parts.append(f"<ul class='warnings'>{items}</ul>")
    if r.get("worst"):
        parts.append(worst_table(r["worst"]))
    if r.get("diagnosis"):
        items = "".join(f"<li>{esc(d)}</li>" for d in r["diagnosis"])
        parts.append(f'<div class="diagnosis"><strong>diagnosis</strong><ul>{items}</ul></div>')
    repro = r.get("library_reproducer") or r.get("reproducer")
    if repro:
        parts.append(
            '<div class="repro"><div class="repro-head"><strong>reproducer</strong>'
            f'<button type="button" class="copy" data-copy="{anchor}-code">copy</button></div>'
            f'<pre id="{anchor}-code"><code>{esc(repro)}</code></pre></div>'
        )
    for caption, uri in figures:
        size = _png_size(uri)
        parts.append(
            f'<figure><img src="{uri}" alt="{esc(caption)}" loading="lazy"{size}>'
            f"<figcaption>{esc(caption)}</figcaption></figure>"
        )
    opened = " open" if status in ("fail", "error") else ""
    return (
        f'<details class="result st-border-{esc(status)}" id="{anchor}"{opened}>'
        f'<summary><span class="badge st-{esc(status)}">{esc(status)}</span> '
        f"<code>{esc(r['id'])}</code></summary>{''.join(parts)}</details>"
    )


def render_details(
    impl: dict[str, Any], impl_index: int, figures: dict[int, list[tuple[str, str]]]
) -> str:
    """Failures, then expected failures, then warnings, of one implementation."""
    out = []
    for status in SHOWN:
        for i, r in enumerate(impl["results"]):
            if r["status"] == status:
                out.append(render_result(r, impl_index, i, figures.get(i, [])))
    if not out:
        return ""
    return f"<h3>failures and warnings</h3>{''.join(out)}"
