"""Reports: the terminal table and summary, JSON, and JUnit XML."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

from gradspec.errors import EXIT_FAIL, EXIT_OK

from .results import CheckResult


@dataclass
class Report:
    """All results for one implementation."""

    implementation: str
    profile: str
    results: list[CheckResult] = field(default_factory=list)
    found: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    interrupted: bool = False
    error: str = ""  # the implementation could not be checked at all

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in ("pass", "warn", "fail", "error", "skip")}
        for r in self.results:
            out[r.status] = out.get(r.status, 0) + 1
        return out

    @property
    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if r.status in ("fail", "error")]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.error and not self.problems

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.ok else EXIT_FAIL

    def summary_line(self) -> str:
        c = self.counts()
        verdict = "PASS" if self.ok else "FAIL"
        if self.interrupted:
            verdict += " (interrupted: partial)"
        examples = sum(r.examples for r in self.results)
        return (
            f"{self.implementation}: {verdict}: {c['pass']} passed, {c['fail']} failed, "
            f"{c['error']} errors, {c['warn']} warnings, {c['skip']} skipped "
            f"({len(self.results)} checks, {examples} examples, {self.seconds:.1f} s)"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "implementation": self.implementation,
            "profile": self.profile,
            "verdict": "pass" if self.ok else "fail",
            "interrupted": self.interrupted,
            "error": self.error,
            "counts": self.counts(),
            "seconds": round(self.seconds, 3),
            "found": self.found,
            "missing": self.missing,
            "problems": self.problems,
            "results": [r.as_dict() for r in self.results],
        }


def write_json(reports: list[Report], path: str) -> None:
    data = {
        "gradspec_report": 1,
        "verdict": "pass" if all(r.ok for r in reports) else "fail",
        "implementations": [r.as_dict() for r in reports],
    }
    with open(path, "w") as fh:
        json.dump(data, fh, indent=2, allow_nan=False, default=str)
        fh.write("\n")


def write_junit(reports: list[Report], path: str) -> None:
    """JUnit XML: one testsuite per implementation, one testcase per check."""
    root = ET.Element("testsuites", name="gradspec")
    for rep in reports:
        c = rep.counts()
        suite = ET.SubElement(
            root,
            "testsuite",
            name=rep.implementation,
            tests=str(len(rep.results)),
            failures=str(c["fail"]),
            errors=str(c["error"]),
            skipped=str(c["skip"]),
            time=f"{rep.seconds:.3f}",
        )
        for r in rep.results:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"{rep.implementation}.{r.check}",
                name=r.id,
                time=f"{r.seconds:.4f}",
            )
            text = "\n".join(
                x
                for x in (
                    r.message,
                    r.worst.describe() if r.worst else "",
                    "\n".join(r.diagnosis),
                    r.reproducer,
                )
                if x
            )
            if r.status == "fail":
                ET.SubElement(case, "failure", message=r.message[:500]).text = text
            elif r.status == "error":
                ET.SubElement(case, "error", message=r.message[:500]).text = text
            elif r.status == "skip":
                ET.SubElement(case, "skipped", message=r.message[:500])
            elif r.status == "warn":
                ET.SubElement(case, "system-out").text = f"warning: {r.message}"
        if rep.error:
            case = ET.SubElement(suite, "testcase", classname=rep.implementation, name="load")
            ET.SubElement(case, "error", message=rep.error[:500]).text = rep.error
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def render_table(reports: list[Report], *, console: Any = None, verbose: bool = False) -> None:
    """A rich table per implementation: function or pair x check -> status and worst error,
    then every failure in full (message, worst element, diagnosis, reproducer)."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    colour = {"pass": "green", "warn": "yellow", "fail": "red", "error": "red", "skip": "dim"}
    for rep in reports:
        table = Table(title=f"{rep.implementation} ({rep.profile} profile)")
        table.add_column("function / pair", overflow="fold")
        table.add_column("checks", justify="right")
        table.add_column("worst (eps-units)", justify="right")
        table.add_column("not passing", overflow="fold")
        rows: dict[str, list[CheckResult]] = {}
        for r in rep.results:
            rows.setdefault(r.subject, []).append(r)
        for subject, rs in rows.items():
            passed = sum(r.status == "pass" for r in rs)
            units = [r.worst.units for r in rs if r.worst is not None and r.status != "fail"]
            worst = f"{max(units):.3g}" if units else "-"
            bad = [
                f"[{colour[r.status]}]{r.check}:{r.dtype.replace('float', 'f')} {r.status}[/]"
                for r in rs
                if r.status != "pass"
            ]
            style = (
                "red"
                if any(r.status in ("fail", "error") for r in rs)
                else ("yellow" if any(r.status == "warn" for r in rs) else "green")
            )
            table.add_row(subject, f"[{style}]{passed}/{len(rs)}[/]", worst, " ".join(bad))
        if rep.results:
            console.print(table)
            console.print(
                "[dim]worst: largest error of a passing check, in units of the "
                "dtype's eps times the condition at the input "
                "(docs/tolerances.md)[/]"
            )
        if rep.missing:
            console.print(f"not defined (not checked): {', '.join(rep.missing)}")
        for p in rep.problems:
            console.print(f"[red]problem:[/] {p}")
        if rep.error:
            console.print(f"[red]error:[/] {rep.error}")
        for r in rep.results:
            if r.status in ("fail", "error") or (verbose and r.status == "warn"):
                console.print(f"\n[bold {colour[r.status]}]{r.status.upper()} {r.id}[/]")
                if r.message:
                    console.print(f"  {r.message}", markup=False, highlight=False)
                for d in r.diagnosis:
                    console.print(f"  [bold]diagnosis:[/] {d}")
                if r.reproducer:
                    console.print("  reproduce:", highlight=False)
                    for line in r.reproducer.splitlines():
                        console.print(f"    {line}", markup=False, highlight=False)
        warned = [r for r in rep.results if r.status == "warn"]
        if warned and not verbose:
            console.print(
                f"\n{len(warned)} warning(s): "
                + "; ".join(f"{r.id}: {r.message[:120]}" for r in warned[:5]),
                markup=False,
            )
        console.print(("[green]" if rep.ok else "[red]") + rep.summary_line() + "[/]")
