"""What a ``gradspec check`` spends before and around its measurements: the imports it
defers, the worker it starts early, the shapes it calls a candidate with (a JAX candidate
compiles every new shape), the truth store it reads."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from gradspec.conformance.api import check
from gradspec.conformance.engine.calling import CALL_ROWS, call_rows
from gradspec.conformance.engine.results import Violation
from gradspec.conformance.targets import isolation
from gradspec.conformance.targets.candidate import load
from gradspec.errors import UsageError


def _python(code: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_a_float64_check_never_imports_ml_dtypes_and_bfloat16_still_resolves() -> None:
    # ml_dtypes' import registers a dozen dtypes with NumPy: ~0.6 s, deferred until asked for
    got = _python(
        """
        import sys
        import numpy as np
        from gradspec.conformance.api import check
        from gradspec import reference
        rep = check(reference, only="activations", dtypes="float64", profile="quick")
        print(rep.ok, "ml_dtypes" in sys.modules)
        from gradspec import dtypes
        print(dtypes.resolve("bfloat16") == np.dtype(dtypes.BFLOAT16), dtypes.is_low("bfloat16"),
              dtypes.is_float(dtypes.BFLOAT16), float(dtypes.finfo("bfloat16").eps))
        """
    )
    assert got.splitlines() == ["True False", "True True True 0.0078125"]


def test_asking_for_bfloat16_registers_it_before_anything_resolves_it() -> None:
    got = _python(
        """
        import numpy as np
        from gradspec.conformance.options import Options
        opts = Options.make(dtypes="bfloat16,float64")
        print(opts.dtypes, np.dtype("bfloat16").itemsize)
        """
    )
    assert got == "('bfloat16', 'float64') 2"


class _Recorder:
    """A namespace whose one function records the shapes it is called with."""

    label = "recorder"

    def __init__(self, fn):
        self.fn, self.shapes = fn, []

    def call(self, name, *args):
        self.shapes.append(tuple(np.shape(a) for a in args))
        return self.fn(*args)


@pytest.mark.parametrize("n", [1, 3, 8, 13, 23])
def test_call_rows_gives_one_calls_result_from_calls_of_the_batch_shape(n: int) -> None:
    ns = _Recorder(lambda z, y: np.tanh(z) * y)
    z, y = np.linspace(-2, 2, n), np.linspace(1, 2, n)
    got = call_rows(ns, "f", (z, y), (n,))
    np.testing.assert_array_equal(got, np.tanh(z) * y)
    assert {s for s in ns.shapes} == {((CALL_ROWS,), (CALL_ROWS,))}
    assert len(ns.shapes) == -(-n // CALL_ROWS)


def test_call_rows_calls_once_with_everything_when_rows_are_not_independent() -> None:
    mean_grad = _Recorder(lambda a: a / a.size)  # a reduced cost's gradient depends on n
    a = np.arange(1.0, 21.0)
    np.testing.assert_array_equal(call_rows(mean_grad, "g", (a,), (20,), rowwise=False), a / 20)
    assert mean_grad.shapes == [((20,),)]
    # a candidate that answers with its own shape is judged on one call of all the rows
    scalar = _Recorder(lambda a: np.float64(a.sum()))
    assert call_rows(scalar, "s", (a,), (20,)) == a.sum()
    assert scalar.shapes[-1] == ((20,),)


def test_call_rows_raises_the_candidates_error_as_a_violation() -> None:
    def broken(z):
        raise ValueError("nope")

    with pytest.raises(Violation, match="f raised ValueError: nope"):
        call_rows(_Recorder(broken), "f", (np.zeros(20),), (20,))


def test_a_check_calls_activations_with_few_shapes(tmp_path: Path) -> None:
    """Every shape is a compile for a jitted candidate: the kinks, extremes and determinism
    checks call with the drawn batch, so the shapes are the drawn ones and shape_dtype's."""
    log = tmp_path / "shapes.txt"
    cand = tmp_path / "cand.py"
    cand.write_text(
        textwrap.dedent(
            f"""
            import numpy as np

            def _log(z):
                with open({str(log)!r}, "a") as f:
                    f.write(repr(np.shape(z)) + "\\n")

            def relu(z):
                _log(z)
                return np.maximum(z, 0)

            def relu_der(z):
                _log(z)
                return (z > 0).astype(z.dtype)

            def tanh(z):
                _log(z)
                return np.tanh(z)

            def tanh_der(z):
                _log(z)
                return 1 - np.tanh(z) ** 2
            """
        )
    )
    rep = check(str(cand), only="activations", dtypes="float64")
    assert rep.ok, [(r.id, r.message) for r in rep.failed]
    shapes = set(log.read_text().split("\n")) - {""}
    # shape_dtype's own: (), (5,), (3, 4), (2, 3, 4); the drawn batch: (8,)
    assert shapes == {"()", "(5,)", "(3, 4)", "(2, 3, 4)", "(8,)"}


def _candidate(tmp_path: Path, body: str) -> str:
    path = tmp_path / "cand.py"
    path.write_text(textwrap.dedent(body))
    return str(path)


def test_a_prestarted_worker_is_handed_over_once(tmp_path: Path) -> None:
    path = _candidate(
        tmp_path,
        """
        import numpy as np
        def sigmoid(z):
            return 1 / (1 + np.exp(-z))
        """,
    )
    isolation.prestart(path, timeout=10.0)
    proc = isolation._STARTED[(str(Path(path).resolve()), 10.0, "cpu")]
    pid = proc.pid
    assert pid is not None  # started, the import on its way
    with load(path, timeout=10.0) as target:
        assert target.ns.proc.pid == pid  # the same worker, not a second one
        assert "sigmoid" in target.ns.names()
    assert isolation.started(path, timeout=10.0) is None
    # another timeout or device is another process: not handed over
    isolation.prestart(path, timeout=10.0)
    assert isolation.started(path, timeout=5.0) is None
    assert isolation.started(path, timeout=10.0, device="cuda") is None
    leftover = isolation.started(path, timeout=10.0)
    assert leftover is not None
    leftover.close()


def test_a_prestarted_import_failure_is_the_same_one_line_error(tmp_path: Path) -> None:
    path = _candidate(tmp_path, "import numpy as np\nraise RuntimeError('broken at import')\n")
    cmd = [sys.executable, "-m", "gradspec.cli", "check", path]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    with pytest.raises(UsageError) as unstarted:  # the same load, not started early
        load(path, timeout=10.0)
    assert out.stderr.strip().splitlines() == [f"gradspec: error: {unstarted.value}"]
    assert "RuntimeError: broken at import" in str(unstarted.value)
    isolation.prestart(str(tmp_path / "missing.py"), timeout=10.0)  # nothing to start
    assert isolation.started(str(tmp_path / "missing.py"), timeout=10.0) is None


def test_a_usage_error_comes_before_the_candidate_is_imported(tmp_path: Path) -> None:
    marker = tmp_path / "imported"
    path = _candidate(tmp_path, f"open({str(marker)!r}, 'w').close()\n")
    cmd = [sys.executable, "-m", "gradspec.cli", "check", path, "--profile", "bogus"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert out.stderr.startswith("gradspec: error: unknown profile 'bogus'")
    assert not marker.exists()
