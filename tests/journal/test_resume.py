"""``resume`` of a sweep whose project was copied or moved: the copy's sweep, run in the copy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hydra_runner.journal import Status, SweepJournal
from hydra_runner.testing.project import Project

# x=1 fails while the file "broken" exists in the directory the job runs in.
APP = """
    import os
    import hydra

    @hydra.main(version_base="1.3", config_path="conf", config_name="config")
    def main(cfg):
        if cfg.x == 1 and os.path.exists("broken"):
            raise RuntimeError("broken")
        with open("successes.log", "a") as f:
            f.write(f"{cfg.x}\\n")
"""


def _statuses(sweep: Path) -> dict[int, Status]:
    with SweepJournal.open(sweep) as journal:
        return {job.num: job.status for job in journal.jobs()}


@pytest.fixture
def swept(tmp_path: Path) -> Project:
    project = Project(tmp_path / "original").write({"app.py": APP, "conf/config.yaml": "x: 0\n", "broken": ""})
    r = project.cli("multirun", "app.py", "x=0,1,2", "-j", "2")
    assert r.code == 1 and "1 of 3 jobs did not succeed" in r.err
    return project


@pytest.mark.parametrize("how", ["copied", "moved"])
def test_a_copied_or_moved_project_sees_and_resumes_its_own_sweeps(swept: Project, tmp_path: Path, how: str) -> None:
    original = swept.root
    (sweep,) = original.glob("multirun/*/*")
    relative = sweep.relative_to(original)
    there = Project(tmp_path / how)
    (shutil.copytree if how == "copied" else shutil.move)(original, there.root)
    (there.root / "broken").unlink()

    listed = there.cli("sweeps")
    assert listed.code == 0 and str(relative) in listed.out and str(original) not in listed.out
    results = there.cli("results")
    assert results.code == 0 and "1 failed" in results.out
    r = there.cli("resume")
    assert r.code == 0, r.err
    assert _statuses(there.root / relative) == {n: Status.SUCCEEDED for n in range(3)}
    assert sorted((there.root / "successes.log").read_text().split()) == ["0", "1", "2"]  # ran in the copy
    if how == "copied":
        assert _statuses(sweep)[1] is Status.FAILED  # the original is untouched
        assert sorted((original / "successes.log").read_text().split()) == ["0", "2"]


def test_a_sweep_dir_outside_the_project_resumes_where_its_command_ran(tmp_path: Path) -> None:
    project = Project(tmp_path / "project").write({"app.py": APP, "conf/config.yaml": "x: 0\n", "broken": ""})
    outside = tmp_path / "scratch" / "sweep"
    assert project.cli("multirun", "app.py", "x=0,1", "-j", "2", f"hydra.sweep.dir={outside}").code == 1
    assert (project.root / ".hydra-runner" / "sweeps").read_text().split() == [str(outside)]
    (project.root / "broken").unlink()
    r = project.cli("resume")
    assert r.code == 0, r.err
    assert _statuses(outside) == {0: Status.SUCCEEDED, 1: Status.SUCCEEDED}
    assert sorted((project.root / "successes.log").read_text().split()) == ["0", "1"]
