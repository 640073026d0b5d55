"""``gradspec derive``: render the whole spec (formulas, derivatives, domains, kinks, pairs)."""

from __future__ import annotations

import argparse
import sys

from gradspec.errors import UsageError, writable_path


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("derive", help="render the spec and its SymPy derivations")
    p.add_argument("--format", default="markdown", help="markdown (default), latex or json")
    p.add_argument("--out", help="write to FILE instead of standard output")
    p.add_argument("--only", metavar="NAME", help="one activation, cost or pair (act+cost)")
    p.add_argument("--refresh", action="store_true", help="re-derive, ignoring the cache")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from gradspec.derivations import render

    if args.format not in render.FORMATS:
        raise UsageError(f"unknown format {args.format!r}; choose from {', '.join(render.FORMATS)}")
    if args.out:
        writable_path(args.out)
    from gradspec.derivations import load

    d = load(refresh=args.refresh)
    text = _one(args.only, args.format, d) if args.only else render.render(args.format, d)
    if args.out:
        try:
            with open(args.out, "w") as fh:
                fh.write(text)
        except OSError as exc:
            raise UsageError(f"cannot write {args.out}: {exc.strerror}") from None
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _one(name: str, fmt: str, d: object) -> str:
    import json

    from gradspec.derivations.render import as_dict

    data = as_dict(d)
    for section in ("activations", "costs", "pairs"):
        for row in data[section]:
            if row["name"] == name or name in row.get("aliases", []):
                if fmt == "json":
                    return json.dumps(row, indent=2) + "\n"
                return "\n".join(f"{k}: {v}" for k, v in row.items()) + "\n"
    raise UsageError(
        f"unknown function {name!r}; see `gradspec derive --format json` for the names"
    )
