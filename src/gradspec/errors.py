"""Errors and exit codes shared by the command line and the Python API."""

from __future__ import annotations

import os

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # Ctrl-C: the partial report is still written


class UsageError(Exception):
    """Bad input the user can fix (unknown name, unwritable path, ...): one line, exit 2."""


def writable_path(path: str) -> str:
    """Fail early, with one line, if ``path`` cannot be written."""

    parent = os.path.dirname(os.path.abspath(path)) or "."
    if os.path.isdir(path):
        raise UsageError(f"cannot write {path}: it is a directory")
    if not os.path.isdir(parent):
        raise UsageError(f"cannot write {path}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise UsageError(f"cannot write {path}: folder {parent} is not writable")
    existed = os.path.exists(path)
    try:  # the only real test (read-only mounts, /proc): open it for appending
        with open(path, "a"):
            pass
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    if not existed:
        os.remove(path)
    return path


def writable_dir(path: str) -> str:
    """Create ``path`` if needed; fail with one line if it cannot be written."""

    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot write to {path}: {exc.strerror}") from None
    if not os.access(path, os.W_OK):
        raise UsageError(f"cannot write to {path}: not writable")
    return path
