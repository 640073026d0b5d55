"""Reports: the terminal table and summary, JSON, JUnit XML and the HTML page (rendered from
the JSON's data, :mod:`.html`)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from gradspec.conformance import html  # light: matplotlib is imported when a figure is drawn
from gradspec.conformance.engine.results import CheckResult
from gradspec.conformance.options import STATUSES
from gradspec.errors import EXIT_FAIL, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE


@dataclass
class Report:
    """All results for one implementation."""

    implementation: str
    profile: str
    results: list[CheckResult] = field(default_factory=list)
    found: list[str] = field(default_factory=list)
    #: How each derivative the code does not write was taken: {"gelu_der": "torch.autograd"}.
    routes: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    #: How the code was read (a torch module's parameters, a reference comparison made or
    #: not and why) and how the run went (a cluster worker lost and the check run again):
    #: information for the reader, never part of the verdict.
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    interrupted: bool = False
    error: str = ""  # the implementation could not be checked at all

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in STATUSES}
        for r in self.results:
            out[r.status] = out.get(r.status, 0) + 1
        return out

    @property
    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if r.status in ("fail", "error")]

    @property
    def xfailed(self) -> list[CheckResult]:
        """Failures listed as expected (an xfail file): reported, not failing the run."""
        return [r for r in self.results if r.status == "xfail"]

    @property
    def warned(self) -> list[CheckResult]:
        return [r for r in self.results if r.status == "warn"]

    @property
    def ok(self) -> bool:
        """No wrong math: nothing failed (warnings allowed)."""
        return not self.failed and not self.error and not self.problems

    @property
    def verdict(self) -> str:
        """``pass``, ``warn`` (right math, something a careful implementer wants to know) or
        ``fail``."""
        if not self.ok:
            return "fail"
        return "warn" if self.warned else "pass"

    def passes(self, strict: bool = False) -> bool:
        """``strict``: a warning counts as a failure (``--strict``)."""
        return self.ok and not (strict and self.warned)

    def exit_code(self, strict: bool = False) -> int:
        return EXIT_OK if self.passes(strict) else EXIT_FAIL

    def summary_line(self) -> str:
        c = self.counts()
        verdict = {"pass": "PASS", "warn": "PASS with warnings", "fail": "FAIL"}[self.verdict]
        if self.interrupted:
            verdict += " (interrupted: partial)"
        examples = sum(r.examples for r in self.results)
        return (
            f"{self.implementation}: {verdict}: {c['pass']} passed, {c['warn']} warned, "
            f"{c['fail']} failed, {c['error']} errors, {c['skip']} skipped"
            + (f", {c['xfail']} xfailed" if c["xfail"] else "")
            + " "
            f"({len(self.results)} checks, {examples} examples, {self.seconds:.1f} s)"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "implementation": self.implementation,
            "profile": self.profile,
            "verdict": self.verdict,
            "interrupted": self.interrupted,
            "error": self.error,
            "counts": self.counts(),
            "seconds": round(self.seconds, 3),
            "found": self.found,
            "routes": self.routes,
            "missing": self.missing,
            "problems": self.problems,
            "notes": self.notes,
            "results": [r.as_dict() for r in self.results],
        }


def exit_code(reports: list[Report], strict: bool = False, interrupted: bool = False) -> int:
    """The exit code of a run over ``reports``: 130 interrupted, 2 when no candidate could
    be checked at all, 1 on a failure (or an error loading some candidate, or with
    ``strict`` a warning), else 0."""
    if interrupted or any(r.interrupted for r in reports):
        return EXIT_INTERRUPTED
    if reports and all(r.error for r in reports):
        return EXIT_USAGE
    return EXIT_OK if all(r.passes(strict) for r in reports) else EXIT_FAIL


def overall_verdict(reports: list[Report]) -> str:
    verdicts = {r.verdict for r in reports}
    return "fail" if "fail" in verdicts else ("warn" if "warn" in verdicts else "pass")


def report_data(reports: list[Report]) -> dict[str, Any]:
    """The report as data: what the JSON holds and the HTML page is rendered from."""
    return {
        "gradspec_report": 1,
        "verdict": overall_verdict(reports),
        "implementations": [r.as_dict() for r in reports],
    }


def write_json(reports: list[Report], path: str) -> None:
    data = report_data(reports)
    with open(path, "w") as fh:
        json.dump(data, fh, indent=2, allow_nan=False, default=str)
        fh.write("\n")


def write_html(
    reports: list[Report],
    path: str | None,
    plot_dir: str | None = None,
    argv: list[str] | None = None,
) -> list[str]:
    """The HTML page (``--html``) and its figures as PNG files (``--plot``), rendered from
    :func:`report_data`, the JSON's data; ``argv``: the command's arguments, shown in the
    page.  The PNG paths written."""
    return html.write_html(report_data(reports), path, plot_dir=plot_dir, argv=argv)


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
            skipped=str(c["skip"] + c["xfail"]),
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
            elif r.status == "xfail":
                # As pytest writes an expected failure: skipped, of type xfail.
                ET.SubElement(case, "skipped", type="xfail", message=r.message[:500]).text = text
                props = ET.SubElement(case, "properties")
                ET.SubElement(props, "property", name="gradspec.status", value="xfail")
            elif r.status == "warn":
                # A warning is a passing test that carries its message.
                props = ET.SubElement(case, "properties")
                ET.SubElement(props, "property", name="gradspec.status", value="warn")
                ET.SubElement(case, "system-out").text = "\n".join(
                    f"warning: {w}" for w in (r.warnings or [r.message])
                )
        if rep.notes:  # a suite's properties come before its testcases
            props = ET.Element("properties")
            suite.insert(0, props)
            for n in rep.notes:
                ET.SubElement(props, "property", name="gradspec.note", value=n)
        if rep.error:
            case = ET.SubElement(suite, "testcase", classname=rep.implementation, name="load")
            ET.SubElement(case, "error", message=rep.error[:500]).text = rep.error
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def render_table(reports: list[Report], *, console: Any = None, verbose: bool = False) -> None:
    """A rich table per implementation: function or pair x check -> status and worst error,
    then every failure in full (message, worst element, diagnosis, reproducer)."""

    console = console or Console()
    colour = {
        "pass": "green",
        "warn": "yellow",
        "fail": "red",
        "error": "red",
        "skip": "dim",
        "xfail": "magenta",
    }
    for rep in reports:
        table = Table(title=f"{rep.implementation} ({rep.profile} profile)")
        table.add_column("function / pair", overflow="fold")
        table.add_column("checks passed", justify="right")
        table.add_column("worst (eps-units)", justify="right")
        table.add_column("warnings", overflow="fold")
        table.add_column("failed / skipped / xfailed", overflow="fold")
        rows: dict[str, list[CheckResult]] = {}
        for r in rep.results:
            rows.setdefault(r.subject, []).append(r)

        def tag(r: CheckResult) -> str:
            return f"[{colour[r.status]}]{r.check}:{r.dtype.replace('float', 'f')}[/]"

        dtypes = {r.dtype for r in rep.results}

        def tags(rs: list[CheckResult], dtypes: set[str] = dtypes) -> str:
            """Check names once each, with the dtypes when not all of them."""
            by: dict[str, list[str]] = {}
            for r in rs:
                by.setdefault(r.check, []).append(r.dtype.replace("float", "f"))
            return " ".join(
                f"[yellow]{c}[/]" if len(ds) == len(dtypes) else f"[yellow]{c}:{','.join(ds)}[/]"
                for c, ds in by.items()
            )

        for subject, rs in rows.items():
            # A warning passes: it is counted as passed and listed apart from failures.
            passed = sum(r.status in ("pass", "warn") for r in rs)
            units = [r.worst.units for r in rs if r.worst is not None and r.status != "fail"]
            worst = f"{max(units):.3g}" if units else "-"
            warned = tags([r for r in rs if r.status == "warn"])
            bad = [f"{tag(r)} [{colour[r.status]}]{r.status}[/]" for r in rs
                   if r.status in ("fail", "error", "skip", "xfail")]  # fmt: skip
            style = (
                "red"
                if any(r.status in ("fail", "error") for r in rs)
                else ("yellow" if any(r.status == "warn" for r in rs) else "green")
            )
            table.add_row(
                escape(subject), f"[{style}]{passed}/{len(rs)}[/]", worst, warned, " ".join(bad)
            )
        if rep.results:
            console.print(table)
            console.print(
                "[dim]worst: largest error of a passing check, in units of the "
                "dtype's eps times the condition at the input "
                "(docs/tolerances.md)[/]"
            )
        by_route: dict[str, list[str]] = {}
        for name, route in rep.routes.items():
            by_route.setdefault(route, []).append(name)
        for route, names in by_route.items():
            console.print(f"derivatives taken by {route}: {', '.join(sorted(names))}")
        if rep.missing:
            console.print(f"not defined (not checked): {', '.join(rep.missing)}")
        for note in rep.notes:
            console.print(f"note: {note}", markup=False, highlight=False)
        for p in rep.problems:
            console.print(f"[red]problem:[/] {escape(p)}")
        if rep.error:
            console.print(f"[red]error:[/] {rep.error}")
        for r in rep.results:
            if r.status in ("fail", "error") or (verbose and r.status == "warn"):
                console.print(f"\n[bold {colour[r.status]}]{r.status.upper()} {escape(r.id)}[/]")
                if r.message:
                    console.print(f"  {r.message}", markup=False, highlight=False)
                for d in r.diagnosis:
                    console.print(f"  [bold]diagnosis:[/] {escape(d)}")
                if r.reproducer:
                    console.print("  reproduce:", highlight=False)
                    for line in r.reproducer.splitlines():
                        console.print(f"    {line}", markup=False, highlight=False)
        warned = rep.warned
        if warned and not verbose:
            console.print(f"\n{len(warned)} warning(s) (right math; -v shows each in full):")
            for r in warned[:8]:
                console.print(f"  WARN {r.id}: {r.message[:160]}", markup=False, highlight=False)
            if len(warned) > 8:
                console.print(f"  ... and {len(warned) - 8} more", markup=False)
        colour_line = {"pass": "[green]", "warn": "[yellow]", "fail": "[red]"}[rep.verdict]
        console.print(colour_line + rep.summary_line() + "[/]")
