"""The persistent truth memo: a second process gets the first one's values without evaluating
mpmath, bit for bit; it can be switched off; a broken store costs a warning, never a value."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np

FIRST = textwrap.dedent(
    """
    import numpy as np
    from gradspec.derivations import truth, truth_store
    z = np.array([-30.0, -1.5, 0.25, 3.0, 700.0])
    with truth_store.persisting():
        values = np.stack([
            truth.activation_value("gelu", z, 1),
            truth.cost_value("log_loss", np.array([0.2, 0.7, 0.9, 0.01, 0.5]), np.ones(5), 1),
        ])
        rows = truth.activation_value("softmax", np.array([[1.0, -2.0, 0.5]]), 1)
    np.save("values.npy", values)
    np.save("rows.npy", rows)
    """
)

# The same values again, with the oracle's evaluation made to fail: only the store can answer.
SECOND = textwrap.dedent(
    """
    import numpy as np
    from gradspec.derivations import truth
    def refuse(fn, args):
        raise AssertionError(f"evaluated {args}")
    truth._adaptive = refuse
    z = np.array([-30.0, -1.5, 0.25, 3.0, 700.0])
    got = np.stack([
        truth.activation_value("gelu", z, 1),
        truth.cost_value("log_loss", np.array([0.2, 0.7, 0.9, 0.01, 0.5]), np.ones(5), 1),
    ])
    assert np.array_equal(got, np.load("values.npy"), equal_nan=True)
    rows = truth.activation_value("softmax", np.array([[1.0, -2.0, 0.5]]), 1)
    assert np.array_equal(rows, np.load("rows.npy"))
    print("from the store")
    """
)


def _python(code: str, tmp: Path, **env: str) -> subprocess.CompletedProcess:
    full = {**os.environ, "XDG_CACHE_HOME": str(tmp / "cache"), **env}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=tmp, env=full, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip


def test_a_second_process_reads_the_first_ones_values(tmp_path: Path) -> None:
    p = _python(FIRST, tmp_path)
    assert p.returncode == 0, p.stderr
    stores = list((tmp_path / "cache" / "gradspec").glob("truth-*.sqlite"))
    assert len(stores) == 1
    p = _python(SECOND, tmp_path)
    assert p.returncode == 0, p.stderr
    assert "from the store" in p.stdout


def test_switched_off_nothing_is_written_and_nothing_read(tmp_path: Path) -> None:
    p = _python(FIRST, tmp_path, GRADSPEC_TRUTH_CACHE="off")
    assert p.returncode == 0, p.stderr
    assert not list((tmp_path / "cache").glob("**/truth-*.sqlite"))
    p = _python(FIRST, tmp_path)  # now stored ...
    assert p.returncode == 0, p.stderr
    p = _python(SECOND, tmp_path, GRADSPEC_TRUTH_CACHE="off")  # ... but not read
    assert p.returncode != 0 and "evaluated" in p.stderr


def test_a_corrupt_store_is_a_warning_and_the_values_are_still_computed(tmp_path: Path) -> None:
    p = _python(FIRST, tmp_path)
    assert p.returncode == 0, p.stderr
    (store,) = (tmp_path / "cache" / "gradspec").glob("truth-*.sqlite")
    good = (tmp_path / "values.npy").read_bytes()
    store.write_bytes(b"this is not a database" * 100)
    p = _python(FIRST, tmp_path)
    assert p.returncode == 0, p.stderr
    assert "truth cache" in p.stderr and "disabled for this run" in p.stderr
    assert (tmp_path / "values.npy").read_bytes() == good


def test_values_round_trip_exactly_whatever_their_bytes() -> None:
    from gradspec.derivations.truth_store import _pack_value, _unpack_value

    rng = np.random.default_rng(0)
    bits = rng.integers(0, 2**63, size=2000, dtype=np.uint64).view(np.float64)
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, 65.0, 8.0e-300])
    for v in (*bits, *special):
        back = _unpack_value(_pack_value(np.float64(v)))
        assert isinstance(back, np.float64)
        assert np.array_equal(np.float64(v), back, equal_nan=True)
    row = np.array([0.25, -1.0, np.nan])
    assert np.array_equal(_unpack_value(_pack_value(row)), row, equal_nan=True)


def test_two_processes_share_one_store(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    procs = []
    for i in range(2):
        (tmp_path / str(i)).mkdir()
        cmd = [sys.executable, "-c", FIRST]
        out = subprocess.PIPE
        procs.append(subprocess.Popen(cmd, cwd=tmp_path / str(i), env=env, stdout=out, stderr=out))
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        assert b"disabled" not in err
    (tmp_path / "values.npy").write_bytes((tmp_path / "0" / "values.npy").read_bytes())
    (tmp_path / "rows.npy").write_bytes((tmp_path / "1" / "rows.npy").read_bytes())
    p = _python(SECOND, tmp_path)
    assert p.returncode == 0, p.stderr


# verify -j: each backend runs in a pool process; what it computed must outlive it.
POOLED = textwrap.dedent(
    """
    import sqlite3
    from pathlib import Path
    from gradspec.conformance import api
    from gradspec.conformance.options import Options
    opts = Options.make(profile="quick", only="costs", dtypes="float64")
    reports, _ = api.verify_many(["numpy"], jobs=1, options=opts)
    assert not reports[0].error and reports[0].results, reports[0].error
    (path,) = Path("cache/gradspec").glob("truth-*.sqlite")
    with sqlite3.connect(path) as con:
        print(con.execute("SELECT COUNT(*) FROM truth").fetchone()[0])
    """
)


def test_values_computed_in_a_pool_process_reach_the_store(tmp_path: Path) -> None:
    p = _python(POOLED, tmp_path)
    assert p.returncode == 0, p.stderr
    # far fewer than one batch's worth: written by the flush when the process ends
    assert 0 < int(p.stdout.split()[-1]) < 20_000


# The same points under a derandomized and a randomized profile: only the first is kept.
PROFILED = textwrap.dedent(
    """
    import sqlite3, sys
    from pathlib import Path
    import numpy as np
    from hypothesis import strategies as st
    from gradspec.conformance.engine.results import Measurement, run_property
    from gradspec.derivations import truth, truth_store

    def measure(z):
        truth.activation_value("tanh", np.array([z]), 1)
        return Measurement(None)

    run_property(st.floats(-3, 3), measure, sys.argv[1], max_examples=4)
    truth_store.store().flush()  # as at exit
    paths = list(Path(sys.argv[2], "gradspec").glob("truth-*.sqlite"))
    rows = 0
    for path in paths:
        with sqlite3.connect(path) as con:
            rows += con.execute("SELECT COUNT(*) FROM truth").fetchone()[0]
    print(rows)
    """
)


def test_only_derandomized_draws_are_kept(tmp_path: Path) -> None:
    counts = {}
    for profile in ("thorough", "quick"):
        full = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / profile)}
        p = subprocess.run(
            [sys.executable, "-c", PROFILED, profile, str(tmp_path / profile)], cwd=tmp_path,
            env=full,
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert p.returncode == 0, p.stderr
        counts[profile] = int(p.stdout.split()[-1])
    assert counts == {"thorough": 0, "quick": counts["quick"]} and counts["quick"] > 0


def test_with_persisting_off_nothing_is_written(tmp_path: Path) -> None:
    code = FIRST.replace("with truth_store.persisting():", "with truth_store.persisting(False):")
    p = _python(code, tmp_path)
    assert p.returncode == 0, p.stderr
    p = _python(SECOND, tmp_path)
    assert p.returncode != 0 and "evaluated" in p.stderr


def test_many_keys_are_looked_up_in_batches(tmp_path: Path) -> None:
    from gradspec.derivations import truth_store

    store = truth_store.TruthStore(tmp_path / "t.sqlite")
    keys = [truth_store.pack_args((float(i), 0.5)) for i in range(2 * truth_store.BATCH + 7)]
    with truth_store.persisting():
        for i, k in enumerate(keys[::2]):
            store.add("f", k, np.float64(i))
        store.add("g", keys[1], np.float64(-1.0))
    store.flush()
    got = store.get_many("f", keys)
    assert sorted(got) == sorted(keys[::2])
    assert [got[k] for k in keys[::2]] == list(range(len(keys[::2])))
    assert store.get_many("g", keys) == {keys[1]: -1.0}
    assert store.get_many("h", keys) == {}


def test_stores_of_other_versions_go_after_a_month_unused(tmp_path: Path) -> None:
    from gradspec.cachedir import STALE_DAYS, keep_only_recent

    here = tmp_path / "truth-new.sqlite"
    old, recent = tmp_path / "truth-old.sqlite", tmp_path / "truth-recent.sqlite"
    own_log, other = tmp_path / "truth-new.sqlite-wal", tmp_path / "derived.json"
    for path in (here, old, recent, own_log, other):
        path.write_bytes(b"x")
    month = time.time() - (STALE_DAYS + 1) * 86400
    for path in (here, old, own_log, other):
        os.utime(path, (month, month))
    keep_only_recent(here, "truth-*.sqlite*")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in (here, recent, own_log, other)
    )
    assert here.stat().st_mtime > month + 86400  # marked as used
