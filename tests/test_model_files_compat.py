"""Model files written by the previous release (0.1.0, commit 5ba2d92) still load and
predict what they predicted then.

tests/data/release-0.1.0 holds files that release's ``logistic train`` wrote: the built-in
breast-cancer data unpenalised with standard errors (format version 1, an inference block),
iris with a text target (a multinomial model, version 2), and wine with a categorical column,
class weights and cross-validation; beside each, ten of its rows and what that release
predicted for them (expected.json).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import logistic
from logistic.cli import run
from logistic.inference import InferenceResult
from logistic.tables import read_table

DATA = Path(__file__).parent / "data" / "release-0.1.0"
EXPECTED = json.loads((DATA / "expected.json").read_text())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_old_model_files_load_and_predict_the_same(name):
    model = logistic.load(DATA / f"{name}.json")
    types = model.preprocessor.csv_column_types()
    rows = read_table(DATA / f"{name}.rows.csv", column_types=types)
    proba = model.predict_proba(rows)
    np.testing.assert_allclose(proba, EXPECTED[name]["proba"], rtol=1e-13, atol=1e-15)
    labels = [v if isinstance(v, int | float) else str(v) for v in model.predict(rows).tolist()]
    assert labels == EXPECTED[name]["labels"]


def test_old_inference_block_reads_back_and_summary_prints(capsys):
    model = logistic.load(DATA / "breast_cancer_inference.json")
    result = InferenceResult.from_dict(model.inference)
    text = str(result.summary())
    assert "mean radius" in text and "std err" in text
    for name in sorted(EXPECTED):
        assert run(["summary", str(DATA / f"{name}.json")]) == 0
    assert "Logistic Regression Results" in capsys.readouterr().out
