"""``gradspec.check(target) -> Report``: check a third-party candidate from Python.

>>> rep = gradspec.check("examples/forum_xor_buggy.py", profile="quick")  # doctest: +SKIP
>>> rep.ok, [d for r in rep.failed for d in r.diagnosis][:1]                # doctest: +SKIP
(False, ['error_as_derivative: ...'])

The candidate runs in an isolated worker (see :mod:`.candidate`); every failed check is then
matched against the catalog of known wrong formulas (:mod:`.diagnosis`).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterable

from gradspec.errors import UsageError

from .report import Report

GROUPS = ("activations", "costs", "network")
PROFILES = ("quick", "ci", "thorough")


def _dtypes(ns, dtypes: Iterable[str] | None) -> tuple[str, ...]:
    if dtypes is not None:
        out = tuple(dtypes)
    else:
        declared = ns.constant("DTYPES")
        out = tuple(declared) if isinstance(declared, list | tuple) else ("float64", "float32")
    for d in out:
        if d not in ("float32", "float64"):
            raise UsageError(f"unknown dtype {d!r}; choose from float32, float64")
    return out


def check(
    target: str,
    *,
    only: Iterable[str] | str | None = None,
    profile: str = "ci",
    timeout: float = 10.0,
    dtypes: Iterable[str] | None = None,
    diagnose: bool = True,
    progress: Callable | None = None,
) -> Report:
    """Run every applicable check on ``target`` (a ``.py`` path or a module name).

    Raises :class:`gradspec.errors.UsageError` (one line) when the candidate cannot be checked
    at all.  Ctrl-C stops the run and returns the partial report (``report.interrupted``).
    """
    from . import candidate as cand_mod
    from .suite import plan, run_planned

    if profile not in PROFILES:
        raise UsageError(f"unknown profile {profile!r}; choose from {', '.join(PROFILES)}")
    groups = [only] if isinstance(only, str) else list(only or GROUPS)
    for g in groups:
        if g not in GROUPS:
            raise UsageError(f"unknown group {g!r}; choose from {', '.join(GROUPS)}")
    if not timeout > 0:
        raise UsageError(f"timeout must be positive, got {timeout}")
    start = time.perf_counter()
    cand = cand_mod.load(target, timeout=timeout)
    try:
        dts = _dtypes(cand.ns, dtypes)
        report = Report(
            cand.ns.label,
            profile,
            found=cand.found,
            missing=cand.missing,
            problems=cand.problems,
        )
        checks = plan(
            cand.ns,
            cand.bindings,
            profile=profile,
            dtypes=dts,
            only=groups,
            networks=cand.networks,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # candidate warnings are recorded per check
            run_planned(checks, report, progress)
            if diagnose and not report.interrupted:
                from .diagnosis import diagnose_report

                try:
                    diagnose_report(cand, checks, report)
                except KeyboardInterrupt:
                    report.interrupted = True
    finally:
        cand.close()
    report.seconds = time.perf_counter() - start
    return report
