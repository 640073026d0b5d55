"""Detection curves of the network gradient checkers: how small a single wrong gradient entry
each one catches, and how often it raises a false alarm on the true gradient.

Per network size and dtype, one entry of the true gradient (a random entry, a random sign,
per seed) is moved by ``level * max|g|`` for ``level`` = 1e-1 ... 1e-10; each checker runs on
every planted gradient and on the true one, ``seeds`` times.  A level is *caught* when at least
95% of the seeds fail the check there; the figure reported is the smallest such level, with
the false-alarm rate on the true gradient (which must be 0: a false alarm is as bad as a miss;
a checker with false alarms has no finest level).  Levels below two that no seed caught are
not run (reported as None), nor are any for a checker that fails every true gradient.

gradspec is :func:`benchmarks.checkers.directional_check`, the network check itself; the peers
are jax's ``check_grads`` (reverse mode, its default tolerances) and torch's ``gradcheck``
(fast_mode, and the default mode where affordable: the default differentiates every
parameter, ~2n loss evaluations).  In float32 a planted delta below the entry's resolution
rounds away: nothing is planted there, and no checker can catch it.
"""

from __future__ import annotations

import time

import numpy as np

from . import checkers, nets
from ._timing import single

LEVELS = tuple(10.0**-k for k in range(1, 11))
CAUGHT = 0.95  # the share of seeds a level must be caught in


def plants(p: checkers.Problem, seeds: int) -> list[tuple[int, float]]:
    """(index, sign) of the wrong entry per seed."""
    out = []
    for s in range(seeds):
        rng = np.random.default_rng(10_000 + s)
        out.append((int(rng.integers(p.n)), float(rng.choice([-1.0, 1.0]))))
    return out


def _checkers(p: checkers.Problem, torch_default: bool):
    """name -> run(grad, seed) -> passed, for every checker available on this problem."""
    out = {
        "gradspec": lambda g, s: checkers.directional_check(p, g, seed=s)[0],
    }
    jax, _, jplanted, jx = checkers.jax_fns(p)
    out["jax check_grads (rev)"] = lambda g, s: checkers.jax_check(jax, jplanted(g), jx)
    tf = checkers.torch_fns(p)
    if tf is not None:
        torch, _, tplanted, tx = tf

        def fast(g, s):
            torch.manual_seed(s)  # fast_mode draws its random vectors from torch's generator
            return checkers.torch_gradcheck(torch, tplanted(g), tx, True)

        out["torch gradcheck fast_mode"] = fast
        if torch_default:
            out["torch gradcheck default"] = lambda g, s: checkers.torch_gradcheck(
                torch, tplanted(g), tx, False
            )
    return out


def curve(
    case: nets.NetCase, dtype: str, seeds: int, *, torch_default: bool, log=print
) -> list[dict]:
    """One row per checker: detection rate per level, the smallest level caught in >= 95% of
    the seeds, the false-alarm rate on the true gradient."""
    p = checkers.Problem(case, dtype=dtype)
    gmax = float(np.max(np.abs(p.grad)))
    where = plants(p, seeds)
    tf = nets.torch_or_none()
    threads = tf.get_num_threads() if tf else None
    if tf:
        tf.set_num_threads(1)  # see checkers.run_problem: one thread on a busy machine
    rows = []
    try:
        for name, run in _checkers(p, torch_default).items():
            t0 = time.perf_counter()
            false = sum(not run(p.grad, s) for s in range(seeds))
            runs = seeds
            rates: list[float | None] = []
            planted_nothing = 0
            for level in LEVELS:
                if false == seeds or [r for r in rates if r is not None][-2:] == [0.0, 0.0]:
                    # Not run: a checker that fails the true gradient every time "catches"
                    # anything; past two levels missed by every seed, smaller errors are too.
                    rates.append(None)
                    continue
                caught = 0
                for s, (i, sign) in enumerate(where):
                    bad = p.planted(i, sign * level * gmax)
                    planted_nothing += bool(bad[i] == p.grad.astype(p.dtype)[i])
                    caught += not run(bad, s)
                    runs += 1
                rates.append(caught / seeds)
            finest = None
            if false == 0:
                finest = min((lv for lv, r in zip(LEVELS, rates, strict=True)
                              if r is not None and r >= CAUGHT), default=None)  # fmt: skip
            elapsed = time.perf_counter() - t0
            log(f"  detection {p.n:,} params {dtype} {name}: finest {finest}, "
                f"false alarms {false}/{seeds} ({elapsed:.1f} s)")  # fmt: skip
            rows.append(
                {
                    "section": "detection",
                    "name": name,
                    "params": p.n,
                    "size": f"{p.n:,} params",
                    "dtype": dtype,
                    "seeds": seeds,
                    "levels": list(LEVELS),
                    "detection_rate": rates,
                    "finest_caught": finest,
                    "false_alarm_rate": false / seeds,
                    "planted_nothing": planted_nothing,
                    "elapsed_s": elapsed,
                    "runs": runs,
                    "stat": single(elapsed / runs).as_dict(),  # mean seconds per check run
                }
            )
    finally:
        if tf:
            tf.set_num_threads(threads)
    return rows


def detection(quick: bool, smoke: bool = False, log=print) -> list[dict]:
    """The curves on both sizes in float32 and float64: 20 seeds (5 with --quick; 2 and the
    small size only in the smoke run), torch's default gradcheck at the small size only and
    not with --quick (~0.2 s a run)."""
    seeds = 2 if smoke else 5 if quick else 20
    cases = (nets.SMALL,) if smoke else (nets.SMALL, nets.MEDIUM)
    rows = []
    for case in cases:
        for dtype in ("float32", "float64"):
            rows += curve(case, dtype, seeds, torch_default=case is nets.SMALL and not quick
                          and not smoke, log=log)  # fmt: skip
    return rows
