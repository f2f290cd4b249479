from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

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


# Hydra 1.4 warns, where @hydra.main is applied, that version_base is deprecated; the test apps keep
# version_base="1.3" for Hydra 1.3, and the tests read what hydra-runner prints.
VERSION_BASE_DEPRECATION = "ignore:The version_base parameter is deprecated"


@dataclass
class Result:
    code: int
    out: str
    err: str


class Project:
    """A throw-away project directory with files, and the hydra-runner CLI run inside it."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, files: dict[str, str]) -> "Project":
        for rel, text in files.items():
            path = self.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip("\n"))
        return self

    def cli(self, *args: str, env: dict[str, str] | None = None, timeout: float = 120) -> Result:
        proc = subprocess.run(
            [sys.executable, "-m", "hydra_runner", *args],
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "HYDRA_RUNNER_IN_PROJECT_VENV": "", "PYTHONWARNINGS": VERSION_BASE_DEPRECATION,
                 **(env or {})},
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def python(self, *args: str, timeout: float = 120) -> Result:
        proc = subprocess.run([sys.executable, *args], cwd=self.root, capture_output=True, text=True, timeout=timeout)
        return Result(proc.returncode, proc.stdout, proc.stderr)


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
