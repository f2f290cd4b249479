"""The lazy grid: BasicSweeper's jobs in BasicSweeper's order, and the feed that streams them."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import pytest
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.utils import JobReturn, JobStatus
from hydra.errors import HydraException

from hydra_runner.jobs.model import JobSpec
from hydra_runner.jobs.result import JobResult
from hydra_runner.journal import Status, SweepJournal
from hydra_runner.sweepers._product import (
    FIRST_CHUNK,
    LAST_CHUNK,
    Grid,
    GridFeed,
    jobs_on_command_line,
)

GRIDS = [
    [],
    ["x=1,2,3"],
    ["x=5"],
    ["a=1,2", "b=x,y,z", "c=range(0,4)"],
    ["c=range(1,10,3)", "b=choice(p,q)", "a=sort(3,1,2)", "d=sort(3,1,2,reverse=true)"],
    ["a=1,2", "fixed=7", "b=3,4", "a=5,6,7"],  # a key given twice keeps its first place, last values
    ["+y=a,b", "~z", "x='a,b',c", "name='p q',r"],
    ["x=[1,2],[3,4]", "y=range(3)", "db.port=1,2"],
]


def parse(overrides: list[str]) -> list:
    return OverridesParser.create().parse_overrides(overrides)


@pytest.mark.parametrize("overrides", GRIDS, ids=lambda o: " ".join(o) or "no overrides")
@pytest.mark.parametrize("max_batch_size", [None, 1, 2, 5])
def test_jobs_and_batches_are_basic_sweepers(overrides: list[str], max_batch_size: Optional[int]) -> None:
    expected = BasicSweeper.split_arguments(parse(overrides), max_batch_size)
    grid = Grid.of(parse(overrides))
    batches = grid.batches(max_batch_size)
    assert [list(batch) for batch in batches] == expected
    assert list(grid) == [job for batch in expected for job in batch]
    assert len(grid) == sum(len(batch) for batch in expected)


def test_a_job_is_computed_from_its_number() -> None:
    grid = Grid.of(parse(["a=range(0,7)", "b=range(0,11)", "c=range(0,13)"]))
    listed = list(grid)
    assert len(grid) == 7 * 11 * 13
    assert [grid[i] for i in range(len(grid))] == listed
    assert grid[-1] == ["a=6", "b=10", "c=12"] and grid[5:9] == listed[5:9] and grid[-3:] == listed[-3:]
    with pytest.raises(IndexError):
        grid[len(grid)]


def test_a_million_jobs_are_not_listed() -> None:
    grid = Grid.of(parse(["x=range(0,1000)", "y=range(0,1000)"]))
    assert len(grid) == 1_000_000
    assert grid[999_999] == ["x=999", "y=999"] and grid[1234] == ["x=1", "y=234"]
    last_batch = grid.batches(300_000)[-1]
    assert (last_batch.start, len(last_batch), last_batch[0]) == (900_000, 100_000, ["x=900", "y=0"])


def test_an_empty_sweep_has_no_jobs_as_in_basic_sweeper() -> None:
    grid = Grid([["x=1", "x=2"], []])
    assert len(grid) == 0 and list(grid) == []
    assert [list(b) for b in grid.batches(None)] == [[]] and grid.batches(2) == []


def test_an_interval_sweep_is_refused_as_basic_sweeper_refuses_it() -> None:
    with pytest.raises(HydraException, match="does not support sweep type"):
        Grid.of(parse(["x=interval(0,1)"]))


def _drain(feed: GridFeed, n: Optional[int] = None) -> list[JobSpec]:
    jobs = []
    while n is None or len(jobs) < n:
        job = feed.next_job()
        if job is None:
            break
        jobs.append(job)
    return jobs


def test_the_feed_enters_and_validates_jobs_a_chunk_at_a_time(tmp_path: Path) -> None:
    grid = Grid.of(parse(["x=range(0,50)", "y=range(0,100)"]))
    validated: list[int] = []
    with SweepJournal.create(tmp_path, {}) as journal:
        feed = GridFeed(grid, journal=journal, validate=lambda jobs: validated.append(len(jobs)))
        first = _drain(feed, 1)
        assert first == [(0, ["x=0", "y=0"])]
        assert len(journal.jobs()) == FIRST_CHUNK and validated == [FIRST_CHUNK]
        _drain(feed, 100)
        assert len(journal.jobs()) == FIRST_CHUNK * (1 + 2 + 4) < 200  # chunks double as the sweep goes on
        rest = _drain(feed)
        assert [num for num, _ in first + rest][-1] == 4999 and len(journal.jobs()) == 5000
        assert max(validated) == LAST_CHUNK and sum(validated) == 5000
        assert journal.counts() == {Status.PENDING: 5000}


def test_a_chunk_that_does_not_validate_gives_none_of_its_jobs(tmp_path: Path) -> None:
    grid = Grid.of(parse(["x=range(0,100)"]))

    def validate(jobs: list) -> None:
        if ["x=20"] in jobs:
            raise ValueError("x=20 does not compose")

    feed = GridFeed(grid, journal=None, validate=validate)
    given = _drain(feed, FIRST_CHUNK)
    assert [num for num, _ in given] == list(range(FIRST_CHUNK))
    with pytest.raises(ValueError, match="x=20"):
        feed.next_job()


def test_jobs_done_before_are_answered_not_given(tmp_path: Path) -> None:
    grid = Grid.of(parse(["x=range(0,40)"]))

    def done(jobs: list[JobSpec]) -> dict[int, JobReturn]:
        return {num: JobResult(overrides=list(o), status=JobStatus.COMPLETED, _return_value=num)
                for num, o in jobs if num % 3 == 0}

    checked: list[list[str]] = []
    feed = GridFeed(grid, journal=None, validate=checked.extend, done=done)
    given = [num for num, _ in _drain(feed)]
    assert given == [n for n in range(40) if n % 3] and len(checked) == len(given)
    assert feed.answered == 14 and sorted(feed.returns) == list(range(0, 40, 3)) and feed.returns[9].return_value == 9
    feed.job_ended(1, Status.SUCCEEDED, JobResult(overrides=["x=1"], status=JobStatus.COMPLETED, _return_value=1))
    assert feed.returns[1].return_value == 1 and feed.not_started == 40 - 14 - 1


def test_a_feed_that_keeps_no_returns_keeps_the_failed_ones() -> None:
    feed = GridFeed(Grid.of(parse(["x=range(0,3)"])), journal=None, validate=lambda jobs: None, keep=False)
    feed.job_ended(0, Status.SUCCEEDED, JobResult(overrides=["x=0"], status=JobStatus.COMPLETED, _return_value=0))
    feed.job_ended(1, Status.FAILED, JobResult(overrides=["x=1"], status=JobStatus.FAILED))
    assert list(feed.returns) == [1] and feed.not_started == 1


def test_probes_give_every_value_once_the_others_their_first_and_a_range_its_ends() -> None:
    grid = Grid.of(parse(["db=a,b,c", "x=range(0,1000)", "name=p,q"]))
    probes = grid.probes()
    every_job = {tuple(job) for job in grid}
    assert all(tuple(job) in every_job for job in probes)  # each probe is a job the sweep runs
    assert probes == [
        ["db=a", "x=0", "name=p"],
        ["db=b", "x=0", "name=p"],
        ["db=c", "x=0", "name=p"],
        ["db=a", "x=999", "name=p"],
        ["db=a", "x=0", "name=q"],
    ]


def test_a_list_of_numbers_is_probed_whole_and_an_empty_grid_not_at_all() -> None:
    assert Grid.of(parse(["x=1,2,three"])).probes() == [["x=1"], ["x=2"], ["x=three"]]
    assert Grid([["x=1", "x=2"], []]).probes() == []


@pytest.mark.parametrize("args, jobs", [
    (["seed=1,2"], 2),
    (["seed=range(4)", "model=a,b,c", "lr=0.1"], 12),
    ([], 1),
    (["x=range(0,1,0.25)"], 4),
    (["x=choice(1,2,3)", "x=5"], 1),  # the last override of a key wins, as in BasicSweeper
    (["x=shuffle(range(10))"], 10),
    (["x=glob(*)"], None),  # needs the config's options
    (["x=interval(0,1)"], None),  # a search, not a grid
    (["hydra/sweeper=optuna", "x=1,2"], None),
    (["hydra.sweeper.params.x=1,2"], None),
    (["x=range(0,3,0)"], None),
    (["x=[unclosed"], None),
])
def test_jobs_on_command_line(args: list[str], jobs: Optional[int]) -> None:
    assert jobs_on_command_line(args) == jobs
