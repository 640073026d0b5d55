"""One planned check: its group, name, subject and dtype, and the thunk that runs it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gradspec.conformance.engine.results import CheckResult


@dataclass
class PlannedCheck:
    group: str
    check: str
    subject: str
    dtype: str
    run: Callable[[], CheckResult]

    @property
    def id(self) -> str:
        return f"{self.check}[{self.subject}:{self.dtype}]"
