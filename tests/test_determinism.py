"""Derandomized profiles draw the same examples wherever they run: in this process or in a
pool process (``-j``), whatever modules (and so whatever numeric literals) are loaded."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from gradspec.conformance import api, runner
from gradspec.conformance.options import Options
from gradspec.conformance.targets.builtins import builtin

OPTIONS = Options.make(profile="quick", only="costs", dtypes="float64")


def _drawn(report) -> dict[str, object]:
    return {r.id: (r.status, r.examples, r.worst and r.worst.inputs) for r in report.results}


def test_a_pool_process_draws_what_this_process_draws() -> None:
    here = runner.run(builtin("numpy"), OPTIONS)
    (pooled,), _ = api.verify_many(["numpy"], jobs=1, options=OPTIONS)
    assert not pooled.error
    assert repr(_drawn(pooled)) == repr(_drawn(here))


def test_a_plan_cut_into_parts_over_two_processes_gives_the_same_report() -> None:
    here = runner.run(builtin("numpy"), OPTIONS)
    done: list[int] = []
    (parted,), _ = api.verify_many(
        ["numpy"], jobs=2, options=OPTIONS, on_done=lambda i, rep: done.append(i)
    )
    assert done == [0]  # once per backend, when its last part is in
    assert not parted.error
    assert [r.id for r in parted.results] == [r.id for r in here.results]  # plan order
    assert repr(_drawn(parted)) == repr(_drawn(here))


def test_the_costliest_backend_is_handed_out_first() -> None:
    assert api.part_order(["numpy", "jax"], 2) == [(1, 0), (1, 1), (0, 0), (0, 1)]
    assert api.part_order(["jax:cpu", "numpy", "jax-autodiff"], 1) == [(0, 0), (2, 0), (1, 0)]
    assert api.part_order(["numpy"], 3) == [(0, 0), (0, 1), (0, 2)]


def test_the_literals_of_a_loaded_module_do_not_move_the_draws(tmp_path: Path) -> None:
    before = runner.run(builtin("numpy"), OPTIONS)
    # A module of the kind a checked candidate is: its own constants, loaded from outside
    # site-packages.  Hypothesis would otherwise mix them into its draws.
    src = tmp_path / "literals_module.py"
    src.write_text("SLOPE = 0.2173\nTHRESHOLD = 31.5\nCOUNT = 977\nEPS = 1.75e-7\n")
    spec = importlib.util.spec_from_file_location("literals_module", src)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["literals_module"] = mod
    try:
        spec.loader.exec_module(mod)
        after = runner.run(builtin("numpy"), OPTIONS)
    finally:
        del sys.modules["literals_module"]
    assert repr(_drawn(after)) == repr(_drawn(before))
