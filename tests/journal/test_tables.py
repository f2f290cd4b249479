"""``journal/tables.py``: rows, sorting, exports and plots, from real sweeps and hand-filled journals."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Sequence

import pytest

from hydra_runner._install import install_command
from hydra_runner.errors import UsageError
from hydra_runner.journal import Status, SweepJournal, register_sweep
from hydra_runner.journal.index import resolve_sweep_dir
from hydra_runner.journal.tables import (
    SweepSummary,
    load_results,
    plot,
    short_command,
    sweep_summaries,
    to_json,
    write_csv,
    write_json,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

DEMO_APP = """
    import hydra

    @hydra.main(version_base=None, config_path=".", config_name="config")
    def main(cfg):
        if cfg.x == 3:
            raise ValueError("bad")
        return {"loss": (cfg.x - 2) ** 2 + cfg.lr, "acc": 1.0 / (1 + cfg.x)}

    if __name__ == "__main__":
        main()
    """

# Job numbers of the demo sweep (x=range(0,5) lr=0.1,0.2) by loss; jobs 6 and 7 (x=3) fail.
BY_LOSS = [4, 5, 2, 3, 0, 8, 1, 9, 6, 7]
BY_LOSS_DESC = [1, 9, 0, 8, 3, 2, 5, 4, 6, 7]  # equal losses keep job order


def write_demo(root: Path) -> Path:
    (root / "config.yaml").write_text("x: 1\nlr: 0.1\n")
    (root / "app.py").write_text(textwrap.dedent(DEMO_APP).lstrip())
    return root


def multirun(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a real sweep of ``root/app.py`` through the CLI, in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "hydra_runner", "multirun", "app.py", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HYDRA_RUNNER_IN_PROJECT_VENV": ""},
    )


def demo_sweep(root: Path, sweep_dir: str = "sweeps/demo", *extra: str) -> Path:
    write_demo(root)
    proc = multirun(root, "x=range(0,5)", "lr=0.1,0.2", f"hydra.sweep.dir={sweep_dir}", *extra)
    assert proc.returncode == 1, proc.stderr  # two jobs fail on purpose
    return root / sweep_dir


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real sweep shared by the read-only tests of this module."""
    return demo_sweep(tmp_path_factory.mktemp("demo"))


def fill(sweep_dir: Path, jobs: Sequence[tuple[Sequence[str], Status, Any]]) -> Path:
    """A journal filled by hand: (overrides, final status, return value) per job."""
    with SweepJournal.create(sweep_dir, {"command": ["python", "app.py", "-m"], "created": 0.0}) as journal:
        journal.add_jobs(enumerate(overrides for overrides, _, _ in jobs))
        for num, (overrides, status, value) in enumerate(jobs):
            if status is not Status.PENDING:
                journal.job_started(num, overrides)
            if status not in (Status.PENDING, Status.RUNNING):
                failed = status is Status.FAILED
                error = "Traceback (most recent call last):\n  ...\nKeyError: 'k'\n" if failed else None
                journal.job_finished(num, status, value=value, error=error)
    return sweep_dir


# -- loading a real sweep -------------------------------------------------------------------


def test_rows_of_a_real_sweep(demo: Path) -> None:
    report = load_results(demo)
    assert report.params == ["x", "lr"]
    assert report.metrics == ["loss", "acc"]
    assert report.counts == {Status.SUCCEEDED: 8, Status.FAILED: 2}
    assert [row.num for row in report.rows] == list(range(10))
    row = report.rows[4]
    assert row.params == {"x": 2, "lr": 0.1} and row.param_text == {"x": "2", "lr": "0.1"}
    assert row.metrics == pytest.approx({"loss": 0.1, "acc": 1 / 3})
    assert row.status is Status.SUCCEEDED and row.duration is not None and row.duration >= 0
    assert row.directory == str((demo / "4").absolute())
    failed = report.rows[6]
    assert failed.status is Status.FAILED and failed.metrics == {}
    assert failed.error == "ValueError: bad"
    assert report.columns == ["job", "x", "lr", "status", "duration", "loss", "acc", "error"]


def test_sort_by_metric_failed_jobs_last(demo: Path) -> None:
    report = load_results(demo)
    assert [row.num for row in report.sorted("loss").rows] == BY_LOSS
    assert [row.num for row in report.sorted("loss", descending=True).rows] == BY_LOSS_DESC
    by_acc = report.sorted("acc", descending=True)
    assert [row.num for row in by_acc.rows][:2] == [0, 1] and by_acc.sorted_by == "acc"


def test_sort_by_columns(demo: Path) -> None:
    report = load_results(demo)
    assert [row.params["x"] for row in report.sorted("x", descending=True).rows] == [4, 4, 3, 3, 2, 2, 1, 1, 0, 0]
    assert [row.params["lr"] for row in report.sorted("lr").rows][:5] == [0.1] * 5
    assert [row.num for row in report.sorted("status").rows][-2:] == [6, 7]  # succeeded before failed
    assert [row.num for row in report.sorted("job", descending=True).rows] == list(range(9, -1, -1))


def test_sort_by_unknown_name_lists_what_exists(demo: Path) -> None:
    with pytest.raises(UsageError) as info:
        load_results(demo).sorted("los")
    assert "'los'" in info.value.message
    assert info.value.fix is not None and "loss, acc, x, lr, job, status" in info.value.fix


def test_head_keeps_counts_of_the_whole_sweep(demo: Path) -> None:
    report = load_results(demo).sorted("loss").head(3)
    assert [row.num for row in report.rows] == [4, 5, 2]
    assert report.counts == {Status.SUCCEEDED: 8, Status.FAILED: 2}
    assert "error" in report.columns  # same columns as the whole sweep, though no shown job failed
    with pytest.raises(UsageError):
        load_results(demo).head(-1)


# -- finding the sweep ----------------------------------------------------------------------


def test_resolve_defaults_to_latest_sweep_of_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = demo_sweep(tmp_path, "sweeps/first")
    second = demo_sweep(tmp_path, "sweeps/second")
    monkeypatch.chdir(tmp_path)
    assert resolve_sweep_dir() == second.absolute()
    assert resolve_sweep_dir(first) == first
    summaries = sweep_summaries(tmp_path)
    assert [s.sweep_dir for s in summaries] == [second.absolute(), first.absolute()]  # newest first
    assert summaries[0].command == (
        "hydra-runner multirun app.py 'x=range(0,5)' lr=0.1,0.2 hydra.sweep.dir=sweeps/second"
    )
    assert summaries[0].counts == {Status.SUCCEEDED: 8, Status.FAILED: 2} and summaries[0].total == 10
    assert summaries[0].created is not None and summaries[0].created >= summaries[1].created  # type: ignore[operator]
    assert [s.sweep_dir for s in sweep_summaries(tmp_path, limit=1)] == [second.absolute()]


def test_resolve_without_any_sweep(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError) as info:
        resolve_sweep_dir()
    assert "no sweep recorded" in info.value.message
    assert info.value.fix is not None and "multirun" in info.value.fix and "SWEEP_DIR" in info.value.fix
    assert sweep_summaries(tmp_path) == []


def test_resolve_dir_without_journal(demo: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="has no sweep journal"):
        resolve_sweep_dir(tmp_path)
    with pytest.raises(UsageError) as info:
        resolve_sweep_dir(demo / "4")  # a job dir: the fix names its sweep
    assert info.value.fix == f"give the sweep dir {demo.absolute()}"
    with pytest.raises(UsageError, match="no directory"):
        resolve_sweep_dir(tmp_path / "missing")


def test_unreadable_journal_is_reported_not_fatal(tmp_path: Path) -> None:
    good = demo_sweep(tmp_path, "sweeps/good")
    broken = tmp_path / "sweeps" / "broken"
    broken.mkdir()
    (broken / "journal.sqlite").write_bytes(b"this is not sqlite" * 100)
    with open(tmp_path / ".hydra-runner" / "sweeps", "a") as index:
        index.write(f"{broken}\n")
    summaries = sweep_summaries(tmp_path)
    assert [s.sweep_dir for s in summaries] == [broken, good.absolute()]
    assert summaries[0].error and summaries[1].error is None


# -- overrides, values, unions (hand-filled journals) ---------------------------------------


def test_overrides_parsed_by_hydra_and_keys_united(tmp_path: Path) -> None:
    sweep = fill(tmp_path / "s", [
        (["opt='odd, name'", "+extra=[1,2]", "flag=true", "db@pkg=mysql", "lr=1e-3"], Status.SUCCEEDED, 1.5),
        (["opt=sgd", "~gone", "lr=0.1", "new=x"], Status.SUCCEEDED, "a string"),
        (["opt=adam"], Status.PENDING, None),
    ])
    report = load_results(sweep)
    assert report.params == ["opt", "extra", "flag", "db@pkg", "lr", "gone", "new"]
    first, second, third = report.rows
    assert first.params == {"opt": "odd, name", "extra": [1, 2], "flag": True, "db@pkg": "mysql", "lr": 0.001}
    assert first.param_text == {"opt": "odd, name", "extra": "[1,2]", "flag": "true", "db@pkg": "mysql", "lr": "0.001"}
    assert second.param_text["gone"] == "~" and "flag" not in second.params
    assert first.metrics == {"value": 1.5} and first.value_repr is None
    assert second.metrics == {} and second.value_repr == "'a string'"
    assert third.status is Status.PENDING and third.duration is None
    assert report.metrics == ["value"] and report.extra == ["returned"]
    # A key only some jobs have: the others sort last, whatever the direction.
    assert [row.num for row in report.sorted("new", descending=True).rows] == [1, 0, 2]
    assert [row.num for row in report.sorted("lr", descending=True).rows] == [1, 0, 2]


def test_running_job_of_a_dead_sweep_shows_as_interrupted(tmp_path: Path) -> None:
    sweep = fill(tmp_path / "s", [(["a=1"], Status.SUCCEEDED, 1.0), (["a=2"], Status.RUNNING, None)])
    runner = SweepJournal.open(sweep)
    runner.acquire()  # the lock a launcher holds while it runs the sweep
    try:
        live = load_results(sweep)
        assert live.live and live.rows[1].status is Status.RUNNING
        assert live.counts == {Status.SUCCEEDED: 1, Status.RUNNING: 1}
        assert sweep_summaries_of(sweep)[0].live
    finally:
        runner.close()  # the runner is gone: its job will never finish
    dead = load_results(sweep)
    assert not dead.live and dead.rows[1].status is Status.INTERRUPTED
    assert dead.counts == {Status.SUCCEEDED: 1, Status.INTERRUPTED: 1}
    summary = sweep_summaries_of(sweep)[0]
    assert not summary.live and summary.counts == {Status.SUCCEEDED: 1, Status.INTERRUPTED: 1}


def sweep_summaries_of(sweep: Path) -> list[SweepSummary]:
    root = sweep.parent
    register_sweep(root, sweep)
    return sweep_summaries(root)


def test_csv_export(demo: Path) -> None:
    out = io.StringIO()
    write_csv(load_results(demo).sorted("loss"), out)
    lines = list(csv.reader(io.StringIO(out.getvalue())))
    assert lines[0] == ["job", "x", "lr", "status", "duration", "loss", "acc", "error"]
    assert len(lines) == 11
    assert lines[1][:4] == ["4", "2", "0.1", "succeeded"] and lines[1][5] == "0.1"
    assert float(lines[1][6]) == pytest.approx(1 / 3)
    assert lines[-1][:4] == ["7", "3", "0.2", "failed"]
    assert lines[-1][5:] == ["", "", "ValueError: bad"]


def test_csv_cells_quote_commas(tmp_path: Path) -> None:
    sweep = fill(tmp_path / "s", [(["opt='a, b'"], Status.FAILED, None)])
    out = io.StringIO()
    write_csv(load_results(sweep), out)
    assert '"a, b"' in out.getvalue()  # quoted, so the comma stays inside the cell
    header, row = csv.reader(io.StringIO(out.getvalue()))
    assert header == ["job", "opt", "status", "duration", "error"]
    assert [row[0], row[1], row[2], row[4]] == ["0", "a, b", "failed", "KeyError: 'k'"]


def test_json_export(demo: Path) -> None:
    data = to_json(load_results(demo).sorted("loss", descending=True).head(2))
    assert data["counts"] == {"succeeded": 8, "failed": 2}
    assert data["sorted_by"] == "loss" and data["descending"] is True
    assert [job["job"] for job in data["jobs"]] == [1, 9]
    assert data["jobs"][0]["overrides"] == {"x": 0, "lr": 0.2}
    assert data["jobs"][0]["metrics"] == {"loss": 4.2, "acc": 1.0}
    assert data["command"][-3:] == ["x=range(0,5)", "lr=0.1,0.2", "hydra.sweep.dir=sweeps/demo"]
    out = io.StringIO()
    write_json(load_results(demo), out)
    assert json.loads(out.getvalue())["jobs"][6]["error"] == "ValueError: bad"


# -- plot -----------------------------------------------------------------------------------


def test_plot_writes_png(demo: Path, tmp_path: Path) -> None:
    path = plot(load_results(demo), "loss", tmp_path / "loss.png")
    assert path == tmp_path / "loss.png"
    assert path.read_bytes().startswith(PNG_SIGNATURE)


def test_plot_categorical_and_no_params(tmp_path: Path) -> None:
    sweep = fill(tmp_path / "s", [
        (["opt=adam", "lr=1e-4"], Status.SUCCEEDED, {"loss": 1.0}),
        (["opt=sgd", "lr=1e-1"], Status.SUCCEEDED, {"loss": 2.0}),
    ])
    assert plot(load_results(sweep), "loss", tmp_path / "a.png").read_bytes().startswith(PNG_SIGNATURE)
    bare = fill(tmp_path / "bare", [([], Status.SUCCEEDED, 3.0)])
    assert plot(load_results(bare), "value", tmp_path / "b.png").read_bytes().startswith(PNG_SIGNATURE)


def test_plot_unknown_metric(demo: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError) as info:
        plot(load_results(demo), "accuracy", tmp_path / "x.png")
    assert info.value.fix == "plot one of: loss, acc"
    assert not (tmp_path / "x.png").exists()


def test_plot_without_matplotlib_names_the_extra(demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # None in sys.modules makes the import fail as if matplotlib were not installed.
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(UsageError) as info:
        plot(load_results(demo), "loss", tmp_path / "x.png")
    assert info.value.fix == install_command("hydra-runner[plot]")


def test_short_command() -> None:
    assert short_command(["/venv/bin/python", "-m", "hydra_runner", "multirun", "a.py", "x=1,2"]) == (
        "hydra-runner multirun a.py x=1,2"
    )
    assert short_command(["/usr/bin/python3.11", "train.py", "-m", "lr=0.1,0.2"]) == "python train.py -m lr=0.1,0.2"
    assert short_command(["/venv/bin/hydra-runner", "multirun", "a.py", "x=a b"]) == (
        "hydra-runner multirun a.py 'x=a b'"
    )
    long = short_command(["python", "-m", "hydra_runner", "multirun", "a.py", "x=" + "1," * 50 + "1"], width=30)
    assert len(long) == 30 and long.endswith("…")
