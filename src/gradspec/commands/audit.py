"""``gradspec audit LIBRARY``: the spec run against a library's own public functions.

Exit 0 when nothing failed (warnings allowed; ``--strict``: none either), 1 when some library
function fails a check, 2 for an unknown or absent library, a device or dtype it does not
have, or other bad options; 130 when interrupted.
"""

from __future__ import annotations

import argparse
import sys

from gradspec.commands._run_options import add_device_option, add_run_options, options_from_args
from gradspec.errors import writable_dir

#: The libraries with an adapter (conformance/audits/); kept here too so that ``gradspec
#: --help`` does not import the engine.
LIBRARIES = ("torch", "jax")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "audit",
        help="run the spec against a library's own functions (torch, jax) and print the "
        "conformance matrix",
        description="Audit a library's own public activations and costs (the library call "
        "with the spec's conventions, every derivative by the library's autodiff) in each "
        "dtype it supports: a matrix function x check x dtype and every finding with its "
        "numbers and a reproducer.  Exit 0 if nothing failed, 1 on a failure, 2 on a usage "
        "error.",
    )
    p.add_argument("library", metavar="LIBRARY", help=f"{' or '.join(LIBRARIES)}")
    add_run_options(p)
    add_device_option(p)
    p.add_argument(
        "--out",
        metavar="DIR",
        help="write audit-<library>.md and audit-<library>.json into DIR",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # The engine (and the library) is imported when the command runs, so that ``gradspec
    # --help`` starts at once.
    from gradspec.conformance import xfail
    from gradspec.conformance.audits import render
    from gradspec.conformance.audits.audit import library, run_audit
    from gradspec.conformance.progress import progress_bar
    from gradspec.conformance.report import exit_code, write_junit

    lib = library(args.library)  # UsageError before any option is acted on
    options = options_from_args(args, device=args.device)
    if args.out:
        writable_dir(args.out)
    with progress_bar(f"audit {lib.name}") as bar:
        audit = run_audit(lib.name, options, progress=bar)
    if args.json:
        render.write_json(audit, args.json)
    if args.junitxml:
        write_junit([audit.report], args.junitxml)
    if args.html or args.plot:
        render.write_html(audit, args.html, args.plot, getattr(args, "argv", None))
    if args.out:
        for path in render.write(audit, args.out):
            print(f"wrote {path}", file=sys.stderr)
    render.render(audit, verbose=args.verbose)
    for n in xfail.notes([audit.report], options.xfails):
        print(f"xfail: {n}", file=sys.stderr)
    return exit_code([audit.report], options.strict)
