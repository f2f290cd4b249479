"""The slot loop's own rules, on an in-memory backend whose jobs end as the test scripts them.

Time is counted in polls: each ``poll`` is one tick, and a job scripted to take ``n`` ticks
ends at the ``n``-th poll after its start. Everything the loop writes goes to a real journal.
"""

from __future__ import annotations

import logging
import signal
from pathlib import Path
from typing import Iterator, Optional

import pytest

from hydra_runner.jobs.model import JobSpec
from hydra_runner.jobs.outcome import Ended, JobOutcome, ended_job
from hydra_runner.journal import Status, SweepJournal
from hydra_runner.launchers._schedule import JobFeed, JobList, run_schedule

#: (how it ends, after how many ticks) for one attempt of a job.
Attempt = tuple[Status, int]


class FakeBackend:
    """A launcher's slot methods over a scripted world; what the loop asks of it is logged."""

    job_log = logging.getLogger("test_schedule")

    def __init__(self, journal: SweepJournal, *, slots: int, script: Optional[dict[int, list[Attempt]]] = None,
                 retries: int = 0, fail_fast: bool = False, counts_interrupts: bool = False,
                 queues: bool = False) -> None:
        self.journal = journal
        self.slots = slots
        #: Takes every job and queues those beyond its slots until one frees up (as Slurm does).
        self.queues = queues
        self.queued: list[JobSpec] = []
        self.script = {num: list(attempts) for num, attempts in (script or {}).items()}
        self.retries, self.fail_fast, self.counts_interrupts = retries, fail_fast, counts_interrupts
        self.clock = 0
        self.running: dict[int, tuple[list[str], Status, int]] = {}
        self.most_running = 0
        self.log: list[str] = []
        #: Called with the tick number at each poll (to press Ctrl-C at a given moment).
        self.on_tick = lambda tick: None

    # -- what the loop calls ---------------------------------------------------------------------

    def reserve(self, n_jobs: int) -> None:
        self.log.append(f"reserve {n_jobs}")

    def can_submit(self) -> bool:
        return self.queues or len(self.running) < self.slots

    def announce(self, job: JobSpec) -> None:
        self.log.append(f"announce {job[0]}")

    def submit(self, job: JobSpec) -> None:
        if self.queues and len(self.running) >= self.slots:
            self.queued.append(job)
            self.log.append(f"queue {job[0]}")
            return
        num, overrides = job
        assert num not in self.running, f"job #{num} submitted while it runs"
        attempts = self.script.get(num)
        status, ticks = attempts.pop(0) if attempts else (Status.SUCCEEDED, 1)
        self.journal.job_started(num, overrides, worker="fake")
        self.running[num] = (list(overrides), status, self.clock + ticks)
        self.most_running = max(self.most_running, len(self.running))
        self.log.append(f"submit {num}")

    def poll(self, timeout: float) -> list[Ended]:
        self.clock += 1
        self.on_tick(self.clock)
        due = sorted(num for num, (_, _, end) in self.running.items() if end <= self.clock)
        ended = [self._end(num, self.running.pop(num)[:2]) for num in due]
        while self.queued and len(self.running) < self.slots:
            self.submit(self.queued.pop(0))
        return ended

    def withdraw_queued(self) -> list[int]:
        taken, self.queued = [num for num, _ in self.queued], []
        self.log.append(f"withdraw {taken}")
        return taken

    def kill_running(self) -> list[Ended]:
        self.log.append("kill")
        stopped = [ended_job(num, overrides, Status.INTERRUPTED, 0.0, None, message="interrupted")
                   for num, (overrides, _, _) in sorted(self.running.items())]
        self.running.clear()
        return stopped

    def record_end(self, num: int, status: Status, *, directory: Optional[str], value: object = None,
                   error: Optional[str] = None) -> None:
        self.journal.job_finished(num, status, directory=directory, value=value, error=error)
        self.log.append(f"end {num} {status.value}")

    # -- the scripted outcomes -------------------------------------------------------------------

    def _end(self, num: int, job: tuple[list[str], Status]) -> Ended:
        overrides, status = job
        directory = f"out/{num}"
        if status is Status.SUCCEEDED:
            outcome = JobOutcome(num=num, completed=True, return_value=num * 10, output_dir=directory)
            return ended_job(num, overrides, status, 0.01, directory, outcome)
        if status is Status.FAILED:
            outcome = JobOutcome.failed(num, ValueError(f"bad job {num}"), output_dir=directory)
            return ended_job(num, overrides, status, 0.01, directory, outcome)
        return ended_job(num, overrides, status, 0.01, directory, message=f"lost as {status.value}")


class Search(JobFeed):
    """A feed that makes each job up when asked, as a searching sweeper does."""

    def __init__(self, backend: FakeBackend, journal: SweepJournal, total: int) -> None:
        self.backend, self.journal, self.total = backend, journal, total
        self.given = 0
        self.told: list[tuple[int, Status]] = []
        #: How many jobs ran at each call of next_job.
        self.running_when_asked: list[int] = []

    def next_job(self) -> Optional[JobSpec]:
        self.running_when_asked.append(len(self.backend.running))
        self.backend.log.append("next_job")
        if self.given == self.total:
            return None
        job = JobSpec(self.given, [f"x={self.given}"])
        self.journal.add_jobs([job])
        self.given += 1
        return job

    def job_ended(self, num: int, status: Status, ret: object) -> None:
        self.told.append((num, status))


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[SweepJournal]:
    journal = SweepJournal.create(tmp_path / "sweep", {})
    yield journal
    journal.close()


def jobs(n: int) -> list[JobSpec]:
    return [JobSpec(num, [f"x={num}"]) for num in range(n)]


def run(backend: FakeBackend, journal: SweepJournal, n: int, **kwargs: int) -> dict[int, object]:
    journal.add_jobs(jobs(n))
    return run_schedule(backend, JobList(jobs(n)), **kwargs)  # type: ignore[arg-type]


def states(journal: SweepJournal) -> dict[int, tuple[Status, int]]:
    return {job.num: (job.status, job.attempts) for job in journal.jobs()}


@pytest.mark.parametrize("total, max_running, reserved", [(10, None, 10), (10, 2, 2), (1, 4, 1)])
def test_the_loop_reserves_slots_for_the_jobs_it_will_run(journal: SweepJournal, total: int,
                                                          max_running: Optional[int], reserved: int) -> None:
    backend = FakeBackend(journal, slots=4)
    run(backend, journal, total, **({"max_running": max_running} if max_running else {}))
    assert backend.log[0] == f"reserve {reserved}"  # before any job is asked for


@pytest.mark.parametrize("slots, max_running, most", [(3, None, 3), (1, None, 1), (4, 2, 2)])
def test_slots_are_never_exceeded(journal: SweepJournal, slots: int, max_running: Optional[int], most: int) -> None:
    script = {num: [(Status.SUCCEEDED, 1 + num % 3)] for num in range(10)}
    backend = FakeBackend(journal, slots=slots, script=script)
    results = run(backend, journal, 10, **({"max_running": max_running} if max_running else {}))
    assert backend.most_running == most
    assert sorted(results) == list(range(10))
    assert [results[n].return_value for n in range(10)] == [n * 10 for n in range(10)]  # type: ignore[attr-defined]
    assert states(journal) == {n: (Status.SUCCEEDED, 1) for n in range(10)}
    with journal:
        assert all(job.value == job.num * 10 and job.directory == f"out/{job.num}" for job in journal.jobs())


def test_only_crashed_and_timed_out_jobs_are_retried(journal: SweepJournal) -> None:
    script = {
        0: [(Status.CRASHED, 1), (Status.SUCCEEDED, 1)],
        1: [(Status.TIMEOUT, 2), (Status.TIMEOUT, 1)],  # lost twice: retries used up
        2: [(Status.FAILED, 1)],  # the task raised: running it again would raise again
        3: [(Status.INTERRUPTED, 1)],
    }
    backend = FakeBackend(journal, slots=2, script=script, retries=1)
    results = run(backend, journal, 5)
    assert states(journal) == {0: (Status.SUCCEEDED, 2), 1: (Status.TIMEOUT, 2), 2: (Status.FAILED, 1),
                               3: (Status.INTERRUPTED, 1), 4: (Status.SUCCEEDED, 1)}
    assert sorted(results) == list(range(5))
    # A job is entered in the journal once, when it ended for good, not at each lost attempt.
    assert sorted(line for line in backend.log if line.startswith("end")) == [
        "end 0 succeeded", "end 1 timeout", "end 2 failed", "end 3 interrupted", "end 4 succeeded"]
    assert backend.log.count("submit 0") == backend.log.count("submit 1") == 2


def test_without_retries_a_lost_job_ends_at_once(journal: SweepJournal) -> None:
    backend = FakeBackend(journal, slots=2, script={0: [(Status.CRASHED, 1), (Status.SUCCEEDED, 1)]})
    run(backend, journal, 2)
    assert states(journal) == {0: (Status.CRASHED, 1), 1: (Status.SUCCEEDED, 1)}
    with journal:
        assert journal.job(0).error == "lost as crashed"  # type: ignore[union-attr]


def test_fail_fast_stops_submitting_and_lets_running_jobs_end(journal: SweepJournal) -> None:
    script = {0: [(Status.SUCCEEDED, 1)], 1: [(Status.FAILED, 2)], 2: [(Status.SUCCEEDED, 3)]}
    backend = FakeBackend(journal, slots=2, script=script, fail_fast=True)
    results = run(backend, journal, 6)
    # Tick 1: #0 ends and #2 takes its slot; tick 2: #1 fails, nothing new starts; #2 runs to its end.
    assert backend.log.count("submit 2") == 1 and "submit 3" not in backend.log
    assert states(journal) == {0: (Status.SUCCEEDED, 1), 1: (Status.FAILED, 1), 2: (Status.SUCCEEDED, 1),
                               3: (Status.PENDING, 0), 4: (Status.PENDING, 0), 5: (Status.PENDING, 0)}
    assert sorted(results) == [0, 1, 2]


def test_a_stopping_schedule_takes_back_the_jobs_a_backend_queued(journal: SweepJournal) -> None:
    backend = FakeBackend(journal, slots=2, fail_fast=True, queues=True,
                          script={0: [(Status.FAILED, 1)], 1: [(Status.SUCCEEDED, 3)]})
    results = run(backend, journal, 6)
    assert backend.log[:13] == ["reserve 6", "announce 0", "submit 0", "announce 1", "submit 1", "announce 2", "queue 2",
                                "announce 3", "queue 3", "announce 4", "queue 4", "announce 5", "queue 5"]
    assert "withdraw [3, 4, 5]" in backend.log  # #2 took #0's slot when it failed: it runs and ends
    records = {job.num: job for job in journal.jobs()}
    assert {num: records[num].status for num in range(6)} == {
        0: Status.FAILED, 1: Status.SUCCEEDED, 2: Status.SUCCEEDED, 3: Status.PENDING, 4: Status.PENDING,
        5: Status.PENDING}
    assert all(records[num].attempts == 0 for num in (3, 4, 5)) and sorted(results) == [0, 1, 2]


def test_without_fail_fast_a_failure_stops_nothing(journal: SweepJournal) -> None:
    backend = FakeBackend(journal, slots=2, script={0: [(Status.FAILED, 1)]})
    run(backend, journal, 4)
    assert [state for state, _ in states(journal).values()] == [Status.FAILED] + [Status.SUCCEEDED] * 3


def test_a_search_is_asked_for_a_job_only_when_a_slot_is_free(journal: SweepJournal) -> None:
    backend = FakeBackend(journal, slots=2, script={num: [(Status.SUCCEEDED, 1 + num % 2)] for num in range(7)})
    search = Search(backend, journal, total=7)
    run_schedule(backend, search)  # type: ignore[arg-type]
    assert all(running < 2 for running in search.running_when_asked)
    assert search.running_when_asked.count(0) >= 1
    assert backend.log.count("next_job") == 8  # seven jobs, then one "no more", never asked again
    assert sorted(num for num, _ in search.told) == list(range(7))
    assert all(status is Status.SUCCEEDED for _, status in search.told)
    # Each job is asked for right before it is announced and submitted: no job waits in a queue.
    for num in range(7):
        at = backend.log.index(f"announce {num}")
        assert backend.log[at - 1] == "next_job" and backend.log[at + 1] == f"submit {num}"


def test_a_search_is_told_a_retried_job_once(journal: SweepJournal) -> None:
    backend = FakeBackend(journal, slots=1, script={1: [(Status.CRASHED, 1), (Status.SUCCEEDED, 1)]}, retries=1)
    search = Search(backend, journal, total=3)
    run_schedule(backend, search)  # type: ignore[arg-type]
    assert search.told == [(0, Status.SUCCEEDED), (1, Status.SUCCEEDED), (2, Status.SUCCEEDED)]
    # The retry takes the freed slot before the search is asked for a new job.
    assert backend.log.index("submit 2") > [i for i, line in enumerate(backend.log) if line == "submit 1"][1]


def test_progress_lines_and_the_summary_of_failures(journal: SweepJournal, capsys: pytest.CaptureFixture[str]) -> None:
    script = {1: [(Status.FAILED, 1)], 2: [(Status.TIMEOUT, 1)]}
    run(FakeBackend(journal, slots=1, script=script), journal, 4)
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert lines[0].startswith("[1/4] #0 succeeded in") and lines[0].endswith("(x=0) -> 0")
    assert lines[1].startswith("[2/4] #1 failed in") and lines[2].startswith("[3/4] #2 timeout in")
    summary = err[err.index("2 of 4 jobs did not succeed:"):]
    assert "#1 failed: x=1" in summary and "dir: out/1" in summary and "ValueError: bad job 1" in summary
    assert "#2 timeout: x=2" in summary and "lost as timeout" in summary
    assert "#0" not in summary and "#3" not in summary


def test_no_summary_when_every_job_succeeds(journal: SweepJournal, capsys: pytest.CaptureFixture[str]) -> None:
    run(FakeBackend(journal, slots=2), journal, 3)
    err = capsys.readouterr().err
    assert err.count("succeeded in") == 3 and "did not succeed" not in err


def test_first_ctrl_c_stops_scheduling_and_running_jobs_end(journal: SweepJournal) -> None:
    backend = FakeBackend(journal, slots=2, script={n: [(Status.SUCCEEDED, 3)] for n in range(6)},
                          counts_interrupts=True)
    backend.on_tick = lambda tick: signal.raise_signal(signal.SIGINT) if tick == 1 else None
    with pytest.raises(KeyboardInterrupt):
        run(backend, journal, 6)
    assert "kill" not in backend.log
    assert states(journal) == {0: (Status.SUCCEEDED, 1), 1: (Status.SUCCEEDED, 1),
                               **{n: (Status.PENDING, 0) for n in range(2, 6)}}


def test_second_ctrl_c_stops_running_jobs(journal: SweepJournal) -> None:
    backend = FakeBackend(journal, slots=2, script={n: [(Status.SUCCEEDED, 5)] for n in range(4)},
                          counts_interrupts=True)
    backend.on_tick = lambda tick: signal.raise_signal(signal.SIGINT) if tick in (1, 2) else None
    with pytest.raises(KeyboardInterrupt):
        run(backend, journal, 4)
    assert "kill" in backend.log
    assert states(journal) == {0: (Status.INTERRUPTED, 1), 1: (Status.INTERRUPTED, 1),
                               2: (Status.PENDING, 0), 3: (Status.PENDING, 0)}
