"""``gradspec verify``: run the whole conformance suite on the built-in implementations."""

from __future__ import annotations

import argparse
import os
import sys
import time

from gradspec.commands._run_options import add_run_options, options_from_args
from gradspec.errors import UsageError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "verify",
        help="check the built-in implementations (NumPy reference, JAX) against the spec",
        description="Run every conformance check on the built-in implementations. "
        "Exit 0 if nothing failed (warnings allowed; --strict: none either), 1 on a "
        "conformance failure, 2 on a usage error.",
    )
    p.add_argument(
        "--backend",
        default="numpy,jax",
        help="numpy, jax (default device), jax:cpu, jax:gpu, jax-autodiff (JAX with every "
        "derivative by autodiff), all (the three), or a comma-separated list "
        "(default: numpy,jax)",
    )
    add_run_options(p)
    p.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=None,
        help="backends verified in parallel, each in its own process (default: one per "
        "backend, up to the number of cores; 1: one after the other, with a progress bar)",
    )
    p.set_defaults(func=run)


def _backends(spec: str) -> list[str]:
    from gradspec.conformance.targets.builtins import ALL, BACKENDS

    backends = [b.strip() for b in spec.split(",")]
    for b in backends:
        if b not in (*BACKENDS, "all"):
            raise UsageError(f"unknown backend {b!r}; choose from {', '.join(BACKENDS)}, all")
    return list(ALL) if "all" in backends else backends


def run(args: argparse.Namespace) -> int:
    # The engine is imported when a command runs, so that ``gradspec --help`` starts at once.
    from gradspec.conformance import runner, xfail
    from gradspec.conformance.progress import progress_bar
    from gradspec.conformance.report import (
        exit_code,
        overall_verdict,
        render_table,
        write_html,
        write_json,
        write_junit,
    )
    from gradspec.conformance.targets.builtins import builtin

    backends = _backends(args.backend)
    options = options_from_args(args)
    jobs = min(len(backends), os.cpu_count() or 1) if args.jobs is None else args.jobs
    if jobs < 1:
        raise UsageError(f"-j must be at least 1, got {jobs}")
    reports = []
    interrupted = False
    start = time.perf_counter()
    try:
        if jobs > 1 and len(backends) > 1:
            for b in backends:  # a device that is not here: the one-line error, first
                if b.startswith("jax:"):
                    builtin(b)
            reports, interrupted = _in_parallel(backends, jobs, options)
        else:
            targets = [builtin(b) for b in backends]  # UsageError for jax:gpu without a GPU
            for target in targets:
                with progress_bar(target.label) as bar:
                    rep = runner.run(target, options, progress=bar)
                reports.append(rep)
                if rep.interrupted:
                    break
    finally:
        if reports:
            if args.json:
                write_json(reports, args.json)
            if args.junitxml:
                write_junit(reports, args.junitxml)
            if args.html or args.plot:
                write_html(reports, args.html, args.plot, getattr(args, "argv", None))
    render_table(reports, verbose=args.verbose)
    if len(reports) > 1:
        verdict = overall_verdict(reports)
        total = sum(len(r.results) for r in reports)
        warned = sum(len(r.warned) for r in reports)
        wall = time.perf_counter() - start
        label = {"pass": "PASS", "warn": "PASS with warnings", "fail": "FAIL"}[verdict]
        print(
            f"{label}: {len(reports)} implementations, {total} checks, {warned} warned, "
            f"{wall:.1f} s",
            file=sys.stdout,
        )
    for n in xfail.notes(reports, options.xfails):
        print(f"xfail: {n}", file=sys.stderr)
    return exit_code(reports, options.strict, interrupted)


def _in_parallel(backends: list[str], jobs: int, options) -> tuple[list, bool]:
    """Each backend in its own process; a line on stderr as each one finishes.  A backend
    that cannot run here (``jax:gpu`` without a GPU) is a usage error, as in one process."""
    from gradspec.conformance.api import verify_many

    def done(i: int, rep) -> None:
        verdict = "ERROR" if rep.error else rep.verdict.upper()
        print(f"{backends[i]}: {verdict} ({rep.seconds:.1f} s)", file=sys.stderr, flush=True)

    print(
        f"verifying {', '.join(backends)} in {min(jobs, len(backends))} processes...",
        file=sys.stderr,
        flush=True,
    )
    reports, interrupted = verify_many(backends, jobs=jobs, on_done=done, options=options)
    errors = [r.error for r in reports if r.error]
    if errors:
        raise UsageError(errors[0])
    return reports, interrupted
