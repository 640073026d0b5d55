"""The note naming a candidate's own functions that no check calls (``mse``, ``relu_grad``):
without it such a function is left out silently and looks checked."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import gradspec
from gradspec.conformance.targets import candidate, unchecked


@pytest.mark.parametrize(
    ("name", "meant"),
    [
        ("mse", "squared"),
        ("mse_der", "squared_der"),
        ("relu_grad", "relu_der"),
        ("tanh_prime", "tanh_der"),
        ("dsigmoid", "sigmoid_der"),
        ("sigmoid_der2", "sigmoid_der2"),
        ("softplu", "softplus"),
        ("train_model", None),
        ("load_data", None),
    ],
)
def test_suggestion(name: str, meant: str | None) -> None:
    assert unchecked.suggestion(name) == meant


def test_note_lists_only_the_unused_public_functions() -> None:
    own = ["relu", "relu_der", "mse", "_helper", "delta"]
    note = unchecked.note(own, used=["relu", "relu_der"])
    assert note is not None and note.startswith("not checked")
    assert "mse" in note and "squared?" in note
    assert "relu" not in note.replace("mse", "") and "_helper" not in note and "delta" not in note
    assert unchecked.note(["relu", "_helper"], used=["relu"]) is None


def test_a_checked_file_notes_its_unrecognised_functions(tmp_path: Path) -> None:
    src = tmp_path / "student.py"
    src.write_text(
        textwrap.dedent(
            """
            import numpy as np
            from scipy.special import expit

            def relu(z):
                return np.maximum(z, 0)

            def relu_der(z):
                return (z > 0).astype(float)

            def mse(pred, y):
                return np.mean((pred - y) ** 2)

            def _clip(x):
                return x
            """
        )
    )
    with candidate.load(str(src)) as target:
        notes = [n for n in target.notes if n.startswith("not checked")]
    assert len(notes) == 1, target.notes
    assert "mse" in notes[0] and "squared?" in notes[0]
    # imported (expit), private (_clip) and checked (relu, relu_der) functions are not named
    for name in ("expit", "_clip", "relu_der"):
        assert name not in notes[0]
    rep = gradspec.check(str(src), profile="quick", dtypes="float64", only="activations")
    assert any(n.startswith("not checked") and "mse" in n for n in rep.notes)


def test_a_file_whose_functions_are_all_checked_has_no_such_note() -> None:
    path = Path(__file__).parents[1] / "examples" / "candidates" / "good_sigmoid_textbook.py"
    with candidate.load(str(path)) as target:
        assert not [n for n in target.notes if n.startswith("not checked")], target.notes
