"""The sweep journal on a real SQLite database."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from hydra_runner.journal import (
    Status,
    SweepBusy,
    SweepJournal,
    latest_sweep,
    list_sweeps,
    register_sweep,
)
from hydra_runner.journal.sqlite import encode_value


def test_jobs_move_through_their_states(tmp_path: Path) -> None:
    with SweepJournal.create(tmp_path / "sweep", {"command": ["x"]}) as journal:
        journal.add_jobs([(0, ["a=1"]), (1, ["a=2"])])
        journal.job_started(0, ["a=1"], worker="w0", slot="slot 0")
        journal.job_finished(0, Status.SUCCEEDED, directory="/out/0", value={"loss": 0.5, "name": "x"})
        journal.job_started(1, ["a=2"])
        journal.job_finished(1, Status.FAILED, error="Traceback...\nValueError: no")
        journal.job_started(1, ["a=2"])
        zero, one = journal.jobs()
        assert (zero.status, zero.attempts, zero.directory, zero.worker) == (Status.SUCCEEDED, 1, "/out/0", "w0")
        assert zero.value == {"loss": 0.5, "name": "x"} and zero.metrics() == {"loss": 0.5}
        assert zero.duration is not None and zero.duration >= 0
        assert (one.status, one.attempts, one.error) == (Status.RUNNING, 2, None)
        assert journal.counts() == {Status.SUCCEEDED: 1, Status.RUNNING: 1}
        journal.mark_interrupted()
        assert journal.job(1).status is Status.INTERRUPTED  # type: ignore[union-attr]


def test_adding_jobs_again_keeps_their_state(tmp_path: Path) -> None:
    with SweepJournal.create(tmp_path, {}) as journal:
        journal.add_jobs([(0, ["a=1"])])
        journal.job_started(0, ["a=1"])
        journal.job_finished(0, Status.SUCCEEDED, value=3)
        journal.add_jobs([(0, ["a=1"]), (1, ["a=2"])])
        assert [(j.num, j.status) for j in journal.jobs()] == [(0, Status.SUCCEEDED), (1, Status.PENDING)]


def test_a_planned_sweep_counts_the_jobs_not_entered_yet_as_pending(tmp_path: Path) -> None:
    with SweepJournal.create(tmp_path / "sweep", {}) as journal:
        journal.plan_jobs(1000)
        assert journal.counts() == {Status.PENDING: 1000} and journal.jobs() == []
        journal.add_jobs((num, [f"x={num}"]) for num in range(300))
        journal.job_started(5, ["x=5"])
        journal.job_finished(5, Status.SUCCEEDED, value=5)
        journal.job_started(7, ["x=7"])
        journal.job_finished(7, Status.PRUNED)
        journal.job_started(9, ["x=9"])
        journal.job_finished(9, Status.FAILED, error="no")
        assert len(journal.jobs()) == 300
        assert journal.counts() == {Status.PENDING: 997, Status.SUCCEEDED: 1, Status.PRUNED: 1, Status.FAILED: 1}


def test_jobs_are_read_by_range_of_numbers(tmp_path: Path) -> None:
    with SweepJournal.create(tmp_path / "sweep", {}) as journal:
        journal.add_jobs((num, [f"x={num}"]) for num in range(0, 100, 2))
        for num in (10, 12, 40):
            journal.job_started(num, [f"x={num}"])
            journal.job_finished(num, Status.SUCCEEDED, value=num)
        assert [job.num for job in journal.jobs_between(9, 15)] == [10, 12, 14]
        assert journal.jobs_between(100, 200) == []
        assert journal.count_finished_well(0, 40) == 2 and journal.count_finished_well(0, 41) == 3


def test_meta_keeps_the_first_values(tmp_path: Path) -> None:
    SweepJournal.create(tmp_path, {"command": ["first"], "cwd": "/a"}).close()
    with SweepJournal.create(tmp_path, {"command": ["second"], "extra": 1}) as journal:
        assert journal.meta == {"command": ["first"], "cwd": "/a", "extra": 1}


@pytest.mark.parametrize(
    "value, as_json",
    [
        (1.5, "1.5"),
        ({"a": [1, 2]}, '{"a": [1, 2]}'),
        (float("nan"), '"nan"'),
        (OmegaConf.create({"x": "${y}", "y": 2}), '{"x": 2, "y": 2}'),
        (object(), None),
    ],
)
def test_values_are_json_when_they_can_be(value: object, as_json: str | None) -> None:
    encoded, text = encode_value(value)
    assert encoded == as_json
    assert text  # always a readable form


def test_only_one_process_runs_a_sweep(tmp_path: Path) -> None:
    journal = SweepJournal.create(tmp_path, {})
    journal.acquire()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from hydra_runner.journal import SweepJournal; "
         "j = SweepJournal.open(sys.argv[1]); j.acquire(); print('held', flush=True); time.sleep(60)", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        # The other process cannot take it while this one holds it.
        out, err = holder.communicate(timeout=60)
        assert holder.returncode != 0 and "SweepBusy" in err
    finally:
        holder.kill()
    journal.close()
    other = SweepJournal.open(tmp_path)
    assert not other.is_running_elsewhere()
    other.acquire()
    with pytest.raises(SweepBusy):
        SweepJournal.open(tmp_path).acquire()
    other.close()


def test_journal_survives_sigkill_of_its_writer(tmp_path: Path) -> None:
    code = (
        "import os, signal, sys; from hydra_runner.journal import SweepJournal, Status\n"
        "j = SweepJournal.create(sys.argv[1], {'command': ['x']})\n"
        "j.add_jobs([(n, [f'a={n}']) for n in range(3)])\n"
        "j.job_started(0, ['a=0']); j.job_finished(0, Status.SUCCEEDED, value=1.0)\n"
        "j.job_started(1, ['a=1'])\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path)], timeout=60)
    assert proc.returncode == -9
    with SweepJournal.open(tmp_path) as journal:
        assert [(j.num, j.status, j.value) for j in journal.jobs()] == [
            (0, Status.SUCCEEDED, 1.0), (1, Status.RUNNING, None), (2, Status.PENDING, None)
        ]
    # Readable by plain sqlite3 too, in WAL mode.
    db = sqlite3.connect(tmp_path / "journal.sqlite")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0] == 3


def test_records_are_written_with_sqlites_normal_sync_whether_the_journal_is_new_or_not(tmp_path: Path) -> None:
    # A new journal is made without syncing; what it records afterwards is kept as before.
    for _ in range(2):
        journal = SweepJournal.create(tmp_path, {})
        assert journal._db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert journal._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        journal.close()


def test_project_index_lists_sweeps_in_start_order(tmp_path: Path) -> None:
    first, second = tmp_path / "multirun" / "a", tmp_path / "elsewhere" / "b"
    for sweep in (first, second):
        SweepJournal.create(sweep, {}).close()
        register_sweep(tmp_path, sweep)
    register_sweep(tmp_path, tmp_path / "deleted")  # no journal: not listed
    assert list_sweeps(tmp_path) == [first, second]
    assert latest_sweep(tmp_path) == second
    assert latest_sweep(tmp_path / "empty") is None


def test_sweeps_are_found_from_a_subdirectory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hydra_runner.journal.index import find_project_root, resolve_sweep_dir

    sweep = tmp_path / "multirun" / "a"
    SweepJournal.create(sweep, {}).close()
    register_sweep(tmp_path, sweep)
    inner = tmp_path / "src" / "pkg"
    inner.mkdir(parents=True)
    monkeypatch.chdir(inner)
    assert find_project_root() == tmp_path
    assert resolve_sweep_dir() == sweep
    assert find_project_root(tmp_path / "elsewhere") == tmp_path  # the index above it
