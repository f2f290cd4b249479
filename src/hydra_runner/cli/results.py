"""``hydra-runner results`` and ``hydra-runner sweeps``: a sweep's jobs, a project's sweeps.

The logic is :mod:`hydra_runner.journal.tables`; this module parses options and prints.
Only click is imported at start-up: rich and the journal are imported when a command runs.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any, Optional

import click

__all__ = ["STATUS_STYLE", "relative", "results_command", "sweeps_command"]

STATUS_STYLE = {
    "succeeded": "green",
    "failed": "red",
    "crashed": "red",
    "timeout": "red",
    "running": "cyan",
    "submitted": "cyan",
    "pending": "dim",
    "pruned": "yellow",
    "interrupted": "yellow",
}


@click.command("results")
@click.argument("sweep_dir", required=False, type=click.Path(path_type=Path))
@click.option("--sort", metavar="METRIC",
              help="Order jobs by a metric or a column (job, status, duration, a swept key).")
@click.option("--desc", is_flag=True, help="Largest first.")
@click.option("--csv", "csv_path", metavar="PATH|-", is_flag=False, flag_value="-",
              help="Write the rows as CSV to PATH (- or no value: stdout, instead of the table).")
@click.option("--json", "json_path", metavar="PATH|-", is_flag=False, flag_value="-",
              help="Write the rows as JSON to PATH (- or no value: stdout, instead of the table).")
@click.option("--plot", "plot_metric", metavar="[METRIC]", is_flag=False, flag_value="",
              help="Write a PNG of METRIC (default: the returned value) against each swept parameter; "
                   "for an Optuna sweep also its optimisation history and param importances "
                   "(needs hydra-runner[plot]).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Where --plot writes (default: SWEEP_DIR/METRIC.png).")
@click.option("--limit", "-n", type=click.IntRange(min=0), metavar="N",
              help="Show only the first N jobs (after sorting).")
def results_command(
    sweep_dir: Optional[Path],
    sort: Optional[str],
    desc: bool,
    csv_path: Optional[str],
    json_path: Optional[str],
    plot_metric: Optional[str],
    output: Optional[Path],
    limit: Optional[int],
) -> int:
    """Show the jobs of a sweep: swept values, status, duration and metrics.

    SWEEP_DIR defaults to the latest sweep started from this directory. Put it before
    --csv/--json when those have no PATH.

    \b
      hydra-runner results --sort loss -n 5
      hydra-runner results multirun/2024-05-01/10-00-00 --csv results.csv
      hydra-runner results --plot loss
      hydra-runner results SWEEP_DIR --plot   (an Optuna sweep: also history and importances)
    """
    from hydra_runner.errors import UsageError
    from hydra_runner.journal.index import resolve_sweep_dir
    from hydra_runner.journal.tables import load_results, plot, write_csv, write_json
    from hydra_runner.launchers.detached import collect_detached

    if csv_path == "-" and json_path == "-":
        raise UsageError("--csv and --json cannot both write to stdout", fix="give one of them a PATH")
    if output is not None and plot_metric is None:
        raise UsageError("--output is where --plot writes", fix="add --plot [METRIC]")
    for path in (csv_path, json_path):
        if path not in (None, "-"):
            _check_writable(Path(path))  # before the plot or anything else is written
    directory = resolve_sweep_dir(sweep_dir)
    collect_detached(directory)  # jobs a cluster ran (--no-wait): their outcomes into the journal first
    report = load_results(directory)
    if sort is not None or desc:
        report = report.sorted(sort or "job", descending=desc)
    if plot_metric is not None:
        metric = plot_metric or ("value" if "value" in report.metrics or not report.metrics else report.metrics[0])
        # All jobs, whatever --limit shows: a plot of the top N would hide the trend.
        target = output or report.sweep_dir / f"{_file_name(metric)}.png"
        click.echo(f"wrote {plot(report, metric, target)}", err=True)
        _plot_study(report.sweep_dir, target.parent)
    shown = report.head(limit)
    for path, write in ((csv_path, write_csv), (json_path, write_json)):
        if path == "-":
            write(shown, sys.stdout)
        elif path is not None:
            with open(path, "w", encoding="utf-8", newline="") as file:  # newline="": csv writes \r\n itself
                write(shown, file)
            click.echo(f"wrote {path}", err=True)
    if "-" not in (csv_path, json_path):
        _print_report(shown, total=len(report.rows))
    return 0


@click.command("sweeps")
@click.option("--limit", "-n", type=click.IntRange(min=1), default=20, show_default=True, metavar="N",
              help="Show the N most recent sweeps.")
def sweeps_command(limit: int) -> int:
    """List the project's sweeps, newest first (the project: the nearest directory up with any)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from hydra_runner.journal.index import find_project_root
    from hydra_runner.journal.tables import sweep_summaries

    summaries = sweep_summaries(find_project_root(), limit=limit)
    if not summaries:
        click.echo("no sweeps started from this directory yet (hydra-runner multirun TARGET a=1,2 starts one)")
        return 0
    dir_width = max(len(str(relative(summary.sweep_dir))) for summary in summaries)
    table = Table(box=None, pad_edge=False, header_style="bold")
    # The command goes under its sweep dir, cut to fit: an 80-column terminal still shows
    # every sweep's dir, time and counts whole (a fifth column would be squeezed to nothing).
    table.add_column("sweep dir / command", min_width=dir_width)
    table.add_column("created", no_wrap=True)
    table.add_column("jobs", justify="right", no_wrap=True)
    table.add_column("status", no_wrap=True)
    for summary in summaries:
        cell = Text(f"{relative(summary.sweep_dir)}\n", no_wrap=True, overflow="ellipsis")
        cell.append(summary.command, style="dim")
        status = _counts_text(summary.counts) if summary.error is None else Text(
            f"unreadable: {summary.error}", style="red")
        if summary.live:
            status = Text("running now: ", style="cyan").append_text(status)
        table.add_row(cell, _when(summary.created), str(summary.total), status)
    Console().print(table)
    return 0


def _plot_study(sweep_dir: Path, out_dir: Path) -> None:
    from hydra_runner.sweepers.optuna_plots import load_sweep_study, plot_study

    study = load_sweep_study(sweep_dir)
    if study is not None:
        for path in plot_study(study, out_dir):
            click.echo(f"wrote {path}", err=True)


def _print_report(report: Any, *, total: int) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from hydra_runner.journal.tables import short_command

    console = Console()
    header = Text(str(relative(report.sweep_dir)), style="bold")
    header.append(f"  {_when(report.meta.get('created'))}", style="dim")
    if report.meta.get("git_commit"):
        header.append(f"  commit {str(report.meta['git_commit'])[:10]}", style="dim")
        if report.meta.get("git_dirty"):
            header.append(" dirty", style="yellow")
    if report.live:
        header.append("  running now", style="cyan")
    console.print(header)
    if report.meta.get("command"):
        console.print(Text(short_command(report.meta["command"], width=200), style="dim"),
                      no_wrap=True, overflow="ellipsis")
    table = Table(box=None, pad_edge=False, header_style="bold")
    numeric = _numeric_columns(report)
    for i, name in enumerate(report.columns):
        arrow = (" ↓" if report.descending else " ↑") if name == report.sorted_by else ""
        wide = name in ("returned", "error")
        table.add_column(name + arrow, justify="right" if i in numeric else "left",
                         no_wrap=wide, overflow="ellipsis", max_width=50 if wide else None)
    for row in report.rows:
        table.add_row(*(_cell(name, value) for name, value in zip(report.columns, report.cells(row))))
    console.print(table)
    shown = f"showing {len(report.rows)} of {total} jobs: " if len(report.rows) < total else f"{total} jobs: "
    console.print(Text(shown).append_text(_counts_text(report.counts)))


def _numeric_columns(report: Any) -> set[int]:
    """Indexes of columns to right-align: job, duration, metrics, and swept keys whose values are numbers."""
    numeric = {0, 2 + len(report.params)}
    numeric |= {3 + len(report.params) + i for i in range(len(report.metrics))}
    for i, key in enumerate(report.params, start=1):
        values = [row.params[key] for row in report.rows if key in row.params]
        if values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            numeric.add(i)
    return numeric


def _cell(column: str, value: Any) -> Any:
    from rich.text import Text

    if value is None:
        return ""
    if column == "status":
        return Text(value.value, style=STATUS_STYLE.get(value.value, ""))
    if column == "duration":
        return _duration(value)
    if isinstance(value, float):
        return f"{value:.6g}"
    return Text(str(value))  # Text, not a str: rich would read "[1,2]" in a value as markup


def _counts_text(counts: dict[Any, int]) -> Any:
    from rich.text import Text

    text = Text()
    for i, (status, n) in enumerate(counts.items()):
        text.append(", " if i else "")
        text.append(f"{n} {status.value}", style=STATUS_STYLE.get(status.value, ""))
    return text


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.2f}s"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes < 60 else f"{minutes // 60}h{minutes % 60:02d}m"


def _when(created: Optional[float]) -> str:
    return "" if created is None else time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(created))


def relative(path: Path) -> Path:
    try:
        return path.absolute().relative_to(Path.cwd())
    except ValueError:
        return path


def _check_writable(path: Path) -> None:
    """Refuse a --csv/--json PATH that cannot be written, as an OSError from opening it would say."""
    import errno

    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    parent = path.parent
    if not parent.is_dir():
        code = errno.ENOTDIR if any(p.is_file() for p in (parent, *parent.parents)) else errno.ENOENT
        raise OSError(code, os.strerror(code), str(path))


def _file_name(metric: str) -> str:
    # Metric keys like "val/loss" must not become directories.
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in metric)
