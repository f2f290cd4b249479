"""How the hydra-runner process ends: atexit handlers always run; the teardown after them
only where no task or third-party code ran in the process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Project

# Imported by the CLI's process (to find the task) and by every pool worker. Each process
# leaves a line in a buffered file it never closes: only the interpreter's teardown flushes
# it. Each also registers an atexit handler that notes it ran.
TASK = """
    import atexit
    import os

    ROLE = "cli" if os.getppid() == int(os.environ["TEST_PID"]) else "worker"
    MARKS = os.environ["MARKS"]
    UNFLUSHED = open(os.path.join(MARKS, f"unflushed-{ROLE}-{os.getpid()}"), "w")
    UNFLUSHED.write("flushed by the teardown\\n")

    def _note_atexit():
        with open(os.path.join(MARKS, f"atexit-{ROLE}-{os.getpid()}"), "w") as f:
            f.write("ran\\n")

    atexit.register(_note_atexit)

    def task(cfg):
        print(f"x={cfg.x}")
        if cfg.x == cfg.get("fail_at"):
            raise ValueError("this job fails")
        return cfg.x
    """

CALLBACK = """
    from hydra.experimental.callback import Callback

    class Quiet(Callback):
        pass
    """


@pytest.fixture
def marks(project: Project) -> Path:
    project.write({"app.py": TASK, "conf/config.yaml": "x: 0\n", "mycallbacks.py": CALLBACK})
    path = project.root / "marks"
    path.mkdir()
    return path


def _sweep(project: Project, marks: Path, *args: str):
    return project.cli("multirun", "app:task", "--config-path", "conf", "--config-name", "config", "x=1,2", *args,
                       env={"TEST_PID": str(os.getpid()), "MARKS": str(marks)})


def _cli_marks(marks: Path, kind: str) -> list[str]:
    return [p.read_text() for p in marks.glob(f"{kind}-cli-*")]


def test_pool_sweep_ends_after_atexit_handlers_without_teardown(project: Project, marks: Path) -> None:
    r = _sweep(project, marks, "-j", "2")
    assert r.code == 0, r.err
    assert "#1 : x=2" in r.out and "[2/2]" in r.err  # what the CLI printed last reached its pipes
    assert _cli_marks(marks, "atexit") == ["ran\n"]
    assert _cli_marks(marks, "unflushed") == [""]  # the teardown that would flush it was skipped


def test_pool_sweep_exit_code_of_a_failure_survives(project: Project, marks: Path) -> None:
    r = _sweep(project, marks, "-j", "2", "+fail_at=2")
    assert r.code == 1, r.out + r.err
    assert "this job fails" in r.err
    assert _cli_marks(marks, "atexit") == ["ran\n"]


def test_in_process_sweep_keeps_the_teardown(project: Project, marks: Path) -> None:
    r = _sweep(project, marks)
    assert r.code == 0, r.err
    assert _cli_marks(marks, "atexit") == ["ran\n"]
    assert _cli_marks(marks, "unflushed") == ["flushed by the teardown\n"]


def test_a_users_callback_keeps_the_teardown(project: Project, marks: Path) -> None:
    r = _sweep(project, marks, "-j", "2", "+hydra.callbacks.quiet._target_=mycallbacks.Quiet")
    assert r.code == 0, r.err
    assert _cli_marks(marks, "unflushed") == ["flushed by the teardown\n"]


def test_an_atexit_handler_registered_before_the_cli_still_runs(project: Project, marks: Path) -> None:
    # As a .pth start-up hook (coverage's, for one) registers its own before the CLI starts.
    script = (
        "import atexit, os, sys\n"
        "atexit.register(lambda: open(os.path.join(os.environ['MARKS'], 'early-handler'), 'w').close())\n"
        "from hydra_runner.cli import main\n"
        "sys.argv = ['hydra-runner', 'multirun', 'app:task', '--config-path', 'conf', '--config-name', 'config',"
        " 'x=1,2', '-j', '2']\n"
        "main()\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], cwd=project.root, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "TEST_PID": str(os.getpid()), "MARKS": str(marks),
                                            "HYDRA_RUNNER_IN_PROJECT_VENV": ""})
    assert proc.returncode == 0, proc.stderr
    assert (marks / "early-handler").exists()
