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
from gradspec.conformance.targets import isolation, warm
from gradspec.conformance.targets.builtins import builtin
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


def check_with(
    target: str | Any,
    options: Options,
    progress: Progress | None = None,
    *,
    shown_as: str | None = None,
) -> Report:
    """:func:`check` with validated :class:`Options`.  ``shown_as``: the path reproducers
    name for a ``.py`` file checked from a copy (a cluster worker's)."""
    start = time.perf_counter()
    opened = (
        load(target, timeout=options.timeout, device=options.device, shown_as=shown_as)
        if isinstance(target, str)
        else in_process(target, device=options.device)
    )
    with opened as cand:
        report = runner.run(cand, options, progress)
    report.seconds = time.perf_counter() - start
    return report


def check_to_report(
    target: str,
    options: Options,
    child: bool = False,
    shown_as: str | None = None,
    warm_workers: bool = False,
    lanes: int | None = 1,
) -> Report:
    """One candidate, never raising: a candidate that cannot be checked gives an error report.
    ``child``: run in a pool process, whose parent handles Ctrl-C; ``warm_workers``: its
    worker may be forked from the warm server (:mod:`.targets.warm`), as the parent's are;
    ``lanes``: how many candidates the machine checks at once (None: unknown, as on a
    cluster), which decides whether the worker's pipes spin (``isolation.set_lanes``)."""

    if child:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides; it kills us
    if warm_workers:
        warm.enable()
    isolation.set_lanes(lanes)
    try:
        return check_with(target, options, shown_as=shown_as)
    except UsageError as exc:
        rep = Report(shown_as or target, options.profile)
        rep.error = str(exc)
        return rep
    except Exception as exc:  # a bug of ours: still one row, the others go on
        rep = Report(shown_as or target, options.profile)
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
    forked = warm.enabled()  # the pool's processes are spawned: they are told
    lanes = max(1, min(jobs, len(targets)))
    calls = [
        (t, (overrides or {}).get(i, options), True, None, forked, lanes)
        for i, t in enumerate(targets)
    ]
    return _in_processes(check_to_report, calls, targets, options, jobs, on_done)


def verify_builtin(
    name: str, options: Options, child: bool = False, part: tuple[int, int] | None = None
) -> Report:
    """``gradspec verify`` of one built-in backend (``numpy``, ``jax``, ...), never raising:
    a backend that cannot run here (``jax:gpu`` without a GPU) gives an error report.
    ``part``: one slice of its plan (:func:`runner.run`)."""
    if child:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides; it kills us
    start = time.perf_counter()
    try:
        report = runner.run(builtin(name), options, part=part)
    except UsageError as exc:
        report = Report(name, options.profile)
        report.error = str(exc)
    report.seconds = time.perf_counter() - start
    return report


def verify_many(
    names: list[str],
    *,
    jobs: int = 2,
    on_done: Callable[[int, Report], None] | None = None,
    options: Options | None = None,
) -> tuple[list[Report], bool]:
    """Verify several built-in backends in ``jobs`` processes.

    The engine is single-threaded, and backends differ in cost (JAX compiles): each backend's
    plan is cut into :data:`PARTS_PER_JOB` x ``jobs`` consecutive parts, taken in turn by
    whichever process is free, so that the processes finish together instead of waiting for
    the slowest backend.  Draws do not depend on the process, so the merged report is the one
    a single process gives.  ``on_done(i, report)`` when backend i's last part is in."""
    options = options or Options()
    n = 1 if jobs <= 1 else PARTS_PER_JOB * jobs
    slots = part_order(names, n)
    calls = [(names[b], options, True, (i, n)) for b, i in slots]
    labels = [names[b] for b, _ in slots]
    parts: dict[int, dict[int, Report]] = {}
    merged: dict[int, Report] = {}

    def part_done(k: int, rep: Report) -> None:
        b, i = slots[k]
        parts.setdefault(b, {})[i] = rep
        if len(parts[b]) == n:
            merged[b] = runner.merge_parts([parts[b][i] for i in range(n)])
            if on_done is not None:
                on_done(b, merged[b])

    _, interrupted = _in_processes(verify_builtin, calls, labels, options, jobs, part_done)
    return [merged[b] for b in sorted(merged)], interrupted


#: Parts per process of :func:`verify_many`: enough that the last part to finish is short
#: (a ci part of the NumPy backend: ~2 s), few enough that each part still reuses its
#: compiles (a part boundary inside one function's checks compiles it once more).
PARTS_PER_JOB = 6
#: The relative cost of a backend's verify (CPU seconds at ci, NumPy = 1): JAX compiles.
_COST = {"numpy": 1.0, "jax": 1.6, "jax-autodiff": 1.6}


def part_order(names: list[str], n: int) -> list[tuple[int, int]]:
    """(backend index, part index) in the order the parts are handed out: the costliest
    backend's first (longest processing time first), so that the last parts to run are
    cheap ones and the processes finish within one of them; each backend's in plan order."""
    cost = [_COST.get(name.partition(":")[0], 1.0) for name in names]
    order = sorted(range(len(names)), key=lambda b: -cost[b])  # stable: ties keep order
    return [(b, i) for b in order for i in range(n)]


def _in_processes(
    fn: Callable[..., Report],
    calls: list[tuple],
    labels: list[str],
    options: Options,
    jobs: int,
    on_done: Callable[[int, Report], None] | None,
) -> tuple[list[Report], bool]:
    """``fn(*call)`` for each call in a pool of ``jobs`` spawned processes; a process that
    dies gives an error report for its call.  Reports in the order of ``calls``."""
    reports: dict[int, Report] = {}
    interrupted = False
    ctx = mp.get_context("spawn")
    pool = cf.ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=ctx)
    try:
        futures = {pool.submit(fn, *call): i for i, call in enumerate(calls)}
        for fut in cf.as_completed(futures):
            i = futures[fut]
            try:
                rep = fut.result()
            except Exception as exc:  # the process running it died
                rep = Report(labels[i], options.profile)
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
