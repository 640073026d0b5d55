"""Expected-failure files (as array-api-tests does): one check id per line.

A line is ``check[subject:dtype]`` (every candidate) or ``candidate::check[subject:dtype]``
(the candidate's label, e.g. its file name); ``#`` starts a comment.  A listed check that
fails is reported as an expected failure (status ``skip``, message ``xfail: ...``) and does
not fail the run; a listed check that passes is reported (``XPASS``, status ``warn``); an id
that matches no check is a warning (stale entry).
"""

from __future__ import annotations

from dataclasses import dataclass

from gradspec.errors import UsageError


@dataclass(frozen=True)
class XfailEntry:
    candidate: str | None
    id: str
    line: int


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
        out.append(XfailEntry(cand if sep else None, cid.strip(), n))
    return out


def apply_xfails(reports: list, entries: list[XfailEntry]) -> list[str]:
    """Mark expected failures in place; return the notes (stale ids, unexpected passes)."""
    notes = []
    used: set[XfailEntry] = set()
    for rep in reports:
        for e in entries:
            if e.candidate is not None and e.candidate != rep.implementation:
                continue
            for r in rep.results:
                if r.id != e.id:
                    continue
                used.add(e)
                if r.status in ("fail", "error"):
                    r.status = "skip"
                    r.message = f"xfail (expected failure): {r.message}"
                elif r.status in ("pass", "warn"):
                    r.status = "warn"
                    r.message = "XPASS: listed as an expected failure but passed"
                    notes.append(f"{rep.implementation}: {r.id} passed unexpectedly (XPASS)")
    for e in entries:
        if e not in used and not any(rep.interrupted for rep in reports):
            notes.append(f"line {e.line}: {e.id!r} matches no check (stale entry?)")
    return notes
