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

from gradspec.conformance.report import Report
from gradspec.errors import UsageError

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
    from gradspec.conformance.runner import plan, run_planned
    from gradspec.conformance.targets import candidate as cand_mod

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
                from gradspec.conformance.diagnosis import diagnose_report

                try:
                    diagnose_report(cand, report)
                except KeyboardInterrupt:
                    report.interrupted = True
    finally:
        cand.close()
    report.seconds = time.perf_counter() - start
    return report


def _check_to_report(target: str, kwargs: dict) -> Report:
    """One candidate, never raising: a candidate that cannot be checked gives an error report."""
    import signal

    if kwargs.pop("_child", False):
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides; it kills us
    try:
        return check(target, **kwargs)
    except UsageError as exc:
        rep = Report(target, kwargs.get("profile", "ci"))
        rep.error = str(exc)
        return rep
    except Exception as exc:  # a bug of ours: still one row, the others go on
        rep = Report(target, kwargs.get("profile", "ci"))
        rep.error = f"internal error: {type(exc).__name__}: {exc}"
        return rep


def check_many(
    targets: list[str],
    *,
    jobs: int = 1,
    on_done: Callable[[int, Report], None] | None = None,
    overrides: dict[int, dict] | None = None,
    **kwargs,
) -> tuple[list[Report], bool]:
    """Check each target in its own process, ``jobs`` at a time.  Returns the reports in the
    order of ``targets`` (missing ones when interrupted) and whether Ctrl-C stopped the run."""
    import concurrent.futures as cf
    import multiprocessing as mp

    reports: dict[int, Report] = {}
    interrupted = False
    ctx = mp.get_context("spawn")
    pool = cf.ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=ctx)
    try:
        futures = {
            pool.submit(
                _check_to_report, t, {**kwargs, **(overrides or {}).get(i, {}), "_child": True}
            ): i
            for i, t in enumerate(targets)
        }
        for fut in cf.as_completed(futures):
            i = futures[fut]
            try:
                rep = fut.result()
            except Exception as exc:  # the process running it died
                rep = Report(targets[i], kwargs.get("profile", "ci"))
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
