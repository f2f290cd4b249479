"""How a worker on another machine (or in a cluster's copy of the project) finds the project."""

from __future__ import annotations

import sys
from pathlib import Path

from hydra_runner.jobs.runner import Bootstrap


def _boot(project: Path) -> Bootstrap:
    venv = project / ".venv" / "lib" / "python3.11" / "site-packages"
    return Bootstrap(
        sys_path=[str(project), str(project / "src"), str(venv), "/nowhere/site-packages", sys.prefix],
        argv=["train.py"], cwd=str(project), main_file=str(project / "src" / "train.py"), environ={},
    )


def test_where_the_project_exists_jobs_run_in_it(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    boot = _boot(project).relocated(str(tmp_path / "copy"), ["/local/lib"])
    assert boot.cwd == str(project)
    assert boot.main_file == str(project / "src" / "train.py")
    # The project's code first, then this machine's Python; the parent's other source dirs
    # where they exist here, never its environments (the project's .venv included).
    assert boot.sys_path == [str(project), str(project / "src"), "/local/lib", sys.prefix]


def test_elsewhere_the_unpacked_copy_stands_in_for_the_project(tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    boot = _boot(Path("/home/someone/project")).relocated(str(copy), ["/local/lib"])
    assert boot.cwd == str(copy)
    assert boot.main_file == str(copy / "src" / "train.py")
    # Another machine: nothing of the parent's but the project (a path may exist here by chance).
    assert boot.sys_path == [str(copy), str(copy / "src"), "/local/lib"]
    assert boot.argv == ["train.py"]
