"""What ``results`` and ``sweeps`` show: a sweep's jobs as rows, sorted, exported, plotted.

A row is one job: its number, the values it was swept over (one column per override key,
the keys united over all jobs), its status and duration, and its metrics
(:meth:`JobRecord.metrics`). Nothing here prints; the CLI formats what this returns.

>>> report = load_results("multirun/2024-01-01/12-00-00")  # doctest: +SKIP
>>> best = report.sorted("loss").rows[0]                   # doctest: +SKIP
"""

from __future__ import annotations

import csv
import json
import math
import shlex
import sqlite3
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any, Optional, Sequence, Union

from hydra_runner._install import install_command
from hydra_runner.errors import UsageError
from hydra_runner.journal.index import list_sweeps
from hydra_runner.journal.sqlite import JobRecord, Status, SweepJournal

__all__ = [
    "Row",
    "SweepResults",
    "SweepSummary",
    "load_results",
    "plot",
    "short_command",
    "sweep_summaries",
    "to_json",
    "write_csv",
    "write_json",
]

# Columns every report has, whatever was swept or returned.
_BUILTIN_COLUMNS = ("job", "status", "duration", "attempts")


@dataclass(frozen=True)
class Row:
    """One job of the sweep."""

    num: int
    params: dict[str, Any]  # swept values as Hydra's parser typed them (int, float, str, bool, list...)
    param_text: dict[str, str]  # the same values as text, for tables and CSV
    status: Status
    duration: Optional[float]
    attempts: int
    metrics: dict[str, float]
    value: Any  # the return value as the journal stored it (JSON data or None)
    value_repr: Optional[str]  # set only when the return value gave no metrics: still worth showing
    error: Optional[str]  # last line of the traceback (``ValueError: bad``)
    directory: Optional[str]

    def get(self, column: str) -> Any:
        """The typed value of ``column``: a metric first, then a swept parameter, then a built-in column."""
        if column in self.metrics:
            return self.metrics[column]
        if column in self.params:
            return self.params[column]
        return {
            "job": self.num,
            "status": self.status,
            "duration": self.duration,
            "attempts": self.attempts,
            "returned": self.value_repr,
            "error": self.error,
        }.get(column)


@dataclass(frozen=True)
class SweepResults:
    sweep_dir: Path
    meta: dict[str, Any]
    params: list[str]  # swept keys, in the order they first appear
    metrics: list[str]
    rows: list[Row]
    counts: dict[Status, int]  # of the whole sweep, whatever ``head`` keeps
    extra: list[str]  # "returned" and/or "error" when some job has one: columns stay the same after ``head``
    sorted_by: Optional[str] = field(default=None)
    descending: bool = False
    live: bool = False  # a process is running the sweep now

    @property
    def columns(self) -> list[str]:
        """Column names in display order; ``returned`` (a non-numeric return value's repr) and
        ``error`` only when some job has one."""
        return ["job", *self.params, "status", "duration", *self.metrics, *self.extra]

    def cells(self, row: Row) -> list[Any]:
        """``row``'s values under :attr:`columns`: parameters as text, numbers as numbers, None if absent."""
        # Built section by section, not by name: a parameter and a metric may share a name.
        return [
            row.num,
            *(row.param_text.get(key) for key in self.params),
            row.status,
            row.duration,
            *(row.metrics.get(key) for key in self.metrics),
            *(row.get(name) for name in self.extra),
        ]

    def sortable(self) -> list[str]:
        return [*self.metrics, *self.params, *_BUILTIN_COLUMNS]

    def sorted(self, by: str, *, descending: bool = False) -> SweepResults:
        """Rows ordered by a metric or column; jobs without a value for it stay last, in job order."""
        if by not in self.sortable() and by not in self.extra:
            raise UsageError(
                f"no metric or column '{by}' in {self.sweep_dir}",
                fix=f"sort by one of: {', '.join(self.sortable())}",
            )
        have = [row for row in self.rows if not _missing(row.get(by))]
        missing = [row for row in self.rows if _missing(row.get(by))]
        # sorted() is stable also with reverse=True, so ties keep job order either way.
        have = sorted(have, key=lambda row: _order(row.get(by)), reverse=descending)
        return replace(self, rows=have + missing, sorted_by=by, descending=descending)

    def head(self, n: Optional[int]) -> SweepResults:
        if n is not None and n < 0:
            raise UsageError(f"the row limit must be 0 or more, not {n}")
        return self if n is None else replace(self, rows=self.rows[:n])


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


_STATUS_ORDER = {status: i for i, status in enumerate(Status)}


def _order(value: Any) -> tuple[int, float, str]:
    """Numbers by value before anything else by text, so mixed columns still sort."""
    if isinstance(value, Status):
        return (0, float(_STATUS_ORDER[value]), "")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, float(value), "")
    return (1, 0.0, str(value))


# -- loading --------------------------------------------------------------------------------


def load_results(sweep_dir: Union[str, Path]) -> SweepResults:
    """Read the journal of ``sweep_dir`` into a :class:`SweepResults`, rows in job order."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()  # built once: it is the slow part of parsing
    with SweepJournal.open(sweep_dir) as journal:
        meta, records, live = journal.meta, journal.jobs(), _is_live(journal)
    rows = [_row(record, parser, live) for record in records]
    params = list(dict.fromkeys(key for row in rows for key in row.params))
    metrics = list(dict.fromkeys(key for row in rows for key in row.metrics))
    tally = Counter(row.status for row in rows)
    counts = {status: tally[status] for status in Status if tally[status]}
    extra = [name for name in ("returned", "error") if any(row.get(name) for row in rows)]
    return SweepResults(Path(sweep_dir), meta, params, metrics, rows, counts, extra, live=live)


def _is_live(journal: SweepJournal) -> bool:
    try:
        return journal.is_running_elsewhere()
    except OSError:
        return True  # cannot tell: show the statuses as recorded


def _settled(status: Status, live: bool) -> Status:
    # "running" in a sweep no process runs is a job its runner died in: show it as `resume`
    # will record it, not as running forever.
    return Status.INTERRUPTED if status is Status.RUNNING and not live else status


def _row(record: JobRecord, parser: Any, live: bool) -> Row:
    params: dict[str, Any] = {}
    text: dict[str, str] = {}
    for override_text in record.overrides:
        key, value, shown = _parse_override(override_text, parser)
        params[key], text[key] = value, shown
    metrics = record.metrics()
    has_value = record.value_repr is not None and record.value_repr != "None"
    return Row(
        num=record.num,
        params=params,
        param_text=text,
        status=_settled(record.status, live),
        duration=record.duration,
        attempts=record.attempts,
        metrics=metrics,
        value=record.value,
        value_repr=record.value_repr if has_value and not metrics else None,
        error=_pruned_at(record.error) if record.status is Status.PRUNED else _last_line(record.error),
        directory=record.directory,
    )


def _parse_override(text: str, parser: Any) -> tuple[str, Any, str]:
    """(column key, typed value, value text) of one job override, as Hydra's parser reads it."""
    from hydra.errors import HydraException

    try:
        override = parser.parse_override(text)
    except HydraException:
        # The journal holds what Hydra ran, so this should not happen; keep the text visible.
        return text, None, ""
    key = override.key_or_group + (f"@{override.package}" if override.package else "")
    if override.is_delete():
        return key, None, "~"
    value = override.value()
    if isinstance(value, str):
        shown = value  # unquoted: quotes are grammar, not the value
    elif isinstance(value, bool):
        shown = "true" if value else "false"  # as written in YAML, not Python's True
    else:
        shown = override.get_value_element_as_str()
    return key, value, shown


def _pruned_at(error: Optional[str]) -> Optional[str]:
    # A pruned trial is not an error: say where it stopped, without the exception's name.
    line = _last_line(error)
    return line.split(": ", 1)[-1] if line and "TrialPruned" in line.split(": ", 1)[0] else line


def _last_line(error: Optional[str]) -> Optional[str]:
    lines = [line for line in (error or "").splitlines() if line.strip()]
    return lines[-1].strip() if lines else None


# -- export ---------------------------------------------------------------------------------


def write_csv(report: SweepResults, file: IO[str]) -> None:
    """One header line, then one line per row; empty cells where a job has no value."""
    # csv.writer, not DictWriter: a parameter and a metric may share a name.
    writer = csv.writer(file)
    writer.writerow(report.columns)
    for row in report.rows:
        cells = report.cells(row)
        writer.writerow(["" if _missing(v) else v.value if isinstance(v, Status) else v for v in cells])


def to_json(report: SweepResults) -> dict[str, Any]:
    """The report as JSON data: nested per job, so names never collide."""
    return {
        "sweep_dir": str(report.sweep_dir.absolute()),
        "command": report.meta.get("command"),
        "created": report.meta.get("created"),
        "sorted_by": report.sorted_by,
        "descending": report.descending,
        "counts": {status.value: n for status, n in report.counts.items()},
        "jobs": [
            {
                "job": row.num,
                "overrides": row.params,
                "status": row.status.value,
                "duration": row.duration,
                "attempts": row.attempts,
                "metrics": row.metrics,
                "value": row.value,
                "error": row.error,
                "directory": row.directory,
            }
            for row in report.rows
        ],
    }


def write_json(report: SweepResults, file: IO[str]) -> None:
    json.dump(to_json(report), file, indent=2, default=str)
    file.write("\n")


# -- plot -----------------------------------------------------------------------------------


def plot(report: SweepResults, metric: str, path: Union[str, Path]) -> Path:
    """Write a PNG: ``metric`` against each swept parameter, one subplot per parameter."""
    try:
        from matplotlib.figure import (
            Figure,  # no pyplot: no GUI backend, no global figure state
        )
    except ImportError as e:
        raise UsageError("plotting needs matplotlib, which is not installed",
                         fix=install_command("hydra-runner[plot]")) from e
    if metric not in report.metrics:
        raise UsageError(f"no metric '{metric}' in {report.sweep_dir}",
                         fix=f"plot one of: {', '.join(report.metrics) or '(no job returned a number)'}")
    rows = [row for row in report.rows if metric in row.metrics]
    params = report.params or ["job"]
    ncols = min(3, len(params))
    nrows = math.ceil(len(params) / ncols)
    figure = Figure(figsize=(4.2 * ncols, 3.4 * nrows), layout="constrained")
    axes = figure.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, param in zip(axes, params):
        points = [(row.get(param), row.metrics[metric], row.param_text.get(param, str(row.num)))
                  for row in rows if param == "job" or param in row.params]
        _scatter(ax, points)
        ax.set_xlabel(param)
        ax.set_ylabel(metric)
    for ax in axes[len(params):]:
        ax.set_visible(False)
    figure.suptitle(f"{metric} — {Path(report.sweep_dir.parent.name, report.sweep_dir.name)}")
    path = Path(path)
    figure.savefig(path, format="png", dpi=100)
    return path


def _scatter(ax: Any, points: list[tuple[Any, float, str]]) -> None:
    numeric = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x, _, _ in points)
    ys = [y for _, y, _ in points]
    if numeric:
        xs = [float(x) for x, _, _ in points]
        ax.scatter(xs, ys)
        # Learning rates and the like are swept over decades: a linear axis crams them together.
        if xs and min(xs) > 0 and max(xs) / min(xs) >= 100:
            ax.set_xscale("log")
        return
    categories = list(dict.fromkeys(text for _, _, text in points))  # sweep order, not alphabetical
    ax.scatter([categories.index(text) for _, _, text in points], ys)
    ax.set_xticks(range(len(categories)), labels=categories, rotation=30 if len(categories) > 4 else 0)


# -- sweeps of a project --------------------------------------------------------------------


@dataclass(frozen=True)
class SweepSummary:
    sweep_dir: Path
    created: Optional[float]
    command: str  # shortened: hydra-runner for python -m hydra_runner, at most 200 characters
    counts: dict[Status, int]
    live: bool = False  # a process is running the sweep now
    error: Optional[str] = None  # why the journal could not be read

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def short_command(argv: Sequence[str], width: int = 70) -> str:
    """``argv`` as a short shell line: ``python -m hydra_runner`` → ``hydra-runner``, paths to names."""
    args = [str(arg) for arg in argv]
    if len(args) >= 3 and args[1:3] == ["-m", "hydra_runner"]:
        args = ["hydra-runner", *args[3:]]
    elif args:
        name = Path(args[0]).name
        args[0] = "python" if name.startswith("python") else name
    text = shlex.join(args)
    return text if len(text) <= width else text[: width - 1] + "…"


def sweep_summaries(project_root: Path, limit: Optional[int] = None) -> list[SweepSummary]:
    """The project's sweeps, newest first, each with its created time, command and status counts."""
    sweeps = list(reversed(list_sweeps(project_root)))
    if limit is not None:
        sweeps = sweeps[:limit]
    return [_summary(sweep_dir) for sweep_dir in sweeps]


def _summary(sweep_dir: Path) -> SweepSummary:
    try:
        with SweepJournal.open(sweep_dir) as journal:
            meta, counts, live = journal.meta, journal.counts(), _is_live(journal)
    except (sqlite3.Error, OSError, ValueError) as e:
        # One broken journal must not hide the other sweeps.
        return SweepSummary(sweep_dir, None, "", {}, error=str(e))
    tally: Counter[Status] = Counter()
    for status, n in counts.items():
        tally[_settled(status, live)] += n
    ordered = {status: tally[status] for status in Status if tally[status]}
    command = short_command(meta.get("command") or [], width=200)
    return SweepSummary(sweep_dir, meta.get("created"), command, ordered, live=live)
