"""A sweep outlives its surroundings: a reader that closes the pipe early, and SIGTERM (then resume)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from hydra_runner.cli._unfinished import format_nums
from hydra_runner.journal import Status

from ..conftest import Project
from ..sweep_helpers import count, start_sweep, statuses, wait_for

# Each success is logged once, so a test can tell a job that ran twice; "hang" jobs wait
# until the marker file "release" exists.
APP = """
    import os, signal, time
    import hydra

    @hydra.main(version_base="1.3", config_path="conf", config_name="config")
    def main(cfg):
        print(f"job {cfg.x} writes a line")
        if cfg.x == cfg.term:
            os.kill(os.getpid(), signal.SIGTERM)
        deadline = time.time() + cfg.sleep
        while time.time() < deadline or (cfg.hang and not os.path.exists("release")):
            time.sleep(0.05)
        with open("successes.log", "a") as f:
            f.write(f"{cfg.x}\\n")
        return cfg.x
"""
CONFIG = "x: 0\nsleep: 0.0\nhang: false\nterm: -1\n"


@pytest.fixture
def app(project: Project) -> Project:
    return project.write({"app.py": APP, "conf/config.yaml": CONFIG})


def _successes(project: Project) -> list[int]:
    path = project.root / "successes.log"
    return sorted(int(x) for x in path.read_text().split()) if path.exists() else []


def _cli(project: Project, *args: str, **kwargs: object) -> subprocess.Popen[str]:
    env = {**os.environ, "HYDRA_RUNNER_IN_PROJECT_VENV": ""}
    return subprocess.Popen([sys.executable, "-m", "hydra_runner", *args], cwd=project.root, text=True,
                            env=env, **kwargs)  # type: ignore[call-overload]


@pytest.mark.parametrize("closed", ["stdout", "stderr", "both"])
def test_a_reader_that_goes_away_does_not_stop_the_sweep(app: Project, closed: str) -> None:
    # As `multirun ... | head -2`: the reader takes two lines and closes its end of the pipe.
    # With only stdout closed, stderr is kept: the tracebacks of a broken pipe would land there.
    pipe = {"stdout": {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE},
            "stderr": {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE},
            "both": {"stdout": subprocess.PIPE, "stderr": subprocess.STDOUT}}[closed]
    proc = _cli(app, "multirun", "app.py", "x=range(0,6)", "sleep=0.3", "-j", "2", **pipe)
    reader = proc.stdout if closed != "stderr" else proc.stderr
    assert reader is not None
    lines = [reader.readline(), reader.readline()]
    assert all(lines)
    reader.close()
    err = proc.stderr.read() if closed == "stdout" and proc.stderr is not None else ""
    assert proc.wait(timeout=120) == 0
    assert statuses(app) == {n: Status.SUCCEEDED for n in range(6)}
    assert _successes(app) == list(range(6))
    assert "Traceback" not in err and "BrokenPipeError" not in err


def test_results_into_a_closed_pipe_end_quietly(app: Project) -> None:
    assert app.cli("multirun", "app.py", "x=range(0,30)", "-j", "2").code == 0
    proc = _cli(app, "results", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline()
    proc.stdout.close()
    assert proc.wait(timeout=60) == 0
    assert proc.stderr is not None and "Traceback" not in proc.stderr.read()


@pytest.mark.parametrize("flags", [["-j", "2"], []], ids=["pool", "in-process"])
def test_sigterm_records_running_jobs_as_interrupted_and_resume_finishes_them(app: Project,
                                                                              flags: list[str]) -> None:
    proc = start_sweep(app, "app.py", "x=range(0,5)", "hang=true", *flags)
    running = 2 if flags else 1
    wait_for(lambda: count(app, Status.RUNNING) == running)
    os.kill(proc.pid, signal.SIGTERM)  # the CLI process alone, as `kill PID` does
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err
    seen = statuses(app)
    assert sorted(s.value for s in seen.values()) == ["interrupted"] * running + ["pending"] * (5 - running)
    assert "Traceback" not in err
    assert f"5 of 5 jobs did not finish: {running} interrupted (#0{'-#1' if running == 2 else ''})" in err
    assert "Finish them with: hydra-runner resume multirun/" in err
    (app.root / "release").touch()
    r = app.cli("resume", *flags)
    assert r.code == 0, r.err
    assert statuses(app) == {n: Status.SUCCEEDED for n in range(5)}
    assert _successes(app) == list(range(5))  # each job ran to success exactly once


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_a_signal_to_resume_reaches_the_sweep_it_runs(app: Project, signum: int) -> None:
    proc = start_sweep(app, "app.py", "x=range(0,4)", "hang=true", "-j", "2")
    wait_for(lambda: count(app, Status.RUNNING) == 2)
    os.kill(proc.pid, signal.SIGTERM)
    proc.communicate(timeout=60)
    resuming = _cli(app, "resume", stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    wait_for(lambda: count(app, Status.RUNNING) == 2)
    os.kill(resuming.pid, signum)  # the resume process alone
    if signum == signal.SIGINT:
        (app.root / "release").touch()  # the first Ctrl-C lets the running jobs finish
    _, err = resuming.communicate(timeout=60)
    assert resuming.returncode == (128 + signal.SIGTERM if signum == signal.SIGTERM else 130), err
    seen = statuses(app)
    expected = ["interrupted"] * 2 if signum == signal.SIGTERM else ["succeeded"] * 2
    assert sorted(s.value for s in seen.values()) == sorted(expected + ["pending"] * 2)
    assert "Finish them with: hydra-runner resume" in err
    (app.root / "release").touch()
    assert app.cli("resume").code == 0
    assert _successes(app) == list(range(4))


def test_first_ctrl_c_names_the_jobs_not_started(app: Project) -> None:
    proc = start_sweep(app, "app.py", "x=range(0,6)", "sleep=2", "-j", "2")
    wait_for(lambda: count(app, Status.RUNNING) == 2)
    os.kill(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "4 of 6 jobs did not finish: 4 not started (#2-#5)." in err
    assert "Finish them with: hydra-runner resume multirun/" in err


def test_resume_takes_launcher_flags(app: Project) -> None:
    proc = start_sweep(app, "app.py", "x=range(0,6)", "hang=true", "-j", "2")
    wait_for(lambda: count(app, Status.RUNNING) == 2)
    os.kill(proc.pid, signal.SIGTERM)
    proc.communicate(timeout=60)
    before = statuses(app)
    r = app.cli("resume", "-j", "0")
    assert r.code == 2 and "error: --jobs 0" in r.err and "fix:" in r.err
    assert statuses(app) == before  # refused before the journal was touched
    (app.root / "release").touch()
    r = app.cli("resume", "-j", "3", "--timeout", "120")
    assert r.code == 0, r.err
    assert "Launching 6 jobs on 3 worker processes" in r.out
    assert statuses(app) == {n: Status.SUCCEEDED for n in range(6)}
    assert _successes(app) == list(range(6))


def test_resume_help_lists_the_launcher_flags(app: Project) -> None:
    r = app.cli("resume", "--help")
    assert r.code == 0
    for flag in ("-j, --jobs", "--timeout", "--retries", "--fail-fast", "--launcher", "--ray-address"):
        assert flag in r.out
    assert "--mlflow" not in r.out  # tracking is the sweep's own


def test_a_worker_ended_by_sigterm_leaves_its_job_interrupted_not_retried(app: Project) -> None:
    # As when Slurm sends SIGTERM to every process of a job: the job was stopped, not broken.
    r = app.cli("multirun", "app.py", "x=range(0,3)", "term=1", "-j", "2", "--retries", "2")
    assert r.code == 1
    assert statuses(app) == {0: Status.SUCCEEDED, 1: Status.INTERRUPTED, 2: Status.SUCCEEDED}
    assert "retrying" not in r.out + r.err
    assert _successes(app) == [0, 2]


def test_format_nums() -> None:
    assert format_nums([0, 1, 2, 5, 7, 8]) == "#0-#2, #5, #7-#8"
    assert format_nums([]) == ""
    assert format_nums(list(range(0, 40, 2)), limit=3) == "#0, #2, #4, and 17 more ranges"
