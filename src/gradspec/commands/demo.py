"""``gradspec demo NAME``: run one of the classic teaching systems and write its figures."""

from __future__ import annotations

import argparse
import os
import sys

from gradspec.errors import UsageError, writable_dir

#: Kept in step with gradspec.demos.DEMOS (not imported here: that would pull in matplotlib
#: for every `gradspec --help`).
NAMES = ("xor", "chain-rule", "iris-neuron", "descent")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="run a classic teaching system (" + ", ".join(NAMES) + ")",
        description="Run a classic teaching system, print its results and the files it wrote.",
    )
    p.add_argument("name", metavar="NAME", help="one of: " + ", ".join(NAMES))
    p.add_argument("--out", metavar="DIR", help="output folder (default ./gradspec-out/NAME)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from gradspec import demos

    if args.name not in demos.DEMOS:
        raise UsageError(f"unknown demo {args.name!r}; choose from {', '.join(demos.DEMOS)}")
    out = args.out or os.path.join("gradspec-out", args.name)
    writable_dir(out)
    module = demos.get(args.name)
    try:
        result = module.run(out, seed=args.seed, progress=True)
    except OSError as exc:  # e.g. the folder became unwritable, disk full
        raise UsageError(f"cannot write to {out}: {exc.strerror or exc}") from None
    tables = result.data.get("tables")
    if tables:
        from rich.console import Console

        console = Console()
        for table in tables:
            console.print(table)
    for line in result.lines:
        print(line)
    for path in result.paths:
        print(f"wrote {path}")
    print(f"{args.name}: done in {result.seconds:.1f} s")
    sys.stdout.flush()
    return 0
