"""``hydra-runner diff``: what it prints, its JSON, and its errors (rc 2)."""

from __future__ import annotations

import json

from hydra_runner.testing.project import Project
from tests.repro.conftest import APP, git


def test_diff_of_two_jobs_prints_only_what_changed_and_json_says_the_same(project: Project) -> None:
    project.write(APP)
    git(project.root, "init", "-q")
    git(project.root, "add", ".")
    git(project.root, "commit", "-q", "-m", "v1")
    assert project.cli("multirun", "train", "lr=0.1,0.3", "model.name=b", "hydra.sweep.dir=s").code == 0
    shown = project.cli("diff", "s#0", "s#1")
    assert shown.code == 0, shown.err
    assert "  lr  0.1 -> 0.3" in shown.out.splitlines()
    assert "model.name" not in shown.out and "  - lr=0.1" in shown.out and "  + lr=0.3" in shown.out
    assert "  loss  0.2 -> 0.6" in shown.out and "(same code)" in shown.out
    data = json.loads(project.cli("diff", "s#0", "s/1", "--json").out)
    assert data["kind"] == "jobs" and data["config"] == [{"key": "lr", "a": 0.1, "b": 0.3}]
    assert data["overrides"]["only_b"] == ["lr=0.3"] and data["code"]["patch_differs"] is False
    sweeps = project.cli("diff", "s", "s")
    assert sweeps.code == 0 and "hydra-runner multirun train lr=0.1,0.3" in sweeps.out
    assert "#1 / #1  lr=0.3 model.name=b" in sweeps.out


def test_bad_names_are_usage_errors(project: Project) -> None:
    project.write(APP)
    assert project.cli("multirun", "train", "lr=0.1", "hydra.sweep.dir=s").code == 0
    for args, message in ((("s#3", "s#0"), "s has no job 3 (it has jobs 0 to 0)"),
                          (("conf", "s#0"), "conf is neither a job dir"),
                          (("s", "s#0"), "cannot compare a job with a sweep")):
        result = project.cli("diff", *args)
        assert result.code == 2 and f"error: {message}" in result.err and "fix: " in result.err
        assert "Traceback" not in result.err
