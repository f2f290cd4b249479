"""``rerun``: a job run again from its record, with a warning when the code changed since."""

from __future__ import annotations

import json

import pytest

from hydra_runner.errors import UsageError
from hydra_runner.repro.rerun import merge_overrides, plan_rerun
from hydra_runner.testing.project import Project
from tests.repro.conftest import git


def _edit(repo: Project, version: int) -> None:
    train = repo.root / "train.py"
    text = train.read_text()
    train.write_text(text.replace(f'"version": {version - 1}', f'"version": {version}'))


def test_new_overrides_replace_recorded_ones_of_the_same_key() -> None:
    assert merge_overrides(["lr=0.1", "+extra=1", "model=a"], ["~extra", "lr=0.5", "seed=2"]) == [
        "model=a", "~extra", "lr=0.5", "seed=2"]


def test_a_sweep_job_reruns_once_with_its_overrides_and_the_new_ones(repo: Project) -> None:
    assert repo.cli("multirun", "train", "lr=0.1,0.3", "model.depth=3", "-j", "2", "hydra.sweep.dir=s").code == 0
    plan = plan_rerun(str(repo.root / "s#1"), ["seed=5"])
    assert plan.command[:2] == ["multirun", "train"] and plan.cwd == repo.root
    assert plan.overrides == ["lr=0.3", "model.depth=3", "seed=5"]  # no launcher, no sweep dir, no mode
    assert plan.code_changed is None
    result = repo.cli("rerun", "s#1", "seed=5", "hydra.run.dir=again")
    assert result.code == 0, result.err
    assert "rerunning " in result.err and "warning" not in result.err
    overrides = (repo.root / "again" / ".hydra" / "overrides.yaml").read_text()
    assert overrides.split() == ["-", "lr=0.3", "-", "model.depth=3", "-", "seed=5", "-", "hydra.run.dir=again"][:6]
    assert json.loads((repo.root / "again" / ".hydra" / "run.json").read_text())["git_dirty"] is False


def test_rerun_after_an_edit_warns_with_what_changed(repo: Project) -> None:
    assert repo.cli("run", "train", "lr=0.2", "hydra.run.dir=first").code == 0
    _edit(repo, 2)
    plan = plan_rerun(str(repo.root / "first"))
    assert plan.code_changed is not None and plan.code_changed.patch_differs
    assert plan.overrides == ["lr=0.2"]
    result = repo.cli("rerun", "first", "hydra.run.dir=second")
    assert result.code == 0, result.err
    assert "warning: the code changed since first ran" in result.err
    assert "the uncommitted changes (code.patch) differ" in result.err and "train.py | 2 +-" in result.err
    git(repo.root, "commit", "-qam", "v2")
    again = repo.cli("rerun", "second", "hydra.run.dir=third")
    assert "the commits differ" in again.err and "the job's uncommitted changes: " in again.err
    assert (repo.root / "third" / ".hydra" / "overrides.yaml").read_text().split() == ["-", "lr=0.2"]


def test_a_sweep_is_not_a_job_to_rerun(repo: Project) -> None:
    assert repo.cli("multirun", "train", "lr=0.1", "hydra.sweep.dir=s").code == 0
    with pytest.raises(UsageError, match="is a sweep, not one job"):
        plan_rerun(str(repo.root / "s"))
    result = repo.cli("rerun", "s#4")
    assert result.code == 2 and "error: " in result.err and "has no job 4" in result.err and "fix: " in result.err


def test_a_job_without_a_recorded_command_says_so(repo: Project) -> None:
    assert repo.cli("run", "train", "hydra.run.dir=first").code == 0
    (repo.root / "first" / ".hydra" / "run.json").unlink()
    result = repo.cli("rerun", "first")
    assert result.code == 2 and "records no hydra-runner run or multirun command" in result.err
