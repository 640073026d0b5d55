"""What a run is asked to do, defined once for every front door (``gradspec verify``,
``gradspec check``, the pytest plugin and the Python API): profiles, groups, dtypes,
statuses, and the :class:`Options` of one run, validated with one-line usage errors."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from gradspec import dtypes as _dtypes
from gradspec.conformance.xfail import XfailEntry
from gradspec.errors import UsageError

#: Hypothesis settings per profile.  ``ci`` (the default everywhere) and ``quick`` are
#: derandomized, so two runs draw the same examples; ``shrink_seconds`` bounds the time
#: spent shrinking a failure (the smallest failing input found by then is reported).
PROFILES: dict[str, dict] = {
    "quick": {"max_examples": 5, "derandomize": True, "shrink_seconds": 5.0},
    "ci": {"max_examples": 12, "derandomize": True, "shrink_seconds": 10.0},
    "thorough": {"max_examples": 100, "derandomize": False, "shrink_seconds": 60.0},
}
DEFAULT_PROFILE = "ci"

#: Check groups (``--only``): functions by kind, composed output pairs, networks.
GROUPS = ("activations", "costs", "pairs", "network")

#: The dtypes gradspec checks, in report order.  float16 and bfloat16 run when asked for (or
#: declared by a candidate's ``DTYPES``); the default is float64 and float32.
DTYPES = _dtypes.NAMES
DEFAULT_DTYPES = ("float64", "float32")

#: Every status a check result can have.  ``warn`` is right math with something to know;
#: ``xfail`` a failure listed as expected (an xfail file); ``skip`` a check that could not
#: apply (e.g. no forward to difference).
STATUSES = ("pass", "warn", "fail", "error", "skip", "xfail")

DEFAULT_TIMEOUT = 10.0  # seconds per call of a candidate's function

#: Where a FRAMEWORK = "torch" / "jax" candidate's tensors live (``--device``): a torch device
#: (``cpu``, ``cuda``, ``cuda:1``) or a JAX platform (``cpu``, ``gpu``); whether it exists is
#: known only to the framework, in the worker (a missing one: a usage error).
DEFAULT_DEVICE = "cpu"


def _choice(kind: str, value: str, allowed: Iterable[str]) -> str:
    allowed = tuple(allowed)
    if value not in allowed:
        raise UsageError(f"unknown {kind} {value!r}; choose from {', '.join(allowed)}")
    return value


@dataclass(frozen=True)
class Options:
    """One run's settings.  ``dtypes`` None: the target's own (a candidate's ``DTYPES``, else
    :data:`DEFAULT_DTYPES`); ``only`` None: every group.  Construct with :meth:`make` to
    validate."""

    profile: str = DEFAULT_PROFILE
    dtypes: tuple[str, ...] | None = None
    only: tuple[str, ...] = GROUPS
    timeout: float = DEFAULT_TIMEOUT
    diagnose: bool = True
    strict: bool = False
    xfails: tuple[XfailEntry, ...] = field(default=())
    device: str = DEFAULT_DEVICE

    @classmethod
    def make(
        cls,
        *,
        profile: str | None = None,
        dtypes: Iterable[str] | str | None = None,
        only: Iterable[str] | str | None = None,
        timeout: float | None = None,
        diagnose: bool = True,
        strict: bool = False,
        xfails: Iterable[XfailEntry] = (),
        device: str | None = None,
    ) -> Options:
        """Validated options; a bad value raises :class:`gradspec.errors.UsageError`."""
        profile = _choice("profile", profile or DEFAULT_PROFILE, PROFILES)
        if isinstance(dtypes, str):
            dtypes = (dtypes,)
        dts = None if dtypes is None else split_dtypes(dtypes)
        if isinstance(only, str):
            only = (only,)
        groups = tuple(_choice("group", g, GROUPS) for g in only) if only else GROUPS
        timeout = DEFAULT_TIMEOUT if timeout is None else float(timeout)
        if not timeout > 0:
            raise UsageError(f"timeout must be positive, got {timeout}")
        device = DEFAULT_DEVICE if device is None else str(device)
        if not device or any(c.isspace() for c in device):
            raise UsageError(f"--device must name a device (cpu, cuda:1, gpu), not {device!r}")
        return cls(profile, dts, groups, timeout, diagnose, strict, tuple(xfails), device)

    def dtypes_for(self, declared: object = None) -> tuple[str, ...]:
        """The dtypes to check: asked for, else declared by the target (``DTYPES``), else
        :data:`DEFAULT_DTYPES`."""
        if self.dtypes is not None:
            return self.dtypes
        if isinstance(declared, list | tuple) and declared:
            return split_dtypes(str(d) for d in declared)
        return DEFAULT_DTYPES


def split_dtypes(values: Iterable[str]) -> tuple[str, ...]:
    """Validated dtype names, each value possibly a comma-separated list
    (``--dtype bfloat16,float16``), in the order given, without repeats."""
    names = [d.strip() for v in values for d in str(v).split(",") if d.strip()]
    if not names:
        raise UsageError(f"no dtype given; choose from {', '.join(DTYPES)}")
    chosen = tuple(dict.fromkeys(_choice("dtype", d, DTYPES) for d in names))
    for name in chosen:
        _dtypes.resolve(name)  # bfloat16: registered with NumPy now, before anything asks
    return chosen
