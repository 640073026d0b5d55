"""The ``gradspec`` command line: a thin dispatcher over one module per sub-command.

Each module in :mod:`gradspec.commands` defines ``add_parser(subparsers)`` and ``run(args) ->
int``.  Exit codes: 0 success, 1 conformance failure, 2 usage or loading error.  Errors the
user can fix are raised as :class:`gradspec.errors.UsageError` and printed as one line.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from gradspec import __version__
from gradspec.errors import EXIT_INTERRUPTED, EXIT_USAGE, UsageError

#: Sub-command name -> module under gradspec.commands.  Imported lazily: ``gradspec derive``
#: must not pay for importing JAX.
COMMANDS = {
    "derive": "derive",
    "verify": "verify",
    "check": "check",
    "audit": "audit",
    "demo": "demo",
    "bench": "bench",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, no usage dump
        sys.stderr.write(f"gradspec: error: {message}\n")
        raise SystemExit(EXIT_USAGE)


def _available() -> dict[str, object]:
    mods = {}
    for name, module in COMMANDS.items():
        try:
            mods[name] = importlib.import_module(f"gradspec.commands.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"gradspec.commands.{module}":
                raise
    return mods


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="gradspec", description=__doc__.splitlines()[0])

    parser.add_argument("--version", action="version", version=f"gradspec {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for mod in _available().values():
        mod.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # The command as given, for reports that say what produced them (the HTML page).
    args.argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return int(args.func(args) or 0)
    except UsageError as exc:
        sys.stderr.write(f"gradspec: error: {exc}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("gradspec: interrupted\n")
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    raise SystemExit(main())
