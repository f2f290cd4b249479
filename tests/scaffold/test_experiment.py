from __future__ import annotations

from pathlib import Path

import pytest

from hydra_runner.errors import UsageError
from hydra_runner.scaffold import new_experiment


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_new_experiment_has_config_train_and_exp_001(tmp_path: Path) -> None:
    created = new_experiment("baseline", root=tmp_path)
    directory = tmp_path / "experiments" / "001-baseline"
    assert created == [directory, directory / "config.yaml", directory / "train.py", directory / "exp" / "001.yaml"]
    assert (directory / "exp" / "001.yaml").read_text().endswith('\nname: "001-baseline"\n')
    assert 'output_dir: str = "output/001-baseline"' in (directory / "train.py").read_text()
    assert not (directory / "exp" / "default.yaml").exists() and not (directory / "env").exists()


def test_numbers_follow_the_highest_and_an_explicit_free_one_is_used(tmp_path: Path) -> None:
    new_experiment("baseline", root=tmp_path)
    assert new_experiment("005-later", root=tmp_path)[0].name == "005-later"
    assert new_experiment("next", root=tmp_path)[0].name == "006-next"
    assert new_experiment("003-between", root=tmp_path)[0].name == "003-between"
    assert sorted(p.name for p in (tmp_path / "experiments").iterdir()) == [
        "001-baseline", "003-between", "005-later", "006-next",
    ]


@pytest.mark.parametrize("name, message", [
    ("005-other", "number 005 is taken by"),
    ("baseline", "already an experiment named 'baseline'"),
])
def test_nothing_is_overwritten_or_added(tmp_path: Path, name: str, message: str) -> None:
    new_experiment("baseline", root=tmp_path)
    new_experiment("005-later", root=tmp_path)
    (tmp_path / "experiments" / "005-later" / "train.py").write_text("# edited\n")
    before = _files(tmp_path)
    with pytest.raises(UsageError, match=message):
        new_experiment(name, root=tmp_path)
    assert _files(tmp_path) == before
    assert sorted(p.name for p in (tmp_path / "experiments").iterdir()) == ["001-baseline", "005-later"]


def test_from_copies_the_earlier_experiment_with_its_name_replaced(tmp_path: Path) -> None:
    new_experiment("baseline", root=tmp_path)
    old = tmp_path / "experiments" / "001-baseline"
    (old / "env").mkdir()
    (old / "env" / "local.yaml").write_text("defaults:\n- default@_here_\n\nmodel_output_dir: output/001-baseline\n")
    (old / "outputs" / "2024-01-01").mkdir(parents=True)
    created = new_experiment("larger-model", source="001", root=tmp_path)
    new = tmp_path / "experiments" / "002-larger-model"
    assert created[0] == new
    assert sorted(str(p.relative_to(new)) for p in created[1:]) == [
        "config.yaml", "env/local.yaml", "exp/001.yaml", "train.py",
    ]
    assert (new / "env" / "local.yaml").read_text().endswith("model_output_dir: output/002-larger-model\n")
    assert (new / "exp" / "001.yaml").read_text().endswith('name: "001-larger-model"\n')
    assert "001-baseline" not in (new / "train.py").read_text()
    assert not (new / "outputs").exists()


def test_from_an_unknown_experiment_writes_nothing(tmp_path: Path) -> None:
    new_experiment("baseline", root=tmp_path)
    with pytest.raises(UsageError, match="no experiment '009'"):
        new_experiment("larger-model", source="009", root=tmp_path)
    assert not (tmp_path / "experiments" / "002-larger-model").exists()
