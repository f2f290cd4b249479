"""A project in a real git repository, committed once, for the tests of what runs record about their code."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from hydra_runner.testing.project import Project

APP = {
    "conf/config.yaml": """
        model:
          name: a
          depth: 2
        lr: 0.1
        seed: 0
        """,
    "train.py": """
        import hydra

        @hydra.main(config_path="conf", config_name="config", version_base="1.3")
        def main(cfg):
            return {"loss": cfg.lr * cfg.model.depth, "version": 1}
        """,
}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                          cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(project: Project) -> Project:
    project.write(APP)
    (project.root / ".gitignore").write_text("outputs/\nmultirun/\n.hydra-runner/\n")
    git(project.root, "init", "-q")
    git(project.root, "add", ".")
    git(project.root, "commit", "-q", "-m", "v1")
    return project
