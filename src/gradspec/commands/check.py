"""``gradspec check TARGET...``: check third-party implementations, diagnose their bugs.

Exit 0 when every candidate passes, 1 on a conformance failure, 2 when a candidate cannot be
checked at all (missing file, import error, nothing checkable) or the options are wrong,
130 when interrupted (the partial report is still written).
"""

from __future__ import annotations

import argparse
import os
import sys

from gradspec.errors import (
    EXIT_FAIL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    writable_path,
)

PROFILES = ("quick", "ci", "thorough")
GROUPS = ("activations", "costs", "network")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check",
        help="check your own activations, costs or network (files or modules) against the spec",
        description="Check candidate implementations (a .py file, a folder of them or an "
        "importable module) by the protocol of docs/check.md. Exit 0 when nothing failed "
        "(warnings allowed; --strict: none either), 1 conformance failure, 2 usage or "
        "loading error.",
    )
    p.add_argument("targets", nargs="+", metavar="TARGET", help=".py file, folder or module")
    p.add_argument("--only", action="append", metavar="GROUP", help="activations, costs or network")
    p.add_argument("--profile", default="ci", help="quick, ci (default) or thorough")
    p.add_argument("--json", metavar="FILE", help="write a JSON report (combined for many)")
    p.add_argument("--junitxml", metavar="FILE", help="write a JUnit XML report")
    p.add_argument(
        "--xfail-file",
        metavar="FILE",
        help="expected failures: one check id per line (optionally 'candidate::id'); '#' comments",
    )
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per call (default 10)")
    p.add_argument("-j", "--jobs", type=int, default=1, help="candidates checked in parallel")
    p.add_argument("-v", "--verbose", action="store_true", help="full tables and warnings")
    p.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 on any warning too (default: only on failures)",
    )
    p.set_defaults(func=run)


def expand_targets(targets: list[str]) -> list[str]:
    """Folders become their ``.py`` files (not ``_private.py``), files and modules stay."""
    out: list[str] = []
    for t in targets:
        if os.path.isdir(t):
            files = sorted(
                os.path.join(t, f)
                for f in os.listdir(t)
                if f.endswith(".py") and not f.startswith(("_", "."))
            )
            if not files:
                raise UsageError(f"{t}: folder holds no .py files")
            out += files
        else:
            out.append(t)
    return out


def _validate(args: argparse.Namespace) -> list[str]:
    if args.profile not in PROFILES:
        raise UsageError(f"unknown profile {args.profile!r}; choose from {', '.join(PROFILES)}")
    for g in args.only or ():
        if g not in GROUPS:
            raise UsageError(f"unknown group {g!r}; choose from {', '.join(GROUPS)}")
    if not args.timeout > 0:
        raise UsageError(f"--timeout must be positive, got {args.timeout}")
    if args.jobs < 1:
        raise UsageError(f"-j must be at least 1, got {args.jobs}")
    for path in (args.json, args.junitxml):
        if path:
            writable_path(path)
    if args.xfail_file and not os.path.isfile(args.xfail_file):
        raise UsageError(f"{args.xfail_file}: no such xfail file")
    return expand_targets(args.targets)


def run(args: argparse.Namespace) -> int:
    targets = _validate(args)
    from gradspec.conformance.report import render_table, write_json, write_junit
    from gradspec.conformance.xfail import apply_xfails, read_xfail_file

    xfails = read_xfail_file(args.xfail_file) if args.xfail_file else None
    kwargs = {"only": args.only, "profile": args.profile, "timeout": args.timeout}
    reports, interrupted = [], False
    try:
        if len(targets) == 1:
            reports, interrupted = _run_one(targets[0], kwargs)
        else:
            reports, interrupted = _run_many(targets, args.jobs, kwargs)
    finally:
        notes = apply_xfails(reports, xfails) if xfails is not None else []
        if reports:
            if args.json:
                write_json(reports, args.json)
            if args.junitxml:
                write_junit(reports, args.junitxml)
    if len(targets) == 1 and reports and not reports[0].error:
        render_table(reports, verbose=args.verbose)
    elif len(targets) > 1:
        if args.verbose:
            render_table([r for r in reports if not r.error], verbose=True)
        summary_table(reports)
    for n in notes:
        print(f"xfail: {n}", file=sys.stderr)
    if interrupted or any(r.interrupted for r in reports):
        print("interrupted: the report is partial", file=sys.stderr)
        return EXIT_INTERRUPTED
    if len(targets) == 1 and reports and reports[0].error:
        raise UsageError(reports[0].error)
    if any(r.error for r in reports) and not any(r.failed for r in reports):
        return EXIT_USAGE if all(r.error for r in reports) else EXIT_FAIL
    return EXIT_OK if all(r.passes(args.strict) for r in reports) else EXIT_FAIL


def _run_one(target: str, kwargs: dict):
    from gradspec.conformance.api import check
    from gradspec.conformance.progress import progress_bar

    label = os.path.basename(target)
    with progress_bar(label) as bar:
        rep = check(target, progress=bar, **kwargs)
    return [rep], rep.interrupted


def _run_many(targets: list[str], jobs: int, kwargs: dict):
    from gradspec.conformance.api import check_many

    def done(i: int, rep) -> None:
        verdict = "ERROR" if rep.error else rep.verdict.upper()
        print(f"[{i + 1}/{len(targets)}] {targets[i]}: {verdict}", file=sys.stderr, flush=True)

    return check_many(targets, jobs=jobs, on_done=done, **kwargs)


def summary_table(reports: list) -> None:
    """One row per candidate: verdict, failed checks, diagnoses."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title="gradspec check: candidates")
    for col in ("candidate", "verdict", "checks", "warned", "failed", "diagnoses"):
        table.add_column(col)
    for rep in reports:
        if rep.error:
            table.add_row(rep.implementation, "[red]ERROR[/]", "", "", "", rep.error[:120])
            continue
        failed = rep.failed
        sigs = sorted({d.split(":", 1)[0] for r in failed for d in r.diagnosis})
        style = {"pass": "[green]PASS[/]", "warn": "[yellow]WARN[/]", "fail": "[red]FAIL[/]"}
        table.add_row(
            rep.implementation,
            style[rep.verdict],
            str(len(rep.results)),
            str(len(rep.warned)),
            ", ".join(r.id for r in failed[:4]) + (" ..." if len(failed) > 4 else ""),
            ", ".join(sigs),
        )
    console.print(table)
    ok = sum(r.ok for r in reports)
    warned = sum(r.ok and bool(r.warned) for r in reports)
    print(f"{ok} of {len(reports)} candidates pass ({warned} of them with warnings)")
