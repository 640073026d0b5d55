"""Assemble and run the whole suite on one implementation.

The list of checks is built from the registry and what the implementation defines: every
bound activation and cost gets its family of checks per dtype, every valid pair a composed
check when the implementation has ``delta``, reductions when it has ``reduce``, and the
network checks when it offers a network.  Each check runs in turn; an exception escaping a
check (ours or the candidate's) becomes an ``error`` result and the run goes on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from gradspec import spec
from gradspec.conformance.checks import network as checks_network
from gradspec.conformance.checks import table
from gradspec.conformance.checks.plan import PlannedCheck
from gradspec.conformance.engine.results import CheckResult
from gradspec.conformance.report import Report
from gradspec.conformance.targets.namespace import Bindings, Namespace, bind

GROUPS = ("activations", "costs", "pairs", "network")


def plan(
    ns: Namespace,
    bindings: Bindings,
    *,
    profile: str = "ci",
    dtypes: Iterable[str] = ("float64", "float32"),
    only: Iterable[str] | None = None,
    networks: list | None = None,
) -> list[PlannedCheck]:
    """Every check that applies to ``ns``, in report order: per dtype the functions
    (activations, costs, reductions, pairs), then the networks."""
    only = set(only or GROUPS)
    out = table.plan(ns, bindings, profile=profile, dtypes=tuple(dtypes), groups=only)
    if "network" in only and networks:
        for net in networks:
            out.extend(checks_network.plan(net, profile=profile, dtypes=tuple(dtypes)))
    return out


def run_planned(
    checks: list[PlannedCheck],
    report: Report,
    progress: Callable[[PlannedCheck, int, int], None] | None = None,
) -> Report:
    """Run the checks into ``report``; Ctrl-C stops the run and marks the report partial."""
    start = time.perf_counter()
    try:
        for i, pc in enumerate(checks):
            if progress is not None:
                progress(pc, i, len(checks))
            t0 = time.perf_counter()
            try:
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
            res.seconds = time.perf_counter() - t0
            report.results.append(res)
    except KeyboardInterrupt:
        report.interrupted = True
    report.seconds += time.perf_counter() - start
    return report


def verify_namespace(
    ns: Namespace,
    label: str,
    *,
    profile: str = "ci",
    dtypes: Iterable[str] = ("float64", "float32"),
    only: Iterable[str] | None = None,
    networks: list | None = None,
    progress: Callable[[PlannedCheck, int, int], None] | None = None,
) -> Report:
    bindings = bind(ns)
    # A built-in implementation should offer every protocol function of the registry: any it
    # lacks (a new entry not yet written for it) is listed as missing, not an error.
    have = ns.names()
    missing = [n for n in spec.all_protocol_names() if n not in have]
    report = Report(
        label,
        profile,
        found=sorted(bindings.found),
        missing=missing,
        problems=list(bindings.problems),
    )
    checks = plan(ns, bindings, profile=profile, dtypes=dtypes, only=only, networks=networks)
    return run_planned(checks, report, progress)
