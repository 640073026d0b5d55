"""A progress bar on stderr while checks run (quiet when stderr is not a terminal)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


@contextlib.contextmanager
def progress_bar(label: str) -> Iterator:

    console = Console(file=sys.stderr)
    if not console.is_terminal:
        # Logs and CI: one line per group of checks rather than a redrawn bar.
        state = {"last": None}

        def line(pc, i: int, n: int) -> None:
            key = (pc.group, pc.dtype)
            if key != state["last"]:
                state["last"] = key
                print(f"{label}: {pc.group} ({pc.dtype}) [{i}/{n}]", file=sys.stderr, flush=True)

        yield line
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as prog:
        task = prog.add_task(label, total=None)

        def update(pc, i: int, n: int) -> None:
            prog.update(task, total=n, completed=i, description=f"{label}: {pc.id}")

        yield update
