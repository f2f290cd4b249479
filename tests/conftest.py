from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

import pytest

from hydra_runner.testing.project import Project, Result

__all__ = ["Project", "Result"]

SEED_000 = {
    "conf/config.yaml": """
        defaults:
          - _self_
          - experiment: base

        trainer:
          max_epochs: 5
          accelerator: cpu
        """,
    "conf/experiment/base.yaml": """
        optimizer: adam
        lr: 0.001
        batch_size: 32
        """,
    "conf/experiment/large.yaml": """
        optimizer: sgd
        lr: 0.01
        batch_size: 256
        """,
    "src/train.py": """
        import hydra
        from omegaconf import DictConfig

        @hydra.main(config_path="conf", config_name="config", version_base="1.3")
        def run(cfg: DictConfig) -> None:
            print(f"optimizer={cfg.experiment.optimizer}")
            print(f"lr={cfg.experiment.lr}")

        if __name__ == "__main__":
            run()
        """,
}


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


@pytest.fixture
def seed000(project: Project) -> Project:
    return project.write(SEED_000)


@pytest.fixture
def in_tmp_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Run in-process API calls from a fresh working directory (outputs land there)."""
    monkeypatch.chdir(tmp_path)
    saved_path = list(sys.path)
    yield tmp_path
    sys.path[:] = saved_path
