"""Each sweep and run records its commit, whether the tree was dirty, and the uncommitted diff."""

from __future__ import annotations

import json

from hydra_runner.journal import latest_sweep
from hydra_runner.journal.meta import CodeState
from hydra_runner.journal.sqlite import SweepJournal
from hydra_runner.testing.project import Project
from tests.repro.conftest import git


def _edit(repo: Project) -> None:
    train = repo.root / "train.py"
    train.write_text(train.read_text().replace('"version": 1', '"version": 2'))


def test_a_dirty_sweep_keeps_its_diff_and_results_shows_the_commit(repo: Project) -> None:
    _edit(repo)
    assert repo.cli("multirun", "train", "lr=0.1,0.2").code == 0
    sweep_dir = latest_sweep(repo.root)
    assert sweep_dir is not None
    patch = (sweep_dir / "code.patch").read_text()
    assert '-    return {"loss": cfg.lr * cfg.model.depth, "version": 1}' in patch
    assert '+    return {"loss": cfg.lr * cfg.model.depth, "version": 2}' in patch
    head = git(repo.root, "rev-parse", "HEAD")
    with SweepJournal.open(sweep_dir) as journal:
        assert journal.meta["git_commit"] == head and journal.meta["git_dirty"] is True
    shown = repo.cli("results")
    assert shown.code == 0 and f"commit {head[:10]} dirty" in shown.out


def test_a_clean_sweep_in_the_same_dir_drops_the_old_diff(repo: Project) -> None:
    _edit(repo)
    assert repo.cli("multirun", "train", "lr=0.1", "hydra.sweep.dir=sweep").code == 0
    assert (repo.root / "sweep" / "code.patch").exists()
    git(repo.root, "commit", "-qam", "v2")
    assert repo.cli("multirun", "train", "lr=0.1", "hydra.sweep.dir=sweep").code == 0
    assert not (repo.root / "sweep" / "code.patch").exists()
    shown = repo.cli("results", "sweep")
    assert "dirty" not in shown.out.splitlines()[0] and git(repo.root, "rev-parse", "HEAD")[:10] in shown.out


def test_a_single_run_records_its_code_in_its_output_dir_even_when_it_fails(repo: Project) -> None:
    _edit(repo)
    assert repo.cli("run", "train", "hydra.run.dir=ok").code == 0
    facts = json.loads((repo.root / "ok" / ".hydra" / "run.json").read_text())
    assert facts["git_commit"] == git(repo.root, "rev-parse", "HEAD") and facts["git_dirty"] is True
    assert facts["command"][-3:] == ["run", "train", "hydra.run.dir=ok"] and facts["cwd"] == str(repo.root)
    assert '"version": 2' in (repo.root / "ok" / ".hydra" / "code.patch").read_text()
    assert repo.cli("run", "train", "model.depth=x", "hydra.run.dir=bad").code == 1
    assert json.loads((repo.root / "bad" / ".hydra" / "run.json").read_text())["git_dirty"] is True


def test_the_patch_is_git_diff_of_staged_and_unstaged_changes(repo: Project) -> None:
    (repo.root / "conf" / "config.yaml").write_text("lr: 0.5\n")
    git(repo.root, "add", "conf/config.yaml")
    _edit(repo)
    code = CodeState(str(repo.root)).ask()
    assert code.dirty is True and code.patch is not None
    assert "+lr: 0.5" in code.patch and '+    return {"loss"' in code.patch
    code.write_patch(repo.root / "out")
    applied = repo.root / "out" / "code.patch"
    git(repo.root, "stash", "-q")
    git(repo.root, "apply", str(applied))  # the patch brings the edited tree back
    assert (repo.root / "conf" / "config.yaml").read_text() == "lr: 0.5\n"


def test_outside_git_a_run_records_no_commit_and_no_patch(project: Project) -> None:
    from tests.repro.conftest import APP

    project.write(APP)
    assert project.cli("run", "train", "hydra.run.dir=out").code == 0
    assert json.loads((project.root / "out" / ".hydra" / "run.json").read_text())["git_commit"] is None
    assert not (project.root / "out" / ".hydra" / "code.patch").exists()


def test_a_run_that_asks_hydra_for_no_record_gets_none_from_hydra_runner_either(repo: Project) -> None:
    (repo.root / "train.py").write_text((repo.root / "train.py").read_text() + "# edited\n")
    assert repo.cli("run", "train", "hydra.output_subdir=null", "hydra.run.dir=.").code == 0
    assert not (repo.root / ".hydra").exists() and not (repo.root / "code.patch").exists()
