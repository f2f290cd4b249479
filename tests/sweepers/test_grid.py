"""The grid sweeper streams its jobs: entered in the journal and validated as they are scheduled."""

from __future__ import annotations

from collections import Counter

import pytest

from hydra_runner.journal import Status

from ..conftest import Project
from ..sweep_helpers import journal_of


@pytest.fixture
def app(project: Project) -> Project:
    log = project.root / "ran.log"
    return project.write({
        "task.py": f"""
            import os

            def task(cfg):
                with open({str(log)!r}, "a") as f:
                    f.write(f"{{cfg.x}}\\n")
                if cfg.x == 40 and os.path.exists({str(project.root / "broken")!r}):
                    raise RuntimeError("x=40 is broken")
                return cfg.x
            """,
        "conf/config.yaml": "defaults:\n  - db: a\n  - _self_\nx: 0\ny: 0\n",
        "conf/db/a.yaml": "name: a\n",
        "conf/db/b.yaml": "name: b\n",
    })


def _ran(project: Project) -> Counter[int]:
    log = project.root / "ran.log"
    return Counter(int(line) for line in log.read_text().split()) if log.exists() else Counter()


def test_a_stopped_sweep_entered_only_what_it_scheduled_and_resume_runs_each_job_once(app: Project) -> None:
    (app.root / "broken").write_text("")
    r = app.cli("multirun", "task:task", "--config-path", "conf", "--config-name", "config",
                "x=range(0,2000)", "-j", "1", "--fail-fast")
    assert r.code == 1, r.err
    assert "1959 were not started (--fail-fast)" in r.err
    with journal_of(app) as journal:
        entered = journal.jobs()
        assert 41 <= len(entered) < 200  # the chunks scheduled so far, not the grid
        assert journal.counts()[Status.PENDING] == 2000 - 41  # the journal knows the grid's size
        assert sum(journal.counts().values()) == 2000
    assert sorted(_ran(app)) == list(range(41))

    (app.root / "broken").unlink()
    r = app.cli("resume")
    assert r.code == 0, r.err
    assert "Launching 1960 jobs on 1 worker process\n" in r.out
    assert "[1/1960] #40 succeeded" in r.err  # progress counts the jobs this session runs
    with journal_of(app) as journal:
        jobs = journal.jobs()
    assert [job.num for job in jobs] == list(range(2000))
    assert all(job.status is Status.SUCCEEDED for job in jobs)
    assert jobs[1999].overrides == ["x=1999"] and jobs[1999].value == 1999
    # Each job succeeded exactly once: #40 ran twice (failed, then succeeded), the others once.
    assert _ran(app) == Counter({x: 2 if x == 40 else 1 for x in range(2000)})


@pytest.mark.parametrize("sweep", [
    ["db=a,nope", "x=range(0,100)"],  # job #100 would be in the third chunk
    ["x=range(0,100)", "z=1,2"],  # no such key
])
def test_a_config_error_anywhere_in_the_grid_is_found_before_anything_is_written(app: Project,
                                                                                  sweep: list[str]) -> None:
    r = app.cli("multirun", "task:task", "--config-path", "conf", "--config-name", "config", *sweep)
    assert r.code == 2, r.err
    assert "error:" in r.err and "fix:" in r.err and "Traceback" not in r.err
    assert not _ran(app)
    assert not (app.root / "multirun").exists() and not (app.root / ".hydra-runner").exists()
    dry = app.cli("multirun", "task:task", "--config-path", "conf", "--config-name", "config", *sweep, "--dry-run")
    assert dry.code == 2 and "would run" not in dry.out and dry.err.splitlines()[0] == r.err.splitlines()[0]


def test_an_ill_typed_value_late_in_a_sweep_is_found_before_anything_is_written(project: Project) -> None:
    project.write({"typed.py": """
        from dataclasses import dataclass
        from hydra.core.config_store import ConfigStore

        @dataclass
        class Config:
            x: int = 0
            y: int = 0

        ConfigStore.instance().store(name="typed", node=Config)

        def task(cfg):
            open("ran.log", "a").write(f"{cfg.x}\\n")
        """})
    r = project.cli("multirun", "typed:task", "--config-name", "typed", "x=range(0,100)", "y=1,2,zero")
    assert r.code == 2, r.err
    assert "'zero'" in r.err and "fix:" in r.err and "Traceback" not in r.err
    assert not (project.root / "ran.log").exists() and not (project.root / "multirun").exists()


def test_a_config_error_in_the_first_chunk_runs_nothing(app: Project) -> None:
    r = app.cli("multirun", "task:task", "--config-path", "conf", "--config-name", "config",
                "db=a,nope,b", "x=1,2", "-j", "2")
    assert r.code == 2
    assert "nope" in r.err
    assert not _ran(app)


def test_a_grid_of_a_million_jobs_is_counted_and_listed_in_part(app: Project) -> None:
    r = app.cli("multirun", "task:task", "--config-path", "conf", "--config-name", "config",
                "x=range(0,1000)", "y=range(0,1000)", "db=a,b", "--dry-run")
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert lines[0] == "2000000 jobs would run:"
    assert lines[1:3] == ["  #0 : x=0 y=0 db=a", "  #1 : x=0 y=0 db=b"]
    assert "  ... 1999990 more ..." in lines and lines[-1] == "  #1999999 : x=999 y=999 db=b"
    assert len(lines) == 12 and not _ran(app)
