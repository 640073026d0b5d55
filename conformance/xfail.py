"""Expected-failure files (as array-api-tests does): one check id pattern per line.

A line is ``check[subject:dtype]`` (every implementation) or ``label::check[subject:dtype]``
(one implementation: a candidate's file name, or a built-in such as ``numpy``); ``*`` matches
any run of characters anywhere (``derivative[sigmoid:*]``, ``*[gelu:float32]``,
``bug_*.py::value[*]``); ``#`` starts a comment.  A listed check that fails gets status
``xfail`` and does not fail the run; a listed check that passes is reported as an unexpected
pass (status ``warn``, message ``XPASS ...``); a line that matches no check is noted (stale).
The same file works for ``gradspec verify``, ``gradspec check`` and the pytest plugin.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from gradspec.errors import UsageError


@dataclass(frozen=True)
class XfailEntry:
    candidate: str | None  # label pattern, or None for every implementation
    id: str  # check id pattern
    line: int

    def matches(self, label: str, check_id: str) -> bool:
        if self.candidate is not None and not _glob(self.candidate).fullmatch(label):
            return False
        return bool(_glob(self.id).fullmatch(check_id))


def _glob(pattern: str) -> re.Pattern[str]:
    """``*`` is the only wildcard: check ids contain brackets, which must match literally."""
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")))


def read_xfail_file(path: str) -> list[XfailEntry]:
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except OSError as exc:
        raise UsageError(f"cannot read xfail file {path}: {exc.strerror}") from None
    out = []
    for n, raw in enumerate(lines, 1):
        text = raw.split("#", 1)[0].strip()
        if not text:
            continue
        cand, sep, cid = text.rpartition("::")
        out.append(XfailEntry(cand.strip() if sep else None, cid.strip(), n))
    return out


def mark(result: Any, label: str, entries: tuple[XfailEntry, ...] | list[XfailEntry]) -> list:
    """Apply the matching entries to one result in place; return the entries that matched."""
    used = [e for e in entries if e.matches(label, result.id)]
    if not used:
        return used
    if result.status in ("fail", "error"):
        result.status = "xfail"
        result.message = f"expected failure (xfail file line {used[0].line}): {result.message}"
    elif result.status in ("pass", "warn"):
        result.status = "warn"
        result.message = f"XPASS: listed as an expected failure (line {used[0].line}) but passed"
        result.warnings = [result.message, *result.warnings]
    return used


def notes(reports: list, entries: list[XfailEntry] | tuple[XfailEntry, ...]) -> list[str]:
    """What to tell about an xfail file after a run (results already marked by the runner):
    unexpected passes, and lines that matched no check (stale) unless the run was cut short."""
    out = [
        f"{rep.implementation}: {r.id} passed unexpectedly (XPASS)"
        for rep in reports
        for r in rep.results
        if r.message.startswith("XPASS")
    ]
    if not any(rep.interrupted for rep in reports):
        ids = [(rep.implementation, r.id) for rep in reports for r in rep.results]
        out += [
            f"line {e.line}: {e.id!r} matches no check (stale entry?)"
            for e in entries
            if not any(e.matches(label, cid) for label, cid in ids)
        ]
    return out
