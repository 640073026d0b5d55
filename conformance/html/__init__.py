"""The HTML conformance report: one self-contained static page (inline CSS, inline PNG
figures, a little inline JavaScript for sorting and copying; no network access), rendered
from the same data as the JSON report (:func:`gradspec.conformance.report.report_data`), so
that the two always agree.

* :mod:`.page`: the layout, the header (verdict, command, versions), CSS and script;
* :mod:`.matrix`: per implementation, function x (check, dtype) -> status;
* :mod:`.details`: every failure and warning in full (worst element, diagnosis, reproducer);
* :mod:`.summary`: many candidates: a sortable table and counts per diagnosis;
* :mod:`.plots`: the figures (matplotlib, Agg), embedded and optionally written as PNG.
"""

from gradspec.conformance.html.page import render_page, write_html

__all__ = ["render_page", "write_html"]
