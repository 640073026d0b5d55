"""``gradspec verify``: run the whole conformance suite on the built-in implementations."""

from __future__ import annotations

import argparse
import sys

from gradspec.errors import EXIT_FAIL, EXIT_INTERRUPTED, EXIT_OK, UsageError, writable_path

BACKENDS = ("numpy", "jax", "jax:cpu", "jax:gpu", "jax-autodiff", "all")
PROFILES = ("quick", "ci", "thorough")


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
    p.add_argument("--profile", default="ci", help="quick, ci (default) or thorough")
    p.add_argument(
        "--only",
        action="append",
        metavar="GROUP",
        help="activations, costs, pairs or network (repeatable)",
    )
    p.add_argument(
        "--dtype",
        action="append",
        metavar="DTYPE",
        help="float32 or float64 (default both; repeatable)",
    )
    p.add_argument("--json", metavar="FILE", help="write a JSON report")
    p.add_argument("--junitxml", metavar="FILE", help="write a JUnit XML report")
    p.add_argument("-v", "--verbose", action="store_true", help="print warnings in full")
    p.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 on any warning too (default: only on failures)",
    )
    p.set_defaults(func=run)


def _validate(args: argparse.Namespace) -> list[str]:
    if args.profile not in PROFILES:
        raise UsageError(f"unknown profile {args.profile!r}; choose from {', '.join(PROFILES)}")
    backends = [b.strip() for b in args.backend.split(",")]
    for b in backends:
        if b not in BACKENDS:
            raise UsageError(f"unknown backend {b!r}; choose from {', '.join(BACKENDS)}")
    if "all" in backends:
        backends = ["numpy", "jax", "jax-autodiff"]
    from gradspec.conformance.runner import GROUPS

    for g in args.only or ():
        if g not in GROUPS:
            raise UsageError(f"unknown group {g!r}; choose from {', '.join(GROUPS)}")
    for d in args.dtype or ():
        if d not in ("float32", "float64"):
            raise UsageError(f"unknown dtype {d!r}; choose from float32, float64")
    for path in (args.json, args.junitxml):
        if path:
            writable_path(path)
    return backends


def run(args: argparse.Namespace) -> int:
    backends = _validate(args)
    from gradspec.conformance.progress import progress_bar
    from gradspec.conformance.report import render_table, write_json, write_junit
    from gradspec.conformance.runner import verify_namespace
    from gradspec.conformance.targets.builtins import builtin

    targets = [builtin(b) for b in backends]  # UsageError for jax:gpu without a GPU
    reports = []
    dtypes = tuple(args.dtype or ("float64", "float32"))
    try:
        for target in targets:
            with progress_bar(target.label) as bar:
                rep = verify_namespace(
                    target.namespace,
                    target.label,
                    profile=args.profile,
                    dtypes=dtypes,
                    only=args.only,
                    networks=target.networks,
                    progress=bar,
                )
            reports.append(rep)
            if rep.interrupted:
                break
    finally:
        if reports:
            if args.json:
                write_json(reports, args.json)
            if args.junitxml:
                write_junit(reports, args.junitxml)
    render_table(reports, verbose=args.verbose)
    if len(reports) > 1:
        from gradspec.conformance.report import overall_verdict

        verdict = overall_verdict(reports)
        total = sum(len(r.results) for r in reports)
        warned = sum(len(r.warned) for r in reports)
        secs = sum(r.seconds for r in reports)
        label = {"pass": "PASS", "warn": "PASS with warnings", "fail": "FAIL"}[verdict]
        print(
            f"{label}: {len(reports)} implementations, {total} checks, {warned} warned, "
            f"{secs:.1f} s",
            file=sys.stdout,
        )
    if any(r.interrupted for r in reports):
        return EXIT_INTERRUPTED
    return EXIT_OK if all(r.passes(args.strict) for r in reports) else EXIT_FAIL
