"""pytest plugin (entry point ``gradspec``): gradspec's checks as test items of any project.

``pytest --gradspec my_nn.py [--gradspec mypkg.losses] [--gradspec-only network]
[--gradspec-profile ci] [--gradspec-timeout 10]`` checks each target (see docs/check.md) and
adds one test item per check, named ``gradspec::<target>::<check id>``: a failed check fails
its item with the counterexample, the diagnosis and a reproducer; a warning passes with a
``GradspecWarning``.  The ``gradspec_check`` fixture is :func:`gradspec.check` for tests that
call it themselves::

    def test_my_losses(gradspec_check):
        report = gradspec_check("mypkg/losses.py", only="costs")
        assert report.ok, report.summary_line()
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest


class GradspecWarning(UserWarning):
    """A check passed with a warning (e.g. overflow warnings with right values)."""


class GradspecFailure(Exception):
    pass


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gradspec", "gradspec conformance checks")
    group.addoption("--gradspec", action="append", default=[], metavar="TARGET",
                    help="check this .py file or module with gradspec (repeatable)")  # fmt: skip
    group.addoption("--gradspec-only", action="append", default=None, metavar="GROUP",
                    help="activations, costs or network")  # fmt: skip
    group.addoption("--gradspec-profile", default="quick", help="quick (default), ci, thorough")
    group.addoption("--gradspec-timeout", type=float, default=10.0, help="seconds per call")
    group.addoption("--gradspec-strict", action="store_true", default=False,
                    help="a check that warns fails its item")  # fmt: skip


class GradspecItem(pytest.Item):
    def __init__(self, *, result: Any, target: str, strict: bool = False, **kw: Any) -> None:
        super().__init__(**kw)
        self.result = result
        self.target = target
        self.strict = strict

    def runtest(self) -> None:
        r = self.result
        if r is None:
            return
        if r.status in ("fail", "error") or (r.status == "warn" and self.strict):
            raise GradspecFailure(r)
        if r.status == "skip":
            pytest.skip(r.message or "skipped")
        if r.status == "warn":
            # A warning passes, carrying its message (pytest's warnings summary, JUnit).
            self.user_properties.append(("gradspec_status", "warn"))
            for w in r.warnings or [r.message]:
                self.user_properties.append(("gradspec_warning", w))
                warnings.warn(f"{r.id}: {w}", GradspecWarning, stacklevel=1)

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        if isinstance(excinfo.value, GradspecFailure):
            r = self.result
            status = "warn (--gradspec-strict)" if r.status == "warn" else r.status
            lines = [f"{self.target}: {r.id}: {status}", r.message]
            lines += [f"diagnosis: {d}" for d in r.diagnosis]
            if r.reproducer:
                lines += ["reproduce:", *("    " + x for x in r.reproducer.splitlines())]
            return "\n".join(x for x in lines if x)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[str, int, str]:
        return self.target, 0, f"gradspec {self.name}"


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
    targets = config.getoption("gradspec")
    if not targets:
        return
    from gradspec.conformance.api import check
    from gradspec.errors import UsageError

    for target in targets:
        try:
            rep = check(
                target,
                only=config.getoption("gradspec_only"),
                profile=config.getoption("gradspec_profile"),
                timeout=config.getoption("gradspec_timeout"),
            )
        except UsageError as exc:
            items.append(
                _LoadFailure.from_parent(session, name=f"gradspec::{target}", message=str(exc))
            )
            continue
        for r in rep.results:
            items.append(
                GradspecItem.from_parent(
                    session,
                    name=f"gradspec::{target}::{r.id}",
                    result=r,
                    target=target,
                    strict=config.getoption("gradspec_strict"),
                )
            )


@pytest.fixture
def gradspec_check():
    """:func:`gradspec.check` (profile ``quick`` unless given)."""
    from gradspec.conformance.api import check

    def run(target: str, **kw: Any):
        kw.setdefault("profile", "quick")
        return check(target, **kw)

    return run
