"""Async tasks are awaited wherever a job runs; generator tasks are refused with a fix."""

from __future__ import annotations

import asyncio
import contextvars
import sys
import threading
from pathlib import Path

import pytest

from hydra_runner import hydra_multirun, hydra_run
from hydra_runner.errors import UsageError
from hydra_runner.journal import Status

from ..conftest import Project
from ..sweep_helpers import journal_of

TASKS = """
    import asyncio, os

    async def atask(cfg):
        await asyncio.sleep(0.01)
        with open(f"ran_{cfg.x}.txt", "w") as f:
            f.write(str(os.getpid()))
        if cfg.x == cfg.fail:
            raise ValueError(f"async task failed at x={cfg.x}")
        return cfg.x * 10

    def gtask(cfg):
        yield cfg.x

    async def agtask(cfg):
        yield cfg.x
"""
CONFIG = "x: 0\nfail: -1\n"
CONF = ("--config-path", "conf", "--config-name", "config")


@pytest.fixture
def tasks(project: Project) -> Project:
    return project.write({"tasks.py": TASKS, "conf/config.yaml": CONFIG})


def _values(project: Project) -> dict[int, object]:
    with journal_of(project) as journal:
        assert all(job.status is Status.SUCCEEDED for job in journal.jobs())
        return {job.num: job.value for job in journal.jobs()}


def test_an_async_task_is_awaited_by_run(tasks: Project) -> None:
    r = tasks.cli("run", "tasks.py:atask", *CONF, "x=3")
    assert r.code == 0, r.err
    assert (tasks.root / "ran_3.txt").exists()  # a plain function's job runs where it was started
    assert "never awaited" not in r.err


@pytest.mark.parametrize("flags", [[], ["-j", "2"]], ids=["in-process", "pool"])
def test_an_async_task_returns_its_value_as_the_jobs_return(tasks: Project, flags: list[str]) -> None:
    r = tasks.cli("multirun", "tasks.py:atask", *CONF, "x=1,2,3", *flags)
    assert r.code == 0, r.err
    assert _values(tasks) == {0: 10, 1: 20, 2: 30}
    assert sorted(p.name for p in tasks.root.glob("ran_*.txt")) == ["ran_1.txt", "ran_2.txt", "ran_3.txt"]


@pytest.mark.parametrize("flags", [[], ["-j", "2"]], ids=["in-process", "pool"])
def test_an_async_tasks_exception_is_the_jobs_failure(tasks: Project, flags: list[str]) -> None:
    r = tasks.cli("multirun", "tasks.py:atask", *CONF, "x=1,2", "fail=2", *flags)
    assert r.code == 1
    assert "async task failed at x=2" in r.err
    with journal_of(tasks) as journal:
        assert [job.status for job in journal.jobs()] == [Status.SUCCEEDED, Status.FAILED]


@pytest.mark.parametrize("task", ["gtask", "agtask"])
@pytest.mark.parametrize("command", ["run", "multirun"])
def test_a_generator_task_is_a_usage_error(tasks: Project, task: str, command: str) -> None:
    r = tasks.cli(command, f"tasks.py:{task}", *CONF, *(["x=1,2", "-j", "2"] if command == "multirun" else []))
    assert r.code == 2
    assert f"error: the task '{task}' is a generator function" in r.err and "fix: return the result" in r.err
    assert "Traceback" not in r.err
    assert not (tasks.root / "outputs").exists() and not (tasks.root / "multirun").exists()


async def _double(cfg: object) -> int:
    await asyncio.sleep(0)
    return int(cfg.x) * 2  # type: ignore[attr-defined]


def test_the_api_awaits_an_async_task(in_tmp_cwd: Path) -> None:
    assert hydra_run({"x": 21}, _double).return_value == 42
    jobs = hydra_multirun({"x": 0}, _double, overrides=["x=1,2"])
    assert [job.return_value for job in jobs[0]] == [2, 4]


def test_the_api_awaits_an_async_task_on_pool_workers(tasks: Project, in_tmp_cwd: Path) -> None:
    sys.path.insert(0, str(tasks.root))
    from tasks import atask  # type: ignore[import-not-found]

    jobs = hydra_multirun({"x": 0, "fail": -1}, atask, overrides=["x=1,2"], jobs=2)
    assert sorted(job.return_value for job in jobs[0]) == [10, 20]


def test_an_async_task_called_from_a_running_event_loop(in_tmp_cwd: Path) -> None:
    # As a notebook does: its cell runs in the kernel's loop, and the task needs a loop of its own.
    request = contextvars.ContextVar("request", default="unset")
    seen: dict[str, object] = {}

    async def task(cfg: object) -> int:
        seen["loop"] = asyncio.get_running_loop()
        seen["thread"] = threading.current_thread()
        seen["request"] = request.get()
        await asyncio.sleep(0)
        return int(cfg.x) + 1  # type: ignore[attr-defined]

    async def cell() -> tuple[int, asyncio.AbstractEventLoop]:
        request.set("from the caller")
        return hydra_run({"x": 1}, task).return_value, asyncio.get_running_loop()

    value, callers_loop = asyncio.run(cell())
    assert value == 2
    assert seen["loop"] is not callers_loop and seen["thread"] is not threading.main_thread()
    assert seen["request"] == "from the caller"  # context variables reach the task, as with asyncio.run


def test_the_api_refuses_a_generator_task(in_tmp_cwd: Path) -> None:
    def task(cfg: object) -> object:
        yield 1

    with pytest.raises(UsageError, match="is a generator function"):
        hydra_run({"x": 1}, task)
    assert not (in_tmp_cwd / "outputs").exists()
