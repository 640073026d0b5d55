"""Checking many candidates on a Dask cluster: ``gradspec check DIR --scheduler ADDRESS``.

Dask distributed does the scheduling; this module only turns candidates into tasks and
tasks back into reports.  Each candidate is one task.  On the worker the task checks the
candidate exactly as ``-j`` does on one machine (:func:`gradspec.conformance.api.check_to_report`):
the candidate's code runs in its own isolated subprocess there, under the same per-call
timeout, so a candidate that crashes, hangs or exits costs only its own checks, and the
task itself never raises.

What is sent: a ``.py`` candidate travels as its text (workers need not see the client's
files); on a worker where the same path holds the same text (a shared file system, a
local cluster) the file is used in place, so that a candidate importing files next to it
still works there.  A module name is imported on the worker as it is.  Workers need
gradspec (and torch / jax for candidates declaring them) installed.

A worker lost in the middle of a task (killed, out of memory, its machine gone) is not
silently dropped: the scheduler runs the task again elsewhere, up to
``distributed.scheduler.allowed-failures`` times (3 by default), and the report of that
candidate says how many workers were lost while checking it (``notes``).  A candidate
whose task lost more workers than that gets an error row naming the cause.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gradspec import __version__
from gradspec.conformance.api import check_to_report
from gradspec.conformance.options import Options
from gradspec.conformance.report import Report
from gradspec.errors import UsageError

#: ``local`` or ``local:N``: start a LocalCluster of N single-threaded worker processes.
_LOCAL = re.compile(r"^local(?::(\d+))?$")

#: Seconds to wait for a scheduler to answer before giving up with a usage error.
CONNECT_TIMEOUT = 10.0

# The engine is not thread-safe (warnings filters, hypothesis); a worker started with more
# than one thread runs our tasks one after the other.
_TASK_LOCK = threading.Lock()


@dataclass(frozen=True)
class Shipped:
    """A candidate as it travels to a worker: the name the user gave, and a file's text."""

    target: str
    source: bytes | None = None  # None: a module name, imported on the worker
    digest: str = ""

    @classmethod
    def of(cls, target: str) -> Shipped:
        if not os.path.isfile(target):
            return cls(target)  # a module name (a missing file is reported by the check)
        with open(target, "rb") as fh:
            data = fh.read()
        return cls(target, data, hashlib.sha256(data).hexdigest())


def _same_file(path: str, digest: str) -> bool:
    try:
        with open(path, "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest() == digest
    except OSError:
        return False


def grade(shipped: Shipped, options: Options) -> dict[str, Any]:
    """The task run on a worker: check one candidate, never raising.

    Returns ``{"report": Report, "worker": address, "version": gradspec version}``.
    """
    try:
        from distributed import get_worker

        worker = get_worker().address
    except (ImportError, ValueError):  # called outside a worker (tests, debugging)
        worker = ""
    with _TASK_LOCK:
        if shipped.source is None or _same_file(shipped.target, shipped.digest):
            report = check_to_report(shipped.target, options, lanes=None)
        else:
            folder = tempfile.mkdtemp(prefix="gradspec-task-")
            try:
                path = os.path.join(folder, os.path.basename(shipped.target))
                with open(path, "wb") as fh:
                    fh.write(shipped.source)
                report = check_to_report(path, options, shown_as=shipped.target, lanes=None)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
    return {"report": report, "worker": worker, "version": __version__}


def _lost_workers(dask_scheduler: Any, keys: list[str]) -> dict[str, int]:
    """Run on the scheduler: per task key, how many workers died while running it."""
    tasks = dask_scheduler.tasks
    return {k: tasks[k].suspicious for k in keys if k in tasks}


def _connect(scheduler: str) -> tuple[Any, Any]:
    """A Client for ``scheduler`` (and the LocalCluster it started, or None)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise UsageError(
            "--scheduler needs Dask distributed: pip install 'gradspec[dask]'"
        ) from None
    local = _LOCAL.match(scheduler)
    if local:
        n = int(local.group(1) or os.cpu_count() or 1)
        if n < 1:
            raise UsageError(f"--scheduler {scheduler}: a local cluster needs at least 1 worker")
        cluster = LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        return Client(cluster), cluster
    if "://" not in scheduler and ":" not in scheduler:
        raise UsageError(
            f"--scheduler {scheduler!r}: expected tcp://HOST:PORT, HOST:PORT, local or local:N"
        )
    try:
        return Client(scheduler, timeout=CONNECT_TIMEOUT), None
    except (OSError, TimeoutError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UsageError(f"cannot reach the Dask scheduler at {scheduler}: {reason}") from None


def check_on_cluster(
    targets: list[str],
    scheduler: str,
    *,
    options: Options,
    on_done: Callable[[int, Report], None] | None = None,
) -> tuple[list[Report], bool]:
    """Check each target as one task on the cluster at ``scheduler`` (``tcp://HOST:PORT``,
    ``local`` or ``local:N``).  Returns the reports in the order of ``targets`` (missing
    ones when interrupted) and whether Ctrl-C stopped the run, like ``check_many``."""
    client, cluster = _connect(scheduler)
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    reports: dict[int, Report] = {}
    interrupted = False
    futures: dict[Any, int] = {}
    try:
        futures = {
            client.submit(grade, Shipped.of(t), options, pure=False, key=f"gradspec-{i}-{t}"): i
            for i, t in enumerate(targets)
        }
        for fut in as_completed(futures):
            i = futures[fut]
            try:
                out = fut.result()
                rep, worker = out["report"], out["worker"]
                if out["version"] != __version__:
                    rep.notes.append(
                        f"checked by gradspec {out['version']} on {worker} "
                        f"(this client has {__version__})"
                    )
            except KilledWorker as exc:
                rep, worker = Report(targets[i], options.profile), ""
                rep.error = (
                    "its task was lost with every worker that ran it "
                    f"({type(exc).__name__}): the candidate may exhaust the worker's memory"
                )
            except Exception as exc:  # the task could not run there at all
                rep, worker = Report(targets[i], options.profile), ""
                rep.error = f"cluster task failed: {type(exc).__name__}: {exc}"
            lost = client.run_on_scheduler(_lost_workers, keys=[fut.key]).get(fut.key, 0)
            if lost and not rep.error:
                rep.notes.append(
                    f"{lost} worker(s) lost while checking it; the check was run again"
                    + (f" and finished on {worker}" if worker else "")
                )
            reports[i] = rep
            fut.release()
            if on_done is not None:
                on_done(i, rep)
    except KeyboardInterrupt:
        interrupted = True
        client.cancel(list(futures))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return [reports[i] for i in sorted(reports)], interrupted
