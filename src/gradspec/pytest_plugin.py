"""pytest plugin (entry point ``gradspec``): gradspec's checks as test items of any project.

``pytest --gradspec my_nn.py [--gradspec mypkg.losses] [--gradspec-only network]
[--gradspec-profile ci] [--gradspec-dtype float64] [--gradspec-timeout 10]
[--gradspec-xfail-file xfails.txt] [--gradspec-strict]`` checks each target (see
docs/check.md) with one lazy test item per planned check, named
``gradspec::<target>::<check id>``: collecting only plans (the candidate is loaded, nothing
is checked), so ``-k``, ``--lf`` and ``--deselect`` skip the work of the checks they leave
out.  A failed check fails its item with the counterexample, the diagnosis and a
reproducer; a warning passes with a ``GradspecWarning``; a failure listed in the xfail file
is an xfail.  Options, profiles and the runner are those of ``gradspec check``.  The
``gradspec_check`` fixture is :func:`gradspec.check` for tests that call it themselves::

    def test_my_losses(gradspec_check):
        report = gradspec_check("mypkg/losses.py", only="costs")
        assert report.ok, report.summary_line()
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import pytest

from gradspec.errors import UsageError

if TYPE_CHECKING:
    from gradspec.conformance.checks.plan import PlannedCheck
    from gradspec.conformance.options import Options
    from gradspec.conformance.targets.target import Target

# pytest loads this entry point in every session of every project where gradspec is
# installed: the engine (sympy, hypothesis, ~1.7 s to import) is imported only once a
# session asks for gradspec (--gradspec or the fixture), never at plugin load.
PROFILE_HELP = "quick, ci (default), thorough"


class GradspecWarning(UserWarning):
    """A check passed with a warning (e.g. overflow warnings with right values)."""


class GradspecFailure(Exception):
    pass


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gradspec", "gradspec conformance checks")
    group.addoption("--gradspec", action="append", default=[], metavar="TARGET",
                    help="check this .py file or module with gradspec (repeatable)")  # fmt: skip
    group.addoption("--gradspec-only", action="append", default=None, metavar="GROUP",
                    help="activations, costs, pairs or network")  # fmt: skip
    group.addoption("--gradspec-profile", default=None, help=PROFILE_HELP)
    group.addoption("--gradspec-dtype", action="append", default=None, metavar="DTYPE",
                    help="float64 or float32 (repeatable)")  # fmt: skip
    group.addoption("--gradspec-timeout", type=float, default=None,
                    help="seconds per call (default 10)")  # fmt: skip
    group.addoption("--gradspec-xfail-file", default=None, metavar="FILE",
                    help="expected failures, as for gradspec check --xfail-file")  # fmt: skip
    group.addoption("--gradspec-strict", action="store_true", default=False,
                    help="a check that warns fails its item")  # fmt: skip


def _options(config: pytest.Config) -> Options:
    from gradspec.conformance.options import Options
    from gradspec.conformance.xfail import read_xfail_file

    path = config.getoption("gradspec_xfail_file")
    return Options.make(
        profile=config.getoption("gradspec_profile"),
        dtypes=config.getoption("gradspec_dtype"),
        only=config.getoption("gradspec_only"),
        timeout=config.getoption("gradspec_timeout"),
        strict=config.getoption("gradspec_strict"),
        xfails=read_xfail_file(path) if path else (),
    )


class GradspecItem(pytest.Item):
    """One planned check of one target, run when pytest runs the item."""

    def __init__(
        self, *, planned: PlannedCheck, target: Target, options: Options, **kw: Any
    ) -> None:
        super().__init__(**kw)
        self.planned = planned
        self.target = target
        self.options = options
        self.result: Any = None

    def runtest(self) -> None:
        from gradspec.conformance import runner

        res = runner.run_check(self.planned)
        report = runner.new_report(self.target, self.options)
        report.results.append(res)
        runner.finish(self.target, self.options, report)  # diagnosis, xfail
        self.result = res
        if res.status == "xfail":
            pytest.xfail(res.message)
        if res.status in ("fail", "error") or (res.status == "warn" and self.options.strict):
            raise GradspecFailure(res)
        if res.status == "skip":
            pytest.skip(res.message or "skipped")
        if res.status == "warn":
            # A warning passes, carrying its message (pytest's warnings summary, JUnit).
            self.user_properties.append(("gradspec_status", "warn"))
            for w in res.warnings or [res.message]:
                self.user_properties.append(("gradspec_warning", w))
                warnings.warn(f"{res.id}: {w}", GradspecWarning, stacklevel=1)

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        if isinstance(excinfo.value, GradspecFailure) and self.result is not None:
            r = self.result
            status = "warn (--gradspec-strict)" if r.status == "warn" else r.status
            lines = [f"{self.target.label}: {r.id}: {status}", r.message]
            lines += [f"diagnosis: {d}" for d in r.diagnosis]
            if r.reproducer:
                lines += ["reproduce:", *("    " + x for x in r.reproducer.splitlines())]
            return "\n".join(x for x in lines if x)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[str, int, str]:
        return self.target.label, 0, f"gradspec {self.name}"


class _LoadFailure(pytest.Item):
    def __init__(self, *, message: str, **kw: Any) -> None:
        super().__init__(**kw)
        self.message = message

    def runtest(self) -> None:
        raise GradspecFailure(self.message)

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        return str(self.message)

    def reportinfo(self) -> tuple[str, int, str]:
        return self.name, 0, self.name


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list
) -> None:
    names = config.getoption("gradspec")
    if not names:
        return
    from gradspec.conformance import runner
    from gradspec.conformance.targets.candidate import load

    try:
        options = _options(config)
    except UsageError as exc:
        raise pytest.UsageError(f"gradspec: {exc}") from None
    for name in names:
        try:
            target = load(name, timeout=options.timeout, device=options.device)
        except UsageError as exc:
            items.append(
                _LoadFailure.from_parent(session, name=f"gradspec::{name}", message=str(exc))
            )
            continue
        config.add_cleanup(target.close)
        for pc in runner.plan(target, options):
            items.append(
                GradspecItem.from_parent(
                    session,
                    name=f"gradspec::{name}::{pc.id}",
                    planned=pc,
                    target=target,
                    options=options,
                )
            )


@pytest.fixture
def gradspec_check():
    """:func:`gradspec.check` with the same defaults as ``gradspec check``."""

    from gradspec.conformance.api import check

    def run(target: str, **kw: Any):
        return check(target, **kw)

    return run
