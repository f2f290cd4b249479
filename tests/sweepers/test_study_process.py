"""The study process: a CLI Optuna sweep holds its study in a process of its own (real forks, real Optuna)."""

from __future__ import annotations

import csv
import sys

import pytest

from hydra_runner.journal import Status

from ..conftest import Project
from ..sweep_helpers import statuses

TASK = """
    import os, signal, sys
    from hydra.core.hydra_config import HydraConfig
    from hydra.experimental.callback import Callback

    def task(cfg):
        if cfg.kill_study_at == HydraConfig.get().job.num:
            parent = os.getppid()  # with one worker, the sweep's other child is the study process
            for tid in os.listdir(f"/proc/{parent}/task"):
                with open(f"/proc/{parent}/task/{tid}/children") as f:
                    for pid in map(int, f.read().split()):
                        if pid != os.getpid():
                            os.kill(pid, signal.SIGKILL)
        return cfg.x ** 2

    class Probe(Callback):
        # Runs in the sweep's own process, after the last trial.
        def on_multirun_end(self, config, **kwargs):
            with open("optuna_imported", "w") as f:
                f.write(str("optuna" in sys.modules))
"""

CONFIG = """
    x: 0.0
    kill_study_at: -1
"""

SEARCH = ["x=interval(-5,5)", "hydra/sweeper/sampler=random", "hydra.sweeper.sampler.seed=3",
          "hydra.sweeper.n_trials=6", "hydra.sweep.dir=sweep", "-j", "1"]


@pytest.fixture
def app(project: Project) -> Project:
    return project.write({"app.py": TASK, "conf/config.yaml": CONFIG,
                          "conf/optuna_in_config.yaml": "defaults:\n  - config\n  - override hydra/sweeper: optuna\n"})


def _trials(app: Project) -> list[dict[str, str]]:
    with open(app.root / "sweep" / "trials.csv", newline="") as f:
        return list(csv.DictReader(f))


def _sweep(app: Project, config: str, *args: str) -> list[dict[str, str]]:
    r = app.cli("multirun", "app:task", "--config-path", "conf", "--config-name", config, *SEARCH,
                "++hydra.callbacks.probe._target_=app.Probe", *args)
    assert r.code == 0, r.err
    assert "A new study created" not in r.err  # Optuna's own lines (the study process warms TPE up) stay quiet
    return _trials(app)


def test_a_pool_sweep_naming_optuna_on_the_command_line_never_imports_optuna_itself(app: Project) -> None:
    remote = _sweep(app, "config", "hydra/sweeper=optuna")
    assert (app.root / "optuna_imported").read_text() == "False"
    # Chosen in the config instead, the sweep cannot know ahead: the study lives in its process.
    (app.root / "sweep").rename(app.root / "sweep-remote")
    local = _sweep(app, "optuna_in_config")
    assert (app.root / "optuna_imported").read_text() == "True"
    # Same seed, same study, wherever it lives.
    assert len(remote) == 6 and [t["params_x"] for t in local] == [t["params_x"] for t in remote]
    assert [t["value"] for t in local] == [t["value"] for t in remote]


def test_a_killed_study_process_stops_the_sweep_and_resume_finishes_it(app: Project) -> None:
    r = app.cli("multirun", "app:task", "--config-path", "conf", "--config-name", "config", "hydra/sweeper=optuna",
                *SEARCH, "kill_study_at=2")
    assert r.code == 1, r.err
    assert "the process holding the Optuna study" in r.err and "killed by SIGKILL" in r.err
    assert "hydra-runner resume" in r.err and "Traceback" not in r.err
    assert statuses(app) == {n: Status.SUCCEEDED for n in range(3)}  # #2 ended; telling the study found it gone

    r = app.cli("resume", "sweep")
    assert r.code == 0, r.err
    assert statuses(app) == {n: Status.SUCCEEDED for n in range(6)}
    trials = _trials(app)
    assert sum(t["state"] == "COMPLETE" for t in trials) == 6
    assert sorted(int(t["user_attrs_hydra_runner.job"]) for t in trials if t["state"] == "COMPLETE") == list(range(6))


def test_an_error_opening_the_study_comes_back_with_its_cause(app: Project) -> None:
    r = app.cli("multirun", "app:task", "--config-path", "conf", "--config-name", "config", "hydra/sweeper=optuna",
                *SEARCH, "hydra.sweeper.sampler._target_=optuna.samplers.NoSuchSampler")
    assert r.code == 2, r.err
    assert "optuna.samplers.NoSuchSampler" in r.err and "No module named" in r.err  # the cause's text
    assert "Traceback" not in r.err


# Run in a process of its own: the study process is forked only by a process with one thread.
REMOTE_VS_LOCAL = """
import csv, sys
from hydra_runner.run_context import RunContext
from hydra_runner.sweepers._study_process import StudyProcess
from hydra_runner.sweepers.optuna_study import OptunaStudy, StudySettings
from hydra_runner.sweepers.search_space import SearchSpace

space = SearchSpace.parse(["x=interval(0,1)", "n=range(1,4)"])

def settings(folder):
    return StudySettings(sweep_dir=folder, study_name="s", directions=["minimize"], params=list(space.params),
                         sampler={"_target_": "optuna.samplers.TPESampler", "seed": 5, "n_startup_trials": 3})

run = RunContext()
run.head_start.study = StudyProcess.fork()
remote = run.head_start.take_study_process().open(settings("remote"))
assert remote is not None and run.head_start.take_study_process() is None  # one process, taken once
local = OptunaStudy(settings("local"))
for num in range(8):
    asked = remote.ask(num)
    assert asked == local.ask(num), (num, asked)
    for study in (remote, local):
        if num == 4:
            study.tell(num, reason="ValueError: boom")
        else:
            study.tell(num, [asked["x"] * asked["n"]])
assert remote.report(8, 1.0, 0) is False  # not asked: nothing to prune
remote.tell(99, [1.0])  # not waited for: the error raised there comes with the next call
try:
    remote.write_trials_csv("remote.csv")
except KeyError:
    pass
else:
    raise AssertionError("no error")
remote.write_trials_csv("remote.csv")
remote.close()
local.close()
print("exit", remote.proc.poll())
"""


@pytest.mark.skipif(sys.platform != "linux", reason="the study process is forked (Linux only)")
def test_the_remote_study_answers_as_the_local_one(project: Project) -> None:
    for folder in ("remote", "local"):
        (project.root / folder).mkdir()
    project.write({"check.py": REMOTE_VS_LOCAL})
    r = project.python("check.py")
    assert r.code == 0, r.err
    assert r.out.strip() == "exit 0"
    with open(project.root / "remote.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [row["state"] for row in rows] == ["COMPLETE"] * 4 + ["FAIL"] + ["COMPLETE"] * 3
    assert rows[4]["user_attrs_fail_reason"] == "ValueError: boom"


def test_the_study_process_is_reached_without_importing_hydra(project: Project) -> None:
    # The CLI forks it before it imports Hydra, so that both import at once.
    r = project.python("-c", "import sys; import hydra_runner.sweepers._study_process; "
                             "print(sorted(m for m in ('hydra', 'omegaconf', 'optuna', 'numpy') if m in sys.modules))")
    assert r.code == 0, r.err
    assert r.out.strip() == "[]"
