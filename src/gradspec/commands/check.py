"""``gradspec check TARGET...``: check third-party implementations, diagnose their bugs.

Exit 0 when every candidate passes, 1 on a conformance failure, 2 when a candidate cannot be
checked at all (missing file, import error, nothing checkable) or the options are wrong,
130 when interrupted (the partial report is still written).
"""

from __future__ import annotations

import argparse
import os
import sys

from rich.console import Console
from rich.table import Table

from gradspec.commands._run_options import add_device_option, add_run_options, options_from_args
from gradspec.conformance.options import DEFAULT_TIMEOUT
from gradspec.errors import EXIT_INTERRUPTED, UsageError


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
    add_run_options(p)
    p.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help=f"seconds per call (default {DEFAULT_TIMEOUT:g})",
    )
    add_device_option(p)
    p.add_argument("-j", "--jobs", type=int, default=1, help="candidates checked in parallel")
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="check each candidate as a task on a Dask cluster: tcp://HOST:PORT of a running "
        "scheduler, or local[:N] to start N local workers (needs gradspec[dask])",
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


def run(args: argparse.Namespace) -> int:
    if args.jobs < 1:
        raise UsageError(f"-j must be at least 1, got {args.jobs}")
    if args.scheduler and args.jobs != 1:
        raise UsageError("-j and --scheduler exclude each other (the cluster sets the parallelism)")
    options = options_from_args(args, timeout=args.timeout, device=args.device)
    from gradspec.conformance.targets import warm

    warm.enable()  # workers forked from a server that has numpy, torch and jax imported
    if len(args.targets) == 1 and not args.scheduler:
        from gradspec.conformance.targets.isolation import prestart

        # the candidate's imports (numpy, torch, jax) run in its worker during the engine's
        prestart(args.targets[0], timeout=options.timeout, device=options.device)
    # The engine is imported when a command runs, so that ``gradspec --help`` starts at once.
    from gradspec.conformance import xfail
    from gradspec.conformance.api import check_with
    from gradspec.conformance.progress import progress_bar
    from gradspec.conformance.report import (
        exit_code,
        render_table,
        write_html,
        write_json,
        write_junit,
    )

    targets = expand_targets(args.targets)
    reports, interrupted = [], False
    try:
        if args.scheduler:
            reports, interrupted = _run_many(targets, args.jobs, options, args.scheduler)
        elif len(targets) == 1:
            with progress_bar(os.path.basename(targets[0])) as bar:
                reports = [check_with(targets[0], options, progress=bar)]
        else:
            reports, interrupted = _run_many(targets, args.jobs, options)
    finally:
        if reports:
            if args.json:
                write_json(reports, args.json)
            if args.junitxml:
                write_junit(reports, args.junitxml)
            if args.html or args.plot:
                write_html(reports, args.html, args.plot, getattr(args, "argv", None))
    if len(targets) == 1 and reports and not reports[0].error:
        render_table(reports, verbose=args.verbose)
    elif len(targets) > 1 or args.scheduler:
        if args.verbose:
            render_table([r for r in reports if not r.error], verbose=True)
        summary_table(reports)
    for n in xfail.notes(reports, options.xfails):
        print(f"xfail: {n}", file=sys.stderr)
    code = exit_code(reports, options.strict, interrupted)
    if code == EXIT_INTERRUPTED:
        print("interrupted: the report is partial", file=sys.stderr)
    return code


def _run_many(targets: list[str], jobs: int, options, scheduler: str | None = None):
    """Many candidates: ``jobs`` processes here, or one task each on a Dask cluster."""
    from gradspec.conformance.api import check_many

    def done(i: int, rep) -> None:
        verdict = "ERROR" if rep.error else rep.verdict.upper()
        notes = "".join(f" ({n})" for n in rep.notes)
        line = f"[{i + 1}/{len(targets)}] {targets[i]}: {verdict}{notes}"
        print(line, file=sys.stderr, flush=True)

    if scheduler:
        from gradspec.conformance.cluster import check_on_cluster

        return check_on_cluster(targets, scheduler, options=options, on_done=done)
    return check_many(targets, jobs=jobs, on_done=done, options=options)


def summary_table(reports: list) -> None:
    """One row per candidate: verdict, failed checks, diagnoses."""

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
