"""Sweeps on other plugins' launchers (joblib, submitit) are journalled: results, sweeps and resume work."""

from __future__ import annotations

import json

import pytest

from hydra_runner.jobs.model import Status
from tests.conftest import Project
from tests.sweep_helpers import journal_of, statuses

# Job 2 fails until the file ``fixed`` exists; every run appends its x to runs.log.
APP = """
    import os

    def task(cfg):
        with open(os.path.join(os.environ["PROJECT"], "runs.log"), "a") as log:
            log.write(f"{cfg.x}\\n")
        if cfg.x == 2 and not os.path.exists(os.path.join(os.environ["PROJECT"], "fixed")):
            raise ValueError("x=2 is not ready")
        return cfg.x * 10
    """

LAUNCHERS = {
    "joblib": ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"],
    "submitit_local": ["hydra/launcher=submitit_local", "hydra.launcher.timeout_min=5"],
}


@pytest.mark.parametrize("launcher", list(LAUNCHERS))
def test_a_sweep_on_another_launcher_has_results_and_resumes(project: Project, launcher: str) -> None:
    project.write({"app.py": APP})
    env = {"PROJECT": str(project.root)}
    swept = project.cli("multirun", "app:task", "+x=1,2,3", *LAUNCHERS[launcher], env=env, timeout=300)
    assert swept.code != 0  # job 2 failed
    assert statuses(project) == {0: Status.SUCCEEDED, 1: Status.FAILED, 2: Status.SUCCEEDED}
    journal = journal_of(project)
    assert journal.meta["launcher"] in ("JoblibLauncher", "LocalLauncher")
    assert "x=2 is not ready" in (journal.job(1).error or "")
    assert journal.job(0).value == 10 and journal.job(2).value == 30

    results = project.cli("results", "--json", env=env)
    assert results.code == 0, results.err
    rows = {row["job"]: row for row in json.loads(results.out)["jobs"]}
    assert rows[0]["status"] == "succeeded" and rows[1]["status"] == "failed"
    listed = project.cli("sweeps", env=env)
    assert listed.code == 0 and str(journal.sweep_dir.name) in listed.out

    (project.root / "fixed").touch()
    resumed = project.cli("resume", env=env, timeout=300)
    assert resumed.code == 0, resumed.err
    assert statuses(project) == {0: Status.SUCCEEDED, 1: Status.SUCCEEDED, 2: Status.SUCCEEDED}
    assert journal_of(project).job(1).value == 20
    # Only the failed job ran again, under its own number (its output dir is job 1's).
    assert sorted((project.root / "runs.log").read_text().split()) == ["1", "2", "2", "3"]
    assert journal_of(project).job(1).directory.endswith("/1")
