"""What a sweep records about the code it ran: git commit and dirty flag, asked ahead or on demand."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import pytest

from hydra_runner.journal.meta import describe_sweep
from hydra_runner.run_context import RunContext


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    _git(path, "init", "-q")
    (path / "train.py").write_text("print('v1')\n")
    _git(path, "add", "train.py")
    _git(path, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "v1")
    return path


def _wait_for_git_thread() -> None:
    deadline = time.monotonic() + 30
    while any(t.name == "hydra-runner-git" for t in threading.enumerate()):
        assert time.monotonic() < deadline, "git was asked in the background and never answered"
        time.sleep(0.01)


def test_commit_and_dirty_flag(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    clean = describe_sweep(sweeper="s", launcher="l", command=["cmd"])
    assert clean["git_commit"] == _git(repo, "rev-parse", "HEAD") and clean["git_dirty"] is False
    (repo / "train.py").write_text("print('v2')\n")
    assert describe_sweep(sweeper="s", launcher="l", command=["cmd"])["git_dirty"] is True


def test_outside_a_repository_nothing_is_recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    meta = describe_sweep(sweeper="s", launcher="l", command=["cmd"])
    assert meta["git_commit"] is None and meta["git_dirty"] is None


def test_an_answer_asked_ahead_is_the_state_when_the_command_started(repo: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    run = RunContext()
    run.head_start.ask_git(str(repo))
    _wait_for_git_thread()
    (repo / "train.py").write_text("print('edited while the sweep composed')\n")
    meta = describe_sweep(sweeper="s", launcher="l", command=["cmd"], code=run.head_start.code_state(str(repo)))
    assert meta["git_commit"] == _git(repo, "rev-parse", "HEAD") and meta["git_dirty"] is False
    assert meta["command"] == ["cmd"]
    # One answer per run (its journal and its tracker agree); the next run asks again.
    assert run.head_start.code_state(str(repo)).dirty is False
    assert RunContext().head_start.code_state(str(repo)).dirty is True


def test_a_prefetch_for_another_directory_is_not_used(repo: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    run = RunContext()
    run.head_start.ask_git(str(tmp_path))  # not a repository
    monkeypatch.chdir(repo)
    code = run.head_start.code_state(str(repo))
    assert describe_sweep(sweeper="s", launcher="l", command=["cmd"], code=code)["git_commit"] == \
        _git(repo, "rev-parse", "HEAD")
