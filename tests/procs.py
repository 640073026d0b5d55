"""Process helpers of the isolation tests."""

from __future__ import annotations

import os


def gone(pid: int) -> bool:
    """True once ``pid`` no longer runs (a zombie orphan waiting for init counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rpartition(")")[2].split()[0] == "Z"
    except OSError:  # reaped in between (a forked worker is reaped by the warm server)
        return True
