"""``gradspec bench``: time the backends against the GEMM peak and the gradient checkers
against their peers; print a table, write JSON and PNG charts."""

from __future__ import annotations

import argparse
import json
import sys

from gradspec.errors import UsageError, writable_dir, writable_path


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bench",
        help="benchmark network steps, gradient checkers, verify, derivations, JAX compile",
        description="Run the benchmark suite (see benchmarks/README.md): dense-network steps "
        "per backend against the measured GEMM peak, gradient-checker cost against torch and "
        "JAX, verify wall time, SymPy derivation, JAX compile. Ratios are measured in this "
        "one process; absolute times drift between runs.",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="fewer samples, smaller GEMM peak, no slow peers (under ~3 minutes)",
    )
    p.add_argument("--json", metavar="FILE", help="write every measurement as JSON")
    p.add_argument("--plot", metavar="DIR", help="write PNG charts into DIR")
    p.add_argument(
        "--only",
        action="append",
        metavar="SECTION",
        help="steps, training, checks, compile, derivations, verify, gpu, or grading (100 "
        "candidates at -j 1, -j 2 and on a 2-worker Dask cluster: minutes; only when asked "
        "for) (repeatable; the GEMM peak always runs)",
    )
    # Tiny sizes for the unit-test smoke run (tests/test_bench_smoke.py): structure, not speed.
    p.add_argument("--smoke", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from gradspec.benchmarks import suite

    default = [s for s in suite.SECTIONS if s != "peak" and s not in suite.OPT_IN]
    sections = tuple(args.only or default)
    for s in sections:
        if s not in suite.SECTIONS or s == "peak":
            choices = ", ".join(x for x in suite.SECTIONS if x != "peak")
            raise UsageError(f"unknown section {s!r}; choose from {choices}")
    if args.json:
        writable_path(args.json)
    if args.plot:
        writable_dir(args.plot)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    result = suite.run_all(args.quick, sections, log=log, smoke=args.smoke)
    from gradspec.benchmarks import report

    report.print_table(result)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=1, default=float)
            fh.write("\n")
    if args.plot:
        for path in report.plot(result, args.plot):
            log(f"wrote {path}")
    return 0
