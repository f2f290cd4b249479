from __future__ import annotations

from pathlib import Path

import pytest

from hydra_runner.errors import UsageError
from hydra_runner.scaffold.layout import resolve_experiment


@pytest.fixture
def root(tmp_path: Path) -> Path:
    for name in ("001-baseline", "002-larger-model", "010-baseline-v2"):
        (tmp_path / "experiments" / name).mkdir(parents=True)
    return tmp_path


@pytest.mark.parametrize("ref", ["002", "2", "002-larger-model", "larger-model", "experiments/002-larger-model"])
def test_an_experiment_is_named_by_number_name_or_path(root: Path, ref: str) -> None:
    assert resolve_experiment(ref, root) == root / "experiments" / "002-larger-model"


def test_a_path_outside_experiments(root: Path) -> None:
    (root / "elsewhere" / "exp-x").mkdir(parents=True)
    assert resolve_experiment("elsewhere/exp-x", root) == root / "elsewhere" / "exp-x"


@pytest.mark.parametrize("ref, message, fix", [
    ("003", "no experiment '003'", "001-baseline, 002-larger-model, 010-baseline-v2"),
    ("experiments/003-x", "no experiment directory", "a name or number"),
])
def test_unknown_experiment_lists_the_existing_ones(root: Path, ref: str, message: str, fix: str) -> None:
    with pytest.raises(UsageError, match=message) as info:
        resolve_experiment(ref, root)
    assert fix in str(info.value.fix)


def test_no_experiments_yet_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as info:
        resolve_experiment("001", tmp_path)
    assert "hydra-runner new experiment" in str(info.value.fix)


def test_two_experiments_with_one_number_are_ambiguous(root: Path) -> None:
    (root / "experiments" / "002-other").mkdir()
    with pytest.raises(UsageError, match="several experiments: 002-larger-model, 002-other"):
        resolve_experiment("002", root)
