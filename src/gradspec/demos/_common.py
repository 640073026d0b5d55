"""Shared pieces of the demos: the result object, figure saving, progress reporting."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress

matplotlib.use("Agg")  # non-interactive: the demos only ever write PNG files
import matplotlib.pyplot as plt


@dataclass
class DemoResult:
    """What a demo reached and wrote.

    ``figures``: the headline numbers (final costs, accuracies, iteration counts, ...);
    ``paths``: every file written, in order; ``lines``: a few human-readable result lines;
    ``data``: the raw arrays behind the figures (histories, parameters) for tests and notebooks.
    """

    name: str
    figures: dict[str, Any] = field(default_factory=dict)
    paths: list[Path] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


def out_dir(path: str | os.PathLike[str]) -> Path:
    p = Path(path)
    p.mkdir(parents=True, exist_ok=True)
    return p


def save(fig: plt.Figure, path: Path, result: DemoResult) -> Path:
    """Write ``fig`` as a PNG, close it, record the path in ``result``."""
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    result.paths.append(path)
    return path


class Progress:
    """Progress of a long loop: a rich progress bar on stderr, or nothing when disabled."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._bar = None

    @contextlib.contextmanager
    def task(self, description: str, total: int) -> Iterator[Any]:
        """Yield ``advance(n)``; shows a bar on stderr while the block runs (if enabled)."""
        if not self.enabled:
            yield lambda n=1: None
            return

        bar = RichProgress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        with bar:
            tid = bar.add_task(description, total=total)
            yield lambda n=1: bar.advance(tid, n)

    def phase(self, text: str) -> None:
        """A one-line phase message on stderr (if enabled)."""
        if self.enabled:
            print(text, file=sys.stderr, flush=True)
