"""The options ``gradspec verify``, ``check`` and ``audit`` share, declared once, and their
translation into one validated :class:`gradspec.conformance.options.Options`."""

from __future__ import annotations

import argparse
import os

from gradspec.conformance.options import (
    DEFAULT_DEVICE,
    DEFAULT_DTYPES,
    DEFAULT_PROFILE,
    DTYPES,
    GROUPS,
    PROFILES,
    Options,
)
from gradspec.conformance.xfail import read_xfail_file
from gradspec.errors import UsageError, writable_dir, writable_path


def add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--profile",
        default=DEFAULT_PROFILE,
        help=f"{', '.join(PROFILES)} (default {DEFAULT_PROFILE})",
    )
    p.add_argument(
        "--only",
        action="append",
        metavar="GROUP",
        help=f"{', '.join(GROUPS)} (repeatable; default all)",
    )
    p.add_argument(
        "--dtype",
        action="append",
        metavar="DTYPE",
        help=f"{', '.join(DTYPES)} (repeatable or comma-separated; default "
        f"{' and '.join(DEFAULT_DTYPES)})",
    )
    p.add_argument("--json", metavar="FILE", help="write a JSON report")
    p.add_argument("--junitxml", metavar="FILE", help="write a JUnit XML report")
    p.add_argument(
        "--html",
        metavar="FILE",
        help="write a self-contained HTML report (matrix, failures with figures, reproducers)",
    )
    p.add_argument(
        "--plot",
        metavar="DIR",
        help="write the report's figures of failing and warned checks as PNG files into DIR",
    )
    p.add_argument(
        "--xfail-file",
        metavar="FILE",
        help="expected failures: one check id per line, '*' wildcards, optionally "
        "'label::id'; '#' comments",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="print warnings in full")
    p.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 on any warning too (default: only on failures)",
    )


def add_device_option(p: argparse.ArgumentParser) -> None:
    """``--device`` (``gradspec check`` and ``gradspec audit``): where torch / JAX tensors
    live."""
    p.add_argument(
        "--device",
        default=DEFAULT_DEVICE,
        help="where torch / JAX tensors live: cpu (default), cuda, cuda:1, or a JAX platform "
        "such as gpu; ignored for NumPy candidates",
    )


def options_from_args(
    args: argparse.Namespace, timeout: float | None = None, device: str | None = None
) -> Options:
    """Validated options (UsageError, one line, for anything wrong), output paths checked."""
    for path in (args.json, args.junitxml, args.html):
        if path:
            writable_path(path)
    if args.plot:
        writable_dir(args.plot)
    xfails = ()
    if args.xfail_file:
        if not os.path.isfile(args.xfail_file):
            raise UsageError(f"{args.xfail_file}: no such xfail file")
        xfails = tuple(read_xfail_file(args.xfail_file))
    return Options.make(
        profile=args.profile,
        dtypes=args.dtype,
        only=args.only,
        timeout=timeout,
        strict=args.strict,
        xfails=xfails,
        device=device,
    )
