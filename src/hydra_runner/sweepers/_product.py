"""A grid sweep's jobs, computed when needed rather than listed up front.

:class:`Grid` is the Cartesian product BasicSweeper builds, in the same order (the last
override varies fastest), but as numbers: job ``i``'s overrides are computed from ``i``.
A million-job grid then costs the lists of its values, not a million lists of overrides.
:class:`GridFeed` gives a batch's jobs to the launcher's slot loop a chunk at a time: each
chunk is entered in the sweep journal in one transaction and validated before any of its
jobs starts, so the first job starts after the first chunk, whatever the grid's size.
"""

from __future__ import annotations

import math
from collections import OrderedDict, deque
from typing import Callable, Iterator, Optional, Sequence, Union, overload

from hydra.core.override_parser.types import Override, ValueType
from hydra.core.utils import JobReturn, JobStatus
from hydra.errors import HydraException

from hydra_runner.errors import UsageError
from hydra_runner.jobs.model import JobSpec
from hydra_runner.journal import Status, SweepJournal
from hydra_runner.launchers._schedule import JobFeed

__all__ = ["Grid", "GridFeed", "grid_dimensions", "jobs_on_command_line"]

#: Jobs entered and validated at once: few at first (the first job waits for them), more later.
#: A validated job is kept composed until it starts: larger chunks raise the parent's memory
#: (512 held about 3 MiB more over a 6,000-job sweep) and save nothing measurable.
FIRST_CHUNK = 16
LAST_CHUNK = 128


def grid_dimensions(overrides: Sequence[Override]) -> list[list[str]]:
    """Each swept key's ``key=value`` lines, as BasicSweeper.split_arguments lists them."""
    dims: OrderedDict[str, list[str]] = OrderedDict()
    for override in overrides:
        key = override.get_key_element()
        if not override.is_sweep_override():
            dims[key] = [f"{key}={override.get_value_element_as_str()}"]
        elif override.is_discrete_sweep():
            try:
                dims[key] = [f"{key}={value}" for value in override.sweep_string_iterator()]
            except ValueError as e:  # range(0,3,0)
                raise UsageError(f"'{override.input_line}' cannot be swept: {e}",
                                 fix="write range(start, stop, step) with a step that is not 0, "
                                     "or list the values: a,b,c") from e
        else:
            assert override.value_type is not None
            raise HydraException(f"BasicSweeper does not support sweep type : {override.value_type.name}")
    return list(dims.values())


def jobs_on_command_line(args: Sequence[str]) -> Optional[int]:
    """How many jobs a grid sweep of these overrides runs, read from them alone; None when they cannot say.

    They cannot when they pick or set up a sweeper, list config options (``glob``), search
    (``interval``) or do not parse: the sweep finds out when it composes (and reports what is wrong).
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.core.override_parser.types import ChoiceSweep, RangeSweep

    try:
        overrides = OverridesParser.create().parse_overrides(list(args))
    except Exception:
        return None
    counts: dict[str, int] = {}
    for override in overrides:
        key = override.get_key_element()
        if key.lstrip("+~").startswith(("hydra/sweeper", "hydra.sweeper")):
            return None
        value = override.value()
        if not override.is_sweep_override():
            counts[key] = 1
        elif isinstance(value, RangeSweep) and value.step:
            assert value.start is not None and value.stop is not None
            counts[key] = max(0, math.ceil((value.stop - value.start) / value.step))
        elif isinstance(value, (ChoiceSweep, list)):
            counts[key] = len(value.list if isinstance(value, ChoiceSweep) else value)
        else:
            return None
    return math.prod(counts.values())


class GridSlice(Sequence[list[str]]):
    """Jobs ``start`` to ``stop`` of a grid: a batch, or the whole grid."""

    def __init__(self, grid: Grid, start: int, stop: int) -> None:
        self.grid, self.start, self.stop = grid, start, stop

    def __len__(self) -> int:
        return self.stop - self.start

    @overload
    def __getitem__(self, index: int) -> list[str]: ...

    @overload
    def __getitem__(self, index: slice) -> list[list[str]]: ...

    def __getitem__(self, index: Union[int, slice]) -> Union[list[str], list[list[str]]]:
        if isinstance(index, slice):
            return [self.grid.job(self.start + i) for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self.grid.job(self.start + index)

    def __iter__(self) -> Iterator[list[str]]:
        return (self.grid.job(i) for i in range(self.start, self.stop))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(other) == len(self) and all(list(a) == list(b) for a, b in zip(self, other))
        return NotImplemented

    def __repr__(self) -> str:
        return f"<jobs #{self.start} to #{self.stop - 1} of a grid>"


class Grid(GridSlice):
    """Every job of a grid sweep, in BasicSweeper's order; job ``i`` computed from ``i``.

    ``ranges`` tells which dimensions came from ``range(...)``: numbers of one type, whose
    ends stand for all of them in :meth:`probes`.
    """

    def __init__(self, dims: Sequence[Sequence[str]], ranges: Sequence[bool] = ()) -> None:
        self.dims = [list(values) for values in dims]
        self.ranges = list(ranges) or [False] * len(self.dims)
        # The place value of each dimension: the last one varies fastest.
        self._steps = [math.prod(len(values) for values in self.dims[i + 1:]) for i in range(len(self.dims))]
        super().__init__(self, 0, math.prod(len(values) for values in self.dims))

    @classmethod
    def of(cls, overrides: Sequence[Override]) -> Grid:
        ranges: dict[str, bool] = {}
        for override in overrides:  # the last override of a key wins, as in grid_dimensions
            ranges[override.get_key_element()] = override.value_type == ValueType.RANGE_SWEEP
        return cls(grid_dimensions(overrides), list(ranges.values()))

    def probes(self) -> list[list[str]]:
        """Jobs of the grid that between them give every key each of its values, the others their first.

        Composing these finds every unknown key, group option and ill-typed value that the
        grid's jobs would meet (short of one that only a pairing of two swept values makes),
        at a cost that grows with the number of values, not of jobs. Of a range, its two ends.
        """
        if len(self) == 0:
            return []
        first = [values[0] for values in self.dims]
        probes = {tuple(first): None}
        for i, values in enumerate(self.dims):
            for value in (values[0], values[-1]) if self.ranges[i] else values:
                probes[tuple(first[:i] + [value] + first[i + 1:])] = None
        return [list(job) for job in probes]

    def job(self, index: int) -> list[str]:
        return [values[index // step % len(values)] for values, step in zip(self.dims, self._steps)]

    def batches(self, max_batch_size: Optional[int]) -> list[GridSlice]:
        """The grid in batches, as BasicSweeper splits it (one batch when there is no limit)."""
        if max_batch_size is None or max_batch_size == -1:
            return [GridSlice(self, 0, len(self))]
        assert max_batch_size > 0
        return [GridSlice(self, i, min(i + max_batch_size, len(self))) for i in range(0, len(self), max_batch_size)]


class GridFeed(JobFeed):
    """A batch's jobs for the slot loop, entered in the journal and validated a chunk at a time.

    ``done`` answers, for a chunk of jobs, those of them an earlier session of this sweep
    finished well (``resume``); they are not run again, and their results are kept in
    :attr:`answered`. ``validate`` raises what composing the chunk's jobs would raise.
    """

    #: The feed keeps the results it wants itself (:attr:`returns`).
    keep_results = False

    def __init__(self, batch: GridSlice, *, journal: Optional[SweepJournal],
                 validate: Callable[[list[list[str]]], None],
                 done: Optional[Callable[[list[JobSpec]], dict[int, JobReturn]]] = None,
                 quiet: bool = False, keep: bool = True) -> None:
        self.batch = batch
        self.total = len(batch)
        self.journal = journal
        self.validate = validate
        self.done = done
        self.quiet = quiet
        self.keep = keep
        #: Results by number: of every job that ended or was done before (``keep``), else of failed jobs only.
        self.returns: dict[int, JobReturn] = {}
        #: How many jobs ended in this session, and how many an earlier session had finished.
        self.ended = self.answered = 0
        self._next = batch.start
        self._chunk = FIRST_CHUNK
        self._ready: deque[JobSpec] = deque()

    def next_job(self) -> Optional[JobSpec]:
        while not self._ready and self._next < self.batch.stop:
            self._take_chunk()
        return self._ready.popleft() if self._ready else None

    def _take_chunk(self) -> None:
        stop = min(self._next + self._chunk, self.batch.stop)
        jobs = [JobSpec(num, self.batch.grid.job(num)) for num in range(self._next, stop)]
        self._next, self._chunk = stop, min(2 * self._chunk, LAST_CHUNK)
        if self.journal is not None:
            self.journal.add_jobs(jobs)
        if self.done is not None:
            answered = self.done(jobs)
            self.answered += len(answered)
            if self.keep:
                self.returns.update(answered)
            jobs = [job for job in jobs if job.num not in answered]
        self.validate([job.overrides for job in jobs])
        self._ready.extend(jobs)

    def job_ended(self, num: int, status: Status, ret: JobReturn) -> None:
        self.ended += 1
        if self.keep or ret.status == JobStatus.FAILED:
            self.returns[num] = ret

    @property
    def not_started(self) -> int:
        """Jobs of the batch neither run nor done before (fail-fast stopped the sweep first)."""
        return len(self.batch) - self.ended - self.answered
