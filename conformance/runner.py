"""The one runner: ``run(target, options) -> Report`` for every front door (``gradspec
verify``, ``gradspec check``, the pytest plugin, the Python API).

Planning builds the list of checks from the registry and what the target offers (the
function-level table in :mod:`.checks.table`, then the networks); each planned check runs in
turn (:func:`run_check`: an exception escaping a check, ours or the candidate's, becomes an
``error`` result and the run goes on; Ctrl-C stops the run and marks the report partial);
failures of third-party code are then diagnosed, and expected failures (xfail files) marked.
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from collections.abc import Callable

from gradspec.conformance import xfail
from gradspec.conformance.checks import network as checks_network
from gradspec.conformance.checks import table
from gradspec.conformance.checks.pairs import entry_names
from gradspec.conformance.checks.plan import PlannedCheck
from gradspec.conformance.diagnosis import diagnose_report
from gradspec.conformance.engine.results import CheckResult
from gradspec.conformance.options import DTYPES, GROUPS, Options
from gradspec.conformance.report import Report
from gradspec.conformance.targets.namespace import drawn
from gradspec.conformance.targets.target import Target

Progress = Callable[[PlannedCheck, int, int], None]


def plan(target: Target, options: Options) -> list[PlannedCheck]:
    """Every check that applies to ``target``, in report order: per dtype the functions
    (activations, costs, reductions, pairs), then the networks."""
    dtypes = options.dtypes_for(target.declared_dtypes)
    groups = set(options.only)
    bindings = target.bindings
    if target.draws_params:
        extra = drawn(bindings, options.profile)
        bindings = dataclasses.replace(
            bindings,
            activations=[*bindings.activations, *(b for b in extra if b.entry.kind != "cost")],
            costs=[*bindings.costs, *(b for b in extra if b.entry.kind == "cost")],
            drawn=[b.entry for b in extra],
            delta_ids=True,
        )
    out = table.plan(target.ns, bindings, profile=options.profile, dtypes=dtypes, groups=groups)
    # A pair whose activation or cost the target lacks (listed missing) is not its to answer.
    lacking = set(target.missing)
    out = [pc for pc in out if pc.group != "pairs" or not lacking & set(entry_names(pc.subject))]
    if "network" in groups:
        for net in target.networks:
            out.extend(checks_network.plan(net, profile=options.profile, dtypes=dtypes))
    return out


def run_check(pc: PlannedCheck) -> CheckResult:
    """Run one planned check; whatever happens, the result carries the planned id."""
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # candidate warnings are recorded per check
            res = pc.run()
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # a bug in a check must not stop the others
        res = CheckResult(
            pc.check,
            pc.subject,
            pc.dtype,
            "error",
            f"internal error in the check: {type(exc).__name__}: {exc}",
        )
    res.check, res.subject, res.dtype = pc.check, pc.subject, pc.dtype
    res.seconds = time.perf_counter() - t0
    return res


def new_report(target: Target, options: Options) -> Report:
    return Report(
        target.label,
        options.profile,
        found=list(target.found),
        routes=dict(target.routes),
        missing=list(target.missing),
        problems=list(target.problems),
        notes=list(target.notes),
    )


def finish(target: Target, options: Options, report: Report) -> Report:
    """Diagnose the failures of third-party code, then mark expected failures."""
    if target.diagnose and options.diagnose and not report.interrupted:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the candidate's warnings on the probes
                diagnose_report(target, report)
        except KeyboardInterrupt:
            report.interrupted = True
    for r in report.results:
        xfail.mark(r, target.label, options.xfails)
    return report


def run(
    target: Target,
    options: Options,
    progress: Progress | None = None,
    part: tuple[int, int] | None = None,
) -> Report:
    """Every applicable check on ``target``: the report (partial when interrupted).

    ``part=(i, n)``: only the i-th of n consecutive slices of the plan (see
    :func:`merge_parts`); consecutive, because the plan keeps a function's checks together
    and a JAX function compiled in one process is not compiled again in another."""
    start = time.perf_counter()
    report = new_report(target, options)
    checks = plan(target, options)
    if part is not None:
        i, n = part
        checks = checks[len(checks) * i // n : len(checks) * (i + 1) // n]
    try:
        for i, pc in enumerate(checks):
            if progress is not None:
                progress(pc, i, len(checks))
            report.results.append(run_check(pc))
    except KeyboardInterrupt:
        report.interrupted = True
    finish(target, options, report)
    report.seconds = time.perf_counter() - start
    return report


def merge_parts(parts: list[Report]) -> Report:
    """One report from the reports of ``run(..., part=(i, n))`` for i = 0 .. n-1 (in that
    order): the results in plan order, the time spent checking summed."""
    return dataclasses.replace(
        parts[0],
        results=[r for p in parts for r in p.results],
        seconds=sum(p.seconds for p in parts),
        interrupted=any(p.interrupted for p in parts),
        error=next((p.error for p in parts if p.error), ""),
    )


__all__ = [
    "DTYPES",
    "GROUPS",
    "Options",
    "Progress",
    "finish",
    "merge_parts",
    "plan",
    "run",
    "run_check",
]
