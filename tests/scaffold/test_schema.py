from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

import pytest
from hydra.core.config_store import ConfigStore

from hydra_runner.errors import TargetError, UsageError
from hydra_runner.scaffold.schema import checked_values, config_dataclass


@dataclass
class Optimizer:
    momentum: float = 0.9


@dataclass
class ExpConfig:
    name: str = "default"
    batch_size: int = 16
    learning_rate: float = 2e-5
    fold: List[int] = field(default_factory=lambda: [0, 1])
    note: Optional[str] = None
    optimizer: Optimizer = field(default_factory=Optimizer)


def test_values_are_converted_as_omegaconf_would() -> None:
    values = checked_values(ExpConfig, ["learning_rate=1e-5", "batch_size='8'", "fold=[0,1,2]", "note=null",
                                        "optimizer.momentum=0.5", "name=${oc.env:USER}"], source="train.py")
    assert values == {"learning_rate": 1e-5, "batch_size": 8, "fold": [0, 1, 2], "note": None,
                      "optimizer": {"momentum": 0.5}, "name": "${oc.env:USER}"}


@pytest.mark.parametrize("assignment, words", [
    ("batch_size=abc", ["'batch_size=abc'", "ExpConfig.batch_size", "declared int", "'abc'"]),
    ("batch_size=8.5", ["declared int"]),
    ("learning_rate=null", ["declared float", "not Optional"]),
    ("fold=3", ["declared List[int]"]),
    ("optimizer.momentum=fast", ["ExpConfig.optimizer.momentum", "declared float"]),
])
def test_wrong_type_names_key_and_declared_type(assignment: str, words: list[str]) -> None:
    with pytest.raises(UsageError) as info:
        checked_values(ExpConfig, [assignment], source="train.py")
    for word in words:
        assert word in info.value.message
    assert "valid keys: name, batch_size, learning_rate, fold, note, optimizer" in str(info.value.fix)


def test_unknown_key_names_valid_keys_and_the_closest() -> None:
    with pytest.raises(UsageError) as info:
        checked_values(ExpConfig, ["batchsize=8"], source="exp/train.py")
    assert "ExpConfig in exp/train.py has no field 'batchsize'" in info.value.message
    assert str(info.value.fix).startswith("did you mean batch_size? valid keys: name, batch_size")
    with pytest.raises(UsageError, match=r"'optimizer.beta' \(Key 'beta' not in 'Optimizer'"):
        checked_values(ExpConfig, ["optimizer.beta=1"], source="train.py")


@pytest.mark.parametrize("assignment", ["batch_size=8,16", "+batch_size=8", "~batch_size", "batch_size"])
def test_only_plain_assignments(assignment: str) -> None:
    with pytest.raises(UsageError):
        checked_values(ExpConfig, [assignment], source="train.py")


def test_loading_train_py_runs_no_main_and_leaves_the_config_store_alone(tmp_path: Path) -> None:
    (tmp_path / "helper.py").write_text("DEFAULT_SEED = 7\n")
    entry = tmp_path / "train.py"
    entry.write_text(
        "from dataclasses import dataclass\n"
        "from hydra.core.config_store import ConfigStore\n"
        "from helper import DEFAULT_SEED\n"
        "@dataclass\nclass ExpConfig:\n    seed: int = DEFAULT_SEED\n"
        "ConfigStore.instance().store(name='default', group='scaffold_test_group', node=ExpConfig)\n"
        "if __name__ == '__main__':\n    raise SystemExit('main ran')\n"
    )
    cls = config_dataclass(entry, "ExpConfig", tmp_path)
    assert cls().seed == 7
    assert "scaffold_test_group" not in ConfigStore.instance().repo
    with pytest.raises(UsageError, match="defines no dataclass EnvConfig"):
        config_dataclass(entry, "EnvConfig", tmp_path)


def test_a_train_py_that_fails_to_import_is_a_target_error(tmp_path: Path) -> None:
    entry = tmp_path / "train.py"
    entry.write_text("import not_installed_anywhere_xyz\n")
    with pytest.raises(TargetError, match="importing .* failed: ModuleNotFoundError"):
        config_dataclass(entry, "ExpConfig", tmp_path)
