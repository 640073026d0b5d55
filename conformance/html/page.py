"""The page: header (verdict, the command and versions that produced it), the candidates
summary when there are several, then a section per implementation (its matrix, its failures
and warnings with their figures).  Self-contained: inline CSS, figures as ``data:`` PNG, a
small inline script (sorting, copy buttons, opening a linked result) that the page does not
need to be read."""

from __future__ import annotations

import base64
import os
import platform
import shlex
import sys
import time
from importlib import metadata
from typing import Any

from gradspec.conformance.html import plots
from gradspec.conformance.html._util import candidate_anchor, esc
from gradspec.conformance.html.details import render_details
from gradspec.conformance.html.matrix import render_matrix
from gradspec.conformance.html.summary import render_summary, verdict_of

CSS = """
:root { --pass:#1a7f37; --pass-bg:#dafbe1; --warn:#7d4e00; --warn-bg:#fff1b8;
  --fail:#b42318; --fail-bg:#ffe0dd; --error-bg:#ffc9c4; --skip:#57606a; --skip-bg:#eaeef2;
  --xfail:#6e40c9; --xfail-bg:#eee4ff; --line:#d0d7de; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto;
  padding: 1rem; max-width: 1400px; color: #1f2328; background: #fff; }
h1 { font-size: 1.5rem; margin: .2rem 0 .6rem; } h2 { font-size: 1.25rem; margin-top: 2rem;
  border-bottom: 2px solid var(--line); padding-bottom: .2rem; overflow-wrap: anywhere; }
h3 { font-size: 1.05rem; }
code, pre { font: 13px/1.4 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
.meta th { text-align: left; padding-right: 1rem; vertical-align: top; white-space: nowrap; }
.meta td { overflow-wrap: anywhere; }
.scroll { overflow-x: auto; max-width: 100%; -webkit-overflow-scrolling: touch; }
table { border-collapse: collapse; }
.matrix { font-size: 12px; }
.matrix th, .matrix td { border: 1px solid var(--line); padding: 2px 4px; text-align: center;
  white-space: nowrap; }
.matrix th.subject { text-align: left; position: sticky; left: 0; background: #f6f8fa;
  z-index: 1; max-width: 16rem; overflow: hidden; text-overflow: ellipsis; }
.matrix thead th { background: #f6f8fa; }
.matrix td small { display: block; font-size: 10px; opacity: .85; }
.matrix td a { color: inherit; font-weight: 600; }
.st-pass { background: var(--pass-bg); color: var(--pass); }
.st-warn { background: var(--warn-bg); color: var(--warn); }
.st-fail { background: var(--fail-bg); color: var(--fail); font-weight: 600; }
.st-error { background: var(--error-bg); color: var(--fail); font-weight: 600; }
.st-skip { background: var(--skip-bg); color: var(--skip); }
.st-xfail { background: var(--xfail-bg); color: var(--xfail); }
.nd { background: repeating-linear-gradient(45deg,#fff,#fff 3px,#f3f4f6 3px,#f3f4f6 6px);
  color: #8c959f; }
.legend span { padding: 0 .35rem; border-radius: 3px; }
.legend { font-size: 12px; color: #57606a; }
.badge { display: inline-block; padding: .05rem .5rem; border-radius: 1rem; font-weight: 600;
  font-size: .85em; text-transform: uppercase; }
.verdict { font-size: 1.1rem; }
details.result { border: 1px solid var(--line); border-left-width: 5px; border-radius: 4px;
  margin: .6rem 0; padding: .3rem .7rem; }
details.result > summary { cursor: pointer; overflow-wrap: anywhere; }
.st-border-fail, .st-border-error { border-left-color: var(--fail) !important; }
.st-border-warn { border-left-color: #d4a72c !important; }
.st-border-xfail { border-left-color: var(--xfail) !important; }
:target { outline: 3px solid #0969da; outline-offset: 2px; }
.message { overflow-wrap: anywhere; }
table.worst { margin: .4rem 0; font-size: 13px; max-width: 100%; }
table.worst caption { text-align: left; font-weight: 600; }
table.worst th { text-align: left; padding: 1px 1rem 1px 0; font-weight: normal;
  color: #57606a; vertical-align: top; }
table.worst td code { overflow-wrap: anywhere; word-break: break-all; }
.repro pre { background: #f6f8fa; border: 1px solid var(--line); padding: .5rem;
  overflow-x: auto; margin: .2rem 0; }
.repro-head { display: flex; align-items: center; gap: .6rem; }
button.copy { display: none; font-size: 12px; padding: .1rem .6rem; cursor: pointer; }
.js button.copy { display: inline-block; }
figure { margin: .8rem 0; } figure img { max-width: 100%; height: auto;
  border: 1px solid var(--line); }
figcaption { font-size: 12px; color: #57606a; }
.summary th, .summary td, .diagcount th, .diagcount td { border: 1px solid var(--line);
  padding: 3px 6px; text-align: left; vertical-align: top; }
.summary td.ids { font-size: 12px; max-width: 26rem; overflow-wrap: anywhere; }
.summary td:first-child { overflow-wrap: anywhere; min-width: 7rem; }
.num { text-align: right !important; }
button.sort { all: unset; cursor: default; font-weight: 600; }
.js button.sort { cursor: pointer; text-decoration: underline dotted; }
button.sort[data-dir="asc"]::after { content: " \\25B2"; }
button.sort[data-dir="desc"]::after { content: " \\25BC"; }
.notes li, .problems li { overflow-wrap: anywhere; }
.problems { color: var(--fail); }
@media (max-width: 600px) { body { padding: .5rem; font-size: 14px; }
  .matrix th.subject { max-width: 9rem; } .meta th { white-space: normal; }
  .summary .ids { display: none; }
  table.worst, table.worst caption, table.worst tbody, table.worst tr, table.worst th,
  table.worst td { display: block; } table.worst td { padding-left: .8rem; } }
"""

SCRIPT = """
document.documentElement.classList.add('js');
document.addEventListener('click', function (ev) {
  var b = ev.target.closest('button.copy');
  if (b) {
    var text = document.getElementById(b.dataset.copy).textContent;
    var done = function () { b.textContent = 'copied'; setTimeout(function () {
      b.textContent = 'copy'; }, 1500); };
    var fallback = function () { var r = document.createRange();
      r.selectNodeContents(document.getElementById(b.dataset.copy));
      var s = window.getSelection(); s.removeAllRanges(); s.addRange(r);
      try { document.execCommand('copy'); } catch (e) {} done(); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, fallback);
    } else { fallback(); }
    return;
  }
  var s = ev.target.closest('button.sort');
  if (s) {
    var th = s.parentNode, table = th.closest('table'), body = table.tBodies[0];
    var col = Array.prototype.indexOf.call(th.parentNode.children, th);
    var dir = s.dataset.dir === 'asc' ? 'desc' : 'asc';
    table.querySelectorAll('button.sort').forEach(function (o) { delete o.dataset.dir; });
    s.dataset.dir = dir;
    var num = th.dataset.type === 'num';
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[col].dataset.sort, y = b.cells[col].dataset.sort;
      var c = num ? parseFloat(x) - parseFloat(y) : x.localeCompare(y);
      return dir === 'asc' ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
});
function openTarget() {
  var id = decodeURIComponent(location.hash.slice(1));
  var el = id && document.getElementById(id);
  if (el && el.tagName === 'DETAILS') { el.open = true; }
}
window.addEventListener('hashchange', openTarget); openTarget();
"""


def versions() -> dict[str, str]:
    """gradspec, Python, NumPy and the frameworks this process has imported."""
    try:
        mine = metadata.version("gradspec")
    except metadata.PackageNotFoundError:  # run from a source tree that is not installed
        mine = "unknown"
    out = {"gradspec": mine, "python": platform.python_version()}
    for mod in ("numpy", "jax", "torch", "optax", "scipy"):
        m = sys.modules.get(mod)
        if m is not None and getattr(m, "__version__", None):
            out[mod] = str(m.__version__)
    out["platform"] = platform.platform(terse=True)
    return out


def command_line(argv: list[str] | None = None) -> str:
    """The command: ``gradspec`` and its arguments (default: this process's), shell-quoted."""
    argv = sys.argv[1:] if argv is None else argv
    return "gradspec " + " ".join(shlex.quote(a) for a in argv)


def _uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _list(cls: str, title: str, items: list[str]) -> str:
    if not items:
        return ""
    lis = "".join(f"<li>{esc(i)}</li>" for i in items)
    return f'<div class="{cls}"><strong>{esc(title)}</strong><ul>{lis}</ul></div>'


def _section(impl: dict[str, Any], i: int, figures: dict[int, list[tuple[str, str]]]) -> str:
    v = verdict_of(impl)
    c = impl["counts"]
    line = ", ".join(f"{c[k]} {k}" for k in ("pass", "warn", "fail", "error", "skip", "xfail")
                     if c.get(k))  # fmt: skip
    by_route: dict[str, list[str]] = {}
    for name, route in impl.get("routes", {}).items():
        by_route.setdefault(route, []).append(name)
    parts = [
        f'<section class="impl" id="{candidate_anchor(i, impl["implementation"])}" '
        f'data-implementation="{esc(impl["implementation"])}" data-verdict="{esc(v)}">',
        f'<h2>{esc(impl["implementation"])} <span class="badge st-{v}">{esc(v)}</span></h2>',
        f"<p>{esc(impl['profile'])} profile; {len(impl['results'])} checks ({esc(line or 'none')})"
        f"{'; interrupted: partial' if impl.get('interrupted') else ''}; "
        f"{impl.get('seconds', 0):.1f} s</p>",
    ]
    if impl.get("error"):
        parts.append(f'<p class="problems"><strong>could not be checked:</strong> '
                     f'{esc(impl["error"])}</p>')  # fmt: skip
    parts.append(_list("problems", "problems", impl.get("problems", [])))
    parts.append(
        _list(
            "routes",
            "derivatives not written by the implementation",
            [f"{r}: {', '.join(sorted(n))}" for r, n in by_route.items()],
        )
    )
    parts.append(
        _list("missing", "not defined (not checked)", [", ".join(impl.get("missing", []))])
        if impl.get("missing")
        else ""
    )
    parts.append(_list("notes", "notes", impl.get("notes", [])))
    parts.append(render_matrix(impl, i))
    parts.append(render_details(impl, i, figures))
    parts.append("</section>")
    return "".join(parts)


def render_page(
    data: dict[str, Any],
    *,
    command: str = "",
    versions_: dict[str, str] | None = None,
    figures: list[plots.Figure] | None = None,
    left_out: int = 0,
    title: str = "gradspec conformance report",
) -> str:
    """The HTML of ``data`` (:func:`gradspec.conformance.report.report_data`'s form)."""
    impls = data["implementations"]
    by_result: dict[int, dict[int, list[tuple[str, str]]]] = {}
    for f in figures or []:
        by_result.setdefault(f.impl_index, {}).setdefault(f.result_index, []).append(
            (f.caption, _uri(f.png))
        )
    verdict = data["verdict"]
    meta = [("verdict", f'<span class="badge verdict st-{verdict}">{esc(verdict)}</span>')]
    if command:
        meta.append(("command", f"<code>{esc(command)}</code>"))
    meta.append(("generated", esc(time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()))))
    if versions_:
        meta.append(("versions", esc(", ".join(f"{k} {v}" for k, v in versions_.items()))))
    n_fig = len(figures or [])
    meta.append((
        "figures",
        f"{n_fig} drawn (at most {plots.MAX_FIGURES} per page, "
        f"{plots.MAX_PER_IMPLEMENTATION} per implementation when there are several, "
        "worst first)"
        + (f"; {left_out} left out" if left_out else ""),
    ))  # fmt: skip
    meta_rows = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in meta)
    body = [
        f"<header><h1>{esc(title)}</h1><table class='meta'>{meta_rows}</table></header>",
    ]
    if len(impls) > 1:
        body.append(render_summary(impls))
    body += [_section(impl, i, by_result.get(i, {})) for i, impl in enumerate(impls)]
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{esc(title)}: {esc(verdict)}</title><style>{CSS}</style></head>"
        f"<body>{''.join(body)}<script>{SCRIPT}</script></body></html>\n"
    )


def write_html(
    data: dict[str, Any],
    path: str | None,
    *,
    plot_dir: str | None = None,
    argv: list[str] | None = None,
    versions_: dict[str, str] | None = None,
    title: str = "gradspec conformance report",
) -> list[str]:
    """Write the page to ``path`` (if given) and the figures as PNG into ``plot_dir`` (if
    given); the paths of the PNG files written."""
    figures, left_out = plots.draw(data["implementations"])
    written = plots.write_pngs(figures, plot_dir) if plot_dir else []
    if path:
        page = render_page(
            data,
            command=command_line(argv),
            versions_=versions() if versions_ is None else versions_,
            figures=figures,
            left_out=left_out,
            title=title,
        )
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(page)
    return written
