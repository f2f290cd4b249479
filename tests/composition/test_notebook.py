"""``hydra_runner.composition``: equal to ``hydra.compose``, repeatable, cache-invalidating."""

from __future__ import annotations

import time
from pathlib import Path

from hydra import compose as hydra_compose
from hydra import initialize_config_dir
from omegaconf import OmegaConf

from hydra_runner import compose


def _conf(tmp_path: Path) -> Path:
    (tmp_path / "db").mkdir()
    (tmp_path / "config.yaml").write_text("defaults:\n  - db: mysql\n  - _self_\nlr: 0.1\nname: ${db.driver}-run\n")
    (tmp_path / "db" / "mysql.yaml").write_text("driver: mysql\n")
    (tmp_path / "db" / "pg.yaml").write_text("driver: pg\n")
    return tmp_path


def test_equal_to_hydra_compose_and_repeatable(tmp_path: Path) -> None:
    conf = _conf(tmp_path)
    for overrides in ([], ["db=pg", "lr=0.5"], ["+extra=1", "~name"], ["db=pg", "lr=0.5"]):
        ours = compose(str(conf), "config", overrides)
        with initialize_config_dir(version_base=None, config_dir=str(conf)):
            theirs = hydra_compose("config", overrides=overrides)
        assert OmegaConf.to_yaml(ours) == OmegaConf.to_yaml(theirs)
        assert "hydra" not in ours


def test_with_hydra_config(tmp_path: Path) -> None:
    cfg = compose(str(_conf(tmp_path)), "config", ["db=pg"], return_hydra_config=True)
    assert cfg.hydra.runtime.choices.db == "pg"


def test_results_are_independent_copies(tmp_path: Path) -> None:
    conf = str(_conf(tmp_path))
    first = compose(conf, "config")
    first.lr = 99.0
    assert compose(conf, "config").lr == 0.1


def test_sees_edited_files(tmp_path: Path) -> None:
    conf = _conf(tmp_path)
    assert compose(str(conf), "config").lr == 0.1
    time.sleep(0.01)
    (conf / "config.yaml").write_text("defaults:\n  - db: mysql\n  - _self_\nlr: 0.7\n")
    assert compose(str(conf), "config").lr == 0.7
