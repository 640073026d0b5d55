"""``gradspec.check(target) -> Report``: check a third-party candidate from Python.

>>> rep = gradspec.check("examples/forum_xor_buggy.py", profile="quick")  # doctest: +SKIP
>>> rep.ok, [d for r in rep.failed for d in r.diagnosis][:1]                # doctest: +SKIP
(False, ['error_as_derivative: ...'])

The candidate runs in an isolated worker (see :mod:`.candidate`); every failed check is then
matched against the catalog of known wrong formulas (:mod:`.diagnosis`).
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import signal
import time
from collections.abc import Callable, Iterable
from typing import Any

from gradspec.conformance import runner
from gradspec.conformance.options import Options
from gradspec.conformance.report import Report
from gradspec.conformance.runner import Progress
from gradspec.conformance.targets.candidate import load
from gradspec.conformance.targets.target import in_process
from gradspec.conformance.xfail import XfailEntry
from gradspec.errors import UsageError


def check(
    target: str | Any,
    *,
    only: Iterable[str] | str | None = None,
    profile: str | None = None,
    timeout: float | None = None,
    dtypes: Iterable[str] | str | None = None,
    diagnose: bool = True,
    xfails: Iterable[XfailEntry] = (),
    progress: Progress | None = None,
    device: str | None = None,
) -> Report:
    """Run every applicable check on ``target``: a ``.py`` path or a module name (imported
    and called in an isolated worker), or code already in this process (a module, an object,
    or a mapping of protocol names to callables: trusted, not isolated).  ``device``: where
    a ``FRAMEWORK = "torch"`` / ``"jax"`` candidate's tensors live (default ``cpu``).

    Raises :class:`gradspec.errors.UsageError` (one line) when the candidate cannot be checked
    at all.  Ctrl-C stops the run and returns the partial report (``report.interrupted``).
    """
    options = Options.make(
        profile=profile, dtypes=dtypes, only=only, timeout=timeout, diagnose=diagnose,
        xfails=xfails, device=device,
    )  # fmt: skip
    return check_with(target, options, progress)


def check_with(target: str | Any, options: Options, progress: Progress | None = None) -> Report:
    """:func:`check` with validated :class:`Options`."""
    start = time.perf_counter()
    opened = (
        load(target, timeout=options.timeout, device=options.device)
        if isinstance(target, str)
        else in_process(target, device=options.device)
    )
    with opened as cand:
        report = runner.run(cand, options, progress)
    report.seconds = time.perf_counter() - start
    return report


def _check_to_report(target: str, options: Options, child: bool = False) -> Report:
    """One candidate, never raising: a candidate that cannot be checked gives an error report."""

    if child:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides; it kills us
    try:
        return check_with(target, options)
    except UsageError as exc:
        rep = Report(target, options.profile)
        rep.error = str(exc)
        return rep
    except Exception as exc:  # a bug of ours: still one row, the others go on
        rep = Report(target, options.profile)
        rep.error = f"internal error: {type(exc).__name__}: {exc}"
        return rep


def check_many(
    targets: list[str],
    *,
    jobs: int = 1,
    on_done: Callable[[int, Report], None] | None = None,
    options: Options | None = None,
    overrides: dict[int, Options] | None = None,
) -> tuple[list[Report], bool]:
    """Check each target in its own process, ``jobs`` at a time.  Returns the reports in the
    order of ``targets`` (missing ones when interrupted) and whether Ctrl-C stopped the run."""

    options = options or Options()
    reports: dict[int, Report] = {}
    interrupted = False
    ctx = mp.get_context("spawn")
    pool = cf.ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=ctx)
    try:
        futures = {
            pool.submit(_check_to_report, t, (overrides or {}).get(i, options), True): i
            for i, t in enumerate(targets)
        }
        for fut in cf.as_completed(futures):
            i = futures[fut]
            try:
                rep = fut.result()
            except Exception as exc:  # the process running it died
                rep = Report(targets[i], options.profile)
                rep.error = f"checking process died: {type(exc).__name__}: {exc}"
            reports[i] = rep
            if on_done is not None:
                on_done(i, rep)
    except KeyboardInterrupt:
        interrupted = True
        for proc in list(getattr(pool, "_processes", {}).values()):
            proc.kill()
    finally:
        pool.shutdown(wait=not interrupted, cancel_futures=True)
    return [reports[i] for i in sorted(reports)], interrupted
