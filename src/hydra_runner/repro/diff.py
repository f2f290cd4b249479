"""How two jobs or two sweeps differ: configs key by key, overrides, returned values, code.

>>> diff = compare("multirun/2024-05-01/10-00-00#0", "outputs/2024-05-02/09-00-00")  # doctest: +SKIP
>>> [change.key for change in diff.config]                                          # doctest: +SKIP
['lr', 'model.depth']

Two sweeps are compared as sweeps (their command, overrides and code) and job by job,
pairing the jobs that have the same overrides.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Optional, Union

from hydra_runner.errors import UsageError
from hydra_runner.repro.records import (
    CodeRecord,
    RecordedJob,
    RecordedSweep,
    flatten,
    locate,
)

__all__ = ["ABSENT", "Change", "CodeDiff", "JobDiff", "SweepDiff", "compare", "compare_code", "compare_jobs"]

#: The side of a :class:`Change` that has no such key.
ABSENT: Any = type("Absent", (), {"__repr__": lambda self: "(absent)"})()


@dataclass(frozen=True)
class Change:
    key: str
    a: Any
    b: Any

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, **{side: value for side, value in (("a", self.a), ("b", self.b))
                                    if value is not ABSENT}}


def changes(a: dict[str, Any], b: dict[str, Any]) -> list[Change]:
    """The keys whose values differ (or that one side lacks), in a's order then b's."""
    keys = list(a) + [key for key in b if key not in a]
    return [Change(key, a.get(key, ABSENT), b.get(key, ABSENT)) for key in keys
            if a.get(key, ABSENT) != b.get(key, ABSENT) or type(a.get(key)) is not type(b.get(key))]


@dataclass(frozen=True)
class CodeDiff:
    a: CodeRecord
    b: CodeRecord

    @property
    def same_commit(self) -> bool:
        return self.a.commit == self.b.commit

    @property
    def patch_differs(self) -> bool:
        return (self.a.patch or "") != (self.b.patch or "")

    @property
    def same(self) -> bool:
        return self.same_commit and self.a.dirty == self.b.dirty and not self.patch_differs

    def to_json(self) -> dict[str, Any]:
        return {"a": self.a.to_json(), "b": self.b.to_json(), "same_commit": self.same_commit,
                "patch_differs": self.patch_differs}


def compare_code(a: CodeRecord, b: CodeRecord) -> CodeDiff:
    return CodeDiff(a, b)


def _returned(status: Optional[str], value: Any) -> dict[str, Any]:
    """A job's status and what it returned, flattened (a mapping by key, anything else as ``value``)."""
    flat = flatten(value) if isinstance(value, dict) else {"value": value}
    return {"status": status, **{key or "value": item for key, item in flat.items()}}




@dataclass(frozen=True)
class JobDiff:
    a: RecordedJob
    b: RecordedJob
    config: list[Change]
    values: list[Change]
    code: CodeDiff

    @property
    def overrides_only_a(self) -> list[str]:
        return [o for o in self.a.overrides if o not in self.b.overrides]

    @property
    def overrides_only_b(self) -> list[str]:
        return [o for o in self.b.overrides if o not in self.a.overrides]

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "jobs",
            "a": {"name": self.a.name, "directory": str(self.a.directory)},
            "b": {"name": self.b.name, "directory": str(self.b.directory)},
            "config": [change.to_json() for change in self.config],
            "overrides": {"a": self.a.overrides, "b": self.b.overrides,
                          "only_a": self.overrides_only_a, "only_b": self.overrides_only_b},
            "values": [change.to_json() for change in self.values],
            "code": self.code.to_json(),
        }


def compare_jobs(a: RecordedJob, b: RecordedJob) -> JobDiff:
    # A single run has no journal, so what it returned was not kept: values compare only within sweeps.
    values = changes(_returned(a.status, a.value), _returned(b.status, b.value)) if a.sweep_dir and b.sweep_dir else []
    return JobDiff(a, b, changes(a.config(), b.config()), values, compare_code(a.code, b.code))


@dataclass(frozen=True)
class JobPair:
    """Jobs of two sweeps with the same overrides (``a`` or ``b`` None: only one sweep has it)."""

    overrides: list[str]
    a: Optional[int]
    b: Optional[int]
    values: list[Change]

    def to_json(self) -> dict[str, Any]:
        return {"overrides": self.overrides, "a": self.a, "b": self.b,
                "values": [change.to_json() for change in self.values]}


@dataclass(frozen=True)
class SweepDiff:
    a: RecordedSweep
    b: RecordedSweep
    pairs: list[JobPair]
    code: CodeDiff

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "sweeps",
            "a": {"sweep_dir": str(self.a.sweep_dir), "command": self.a.meta.get("command"),
                  "overrides": self.a.overrides},
            "b": {"sweep_dir": str(self.b.sweep_dir), "command": self.b.meta.get("command"),
                  "overrides": self.b.overrides},
            "code": self.code.to_json(),
            "jobs": [pair.to_json() for pair in self.pairs],
        }


def _record_values(record: Any) -> dict[str, Any]:
    return _returned(record.status.value, record.value)


def _varying(records: list[Any]) -> dict[int, tuple[str, ...]]:
    """Each job's overrides without those every job of its sweep has (the sweep's constant ones)."""
    common = set.intersection(*(set(r.overrides) for r in records)) if records else set()
    return {r.num: tuple(sorted(set(r.overrides) - common)) for r in records}


def compare_sweeps(a: RecordedSweep, b: RecordedSweep) -> SweepDiff:
    """The sweeps' code, and their jobs paired by overrides, in a's job order then b's.

    Jobs pair first by all their overrides (in any order), then the rest by the overrides
    that vary within each sweep: ``lr=0.1`` of ``lr=0.1,0.2`` pairs with ``lr=0.1 depth=4``
    of ``lr=0.1,0.2 depth=4``.
    """
    matched: dict[int, Any] = {}
    for key in (lambda r, _: tuple(sorted(r.overrides)), lambda r, varying: varying[r.num]):
        vary_a, vary_b = _varying(a.records), _varying(b.records)
        waiting: dict[tuple[str, ...], list[Any]] = defaultdict(list)
        taken = {id(r) for r in matched.values()}
        for record in b.records:
            if id(record) not in taken:
                waiting[key(record, vary_b)].append(record)
        for record in a.records:
            if record.num not in matched and waiting.get(key(record, vary_a)):
                matched[record.num] = waiting[key(record, vary_a)].pop(0)
    pairs = []
    for record in a.records:
        other = matched.get(record.num)
        pairs.append(JobPair(list(record.overrides), record.num, other.num if other else None,
                             changes(_record_values(record), _record_values(other)) if other else []))
    taken = {id(r) for r in matched.values()}
    pairs.extend(JobPair(list(r.overrides), None, r.num, []) for r in b.records if id(r) not in taken)
    return SweepDiff(a, b, pairs, compare_code(a.code, b.code))


def compare(a: str, b: str) -> Union[JobDiff, SweepDiff]:
    """Compare what ``a`` and ``b`` name: two jobs, or two sweeps (see :func:`~hydra_runner.repro.records.locate`)."""
    first, second = locate(a), locate(b)
    if isinstance(first, RecordedJob) and isinstance(second, RecordedJob):
        return compare_jobs(first, second)
    if isinstance(first, RecordedSweep) and isinstance(second, RecordedSweep):
        return compare_sweeps(first, second)
    sweep = a if isinstance(first, RecordedSweep) else b
    raise UsageError(f"cannot compare a job with a sweep ({sweep} is a sweep)",
                     fix=f"compare two jobs (name one of the sweep's: {sweep}#0) or two sweeps")


def to_json_text(diff: Union[JobDiff, SweepDiff]) -> str:
    # default=repr: a config may hold values JSON has no type for; they are still worth showing.
    return json.dumps(diff.to_json(), indent=2, default=repr)
