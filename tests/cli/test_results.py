"""``hydra-runner results`` and ``hydra-runner sweeps`` on real sweeps: the click commands, and
``run_guarded`` for the exit code and message a user sees."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from hydra_runner.cli._errors import run_guarded
from hydra_runner.cli.results import results_command, sweeps_command
from tests.journal.test_tables import BY_LOSS, BY_LOSS_DESC, PNG_SIGNATURE, demo_sweep

WIDE = {"COLUMNS": "200"}  # rich cuts cells to the terminal's width; the tests read whole rows


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("project")
    demo_sweep(root, "sweeps/demo")
    return root


@pytest.fixture
def in_project(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(project)
    return project


def invoke(command: object, *args: str) -> Result:
    result = CliRunner().invoke(command, list(args), env=WIDE, catch_exceptions=False)  # type: ignore[arg-type]
    assert result.exit_code == 0, result.output
    return result


def job_numbers(output: str) -> list[int]:
    """The job column of a printed table (rows start with the job number; the counts line says "jobs")."""
    rows = [line.split() for line in output.splitlines() if "jobs" not in line]
    return [int(cells[0]) for cells in rows if cells and cells[0].isdigit()]


def test_results_of_latest_sweep(in_project: Path) -> None:
    out = invoke(results_command).stdout
    lines = out.splitlines()
    assert lines[0].startswith("sweeps/demo  ")
    assert lines[1] == "hydra-runner multirun app.py 'x=range(0,5)' lr=0.1,0.2 hydra.sweep.dir=sweeps/demo"
    assert lines[2].split() == ["job", "x", "lr", "status", "duration", "loss", "acc", "error"]
    assert job_numbers(out) == list(range(10))
    row4 = next(line for line in lines if line.split()[:1] == ["4"]).split()
    assert row4[:4] == ["4", "2", "0.1", "succeeded"] and row4[5:] == ["0.1", "0.333333"]
    row6 = next(line for line in lines if line.split()[:1] == ["6"])
    assert "failed" in row6 and row6.rstrip().endswith("ValueError: bad")
    assert lines[-1] == "10 jobs: 8 succeeded, 2 failed"


def test_results_sorted_and_limited(in_project: Path) -> None:
    assert job_numbers(invoke(results_command, "--sort", "loss").stdout) == BY_LOSS
    out = invoke(results_command, "sweeps/demo", "--sort", "loss", "--desc", "-n", "3").stdout
    assert job_numbers(out) == BY_LOSS_DESC[:3]
    assert "loss ↓" in out
    assert out.splitlines()[-1] == "showing 3 of 10 jobs: 8 succeeded, 2 failed"


def test_results_csv_to_stdout_replaces_the_table(in_project: Path) -> None:
    out = invoke(results_command, "--sort", "loss", "--csv").stdout
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["job", "x", "lr", "status", "duration", "loss", "acc", "error"]
    assert [int(row[0]) for row in rows[1:]] == BY_LOSS


def test_results_csv_and_json_files(in_project: Path, tmp_path: Path) -> None:
    result = invoke(results_command, "--csv", str(tmp_path / "r.csv"), "--json", str(tmp_path / "r.json"), "-n", "2")
    assert result.stdout.splitlines()[-1] == "showing 2 of 10 jobs: 8 succeeded, 2 failed"  # the table is still printed
    assert f"wrote {tmp_path / 'r.csv'}" in result.stderr
    rows = list(csv.reader(open(tmp_path / "r.csv", newline="")))
    assert [row[:3] for row in rows] == [["job", "x", "lr"], ["0", "0", "0.1"], ["1", "0", "0.2"]]
    data = json.loads((tmp_path / "r.json").read_text())
    assert [job["overrides"] for job in data["jobs"]] == [{"x": 0, "lr": 0.1}, {"x": 0, "lr": 0.2}]


def test_results_json_to_stdout(in_project: Path) -> None:
    data = json.loads(invoke(results_command, "--json", "-", "--sort", "acc").stdout)
    assert [job["job"] for job in data["jobs"]][:2] == [8, 9] and data["counts"]["failed"] == 2


def test_results_plot_default_path_and_output(in_project: Path, tmp_path: Path) -> None:
    default = in_project / "sweeps" / "demo" / "loss.png"
    default.unlink(missing_ok=True)
    result = invoke(results_command, "--plot", "loss")
    assert default.read_bytes().startswith(PNG_SIGNATURE)
    assert f"wrote {default.absolute()}" in result.stderr
    invoke(results_command, "--plot", "acc", "-o", str(tmp_path / "acc.png"))
    assert (tmp_path / "acc.png").read_bytes().startswith(PNG_SIGNATURE)
    assert not (in_project / "sweeps" / "demo" / "acc.png").exists()


@pytest.mark.parametrize(
    ("args", "message", "fix"),
    [
        (["--sort", "los"], "no metric or column 'los'", "sort by one of: loss, acc, x, lr"),
        (["--plot", "los"], "no metric 'los'", "plot one of: loss, acc"),
        (["sweeps"], "has no sweep journal", "`hydra-runner sweeps` lists them"),
        (["sweeps/demo/4"], "has no sweep journal", "give the sweep dir"),
        (["--csv", "-", "--json", "-"], "cannot both write to stdout", "give one of them a PATH"),
        (["--output", "x.png"], "--output is where --plot writes", "add --plot [METRIC]"),
    ],
)
def test_results_usage_errors_exit_2(
    in_project: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str, fix: str
) -> None:
    assert run_guarded(results_command, args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err.splitlines()[0]
    assert "fix: " in err and fix in err and "Traceback" not in err


def test_results_without_any_sweep(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert run_guarded(results_command, []) == 2
    err = capsys.readouterr().err
    assert "no sweep recorded" in err and "run a multirun first" in err


def test_sweeps_lists_newest_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    demo_sweep(tmp_path, "sweeps/one")
    demo_sweep(tmp_path, "sweeps/two")
    monkeypatch.chdir(tmp_path)
    lines = invoke(sweeps_command).stdout.splitlines()
    assert lines[0].split() == ["sweep", "dir", "/", "command", "created", "jobs", "status"]
    assert lines[1].split()[0] == "sweeps/two" and lines[1].split()[-5:] == ["10", "8", "succeeded,", "2", "failed"]
    assert lines[2].strip() == "hydra-runner multirun app.py 'x=range(0,5)' lr=0.1,0.2 hydra.sweep.dir=sweeps/two"
    assert lines[3].split()[0] == "sweeps/one"
    assert len(lines) == 5
    limited = invoke(sweeps_command, "-n", "1").stdout
    assert "sweeps/two" in limited and "sweeps/one" not in limited


def test_sweeps_when_there_are_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert "no sweeps started from this directory yet" in invoke(sweeps_command).stdout


def test_importing_the_commands_loads_neither_rich_nor_the_journal() -> None:
    # `hydra-runner --help` imports this module: it must stay as light as click.
    code = (
        "import sys, hydra_runner.cli.results\n"
        "print([m for m in ('rich', 'hydra', 'matplotlib', 'hydra_runner.journal') if m in sys.modules])"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "[]", proc.stderr


def test_results_through_the_hydra_runner_command(in_project: Path) -> None:
    from hydra_runner.cli import cli

    if "results" not in cli.commands:
        pytest.skip("results is not registered in hydra_runner.cli yet")
    proc = subprocess.run(
        [sys.executable, "-m", "hydra_runner", "results", "--sort", "loss", "-n", "2"],
        cwd=in_project, capture_output=True, text=True, timeout=60,
        env={**os.environ, **WIDE, "HYDRA_RUNNER_IN_PROJECT_VENV": ""},
    )
    assert proc.returncode == 0, proc.stderr
    assert job_numbers(proc.stdout) == BY_LOSS[:2]
    bad = subprocess.run([sys.executable, "-m", "hydra_runner", "results", "--sort", "los"],
                         cwd=in_project, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "fix: sort by one of: loss" in bad.stderr
