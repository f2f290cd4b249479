"""``hydra-runner status``: where the jobs of a sweep submitted with ``--no-wait`` stand."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import click

__all__ = ["status_command"]


@click.command("status")
@click.argument("sweep_dir", required=False, type=click.Path(path_type=Path))
def status_command(sweep_dir: Optional[Path]) -> int:
    """Ask Ray or Slurm about a sweep's submitted jobs (default: the latest sweep).

    Jobs that have ended are written into the sweep's journal, for hydra-runner results.
    """
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from hydra_runner.cli.results import STATUS_STYLE, relative
    from hydra_runner.errors import UsageError
    from hydra_runner.journal import SweepJournal
    from hydra_runner.journal.index import resolve_sweep_dir
    from hydra_runner.launchers.ray.jobs import ADDRESS_KEY, collect

    directory = resolve_sweep_dir(sweep_dir)
    from hydra_runner.cli.slurm_status import print_slurm_status
    from hydra_runner.launchers.slurm.collect import collect as collect_slurm

    slurm_states = collect_slurm(directory)
    if slurm_states is not None:
        return print_slurm_status(directory, slurm_states)
    states = collect(directory)
    if states is None:
        raise UsageError(f"{relative(directory)} was not submitted with --no-wait: its jobs ran here",
                         fix=f"hydra-runner results {relative(directory)}")
    with SweepJournal.open(directory) as journal:
        address = journal.meta.get(ADDRESS_KEY)
    console = Console()
    console.print(Text(f"{relative(directory)}", style="bold").append(f"  Ray: {address}", style="dim"))
    table = Table(box=None, pad_edge=False, header_style="bold")
    id_width = max((len(state.ray_job) for state in states), default=7)
    for name in ("job", "overrides", "ray job", "ray status", "status", "message"):
        # The Ray job id stays whole (it is what `ray job logs` takes); the rest may be cut.
        table.add_column(name, no_wrap=True, overflow="ellipsis", max_width=60 if name == "message" else None,
                         min_width=id_width if name == "ray job" else None)
    for state in states:
        table.add_row(str(state.num), Text(" ".join(state.overrides)), state.ray_job, state.ray_status,
                      Text(state.status.value, style=STATUS_STYLE.get(state.status.value, "")),
                      Text(state.message or ""))
    console.print(table)
    waiting = sum(1 for state in states if state.status.value == "submitted" and state.ray_status != "gone")
    gone = sum(1 for state in states if state.status.value == "submitted" and state.ray_status == "gone")
    unknown = f", {gone} unknown to the cluster (restarted?)" if gone else ""
    ended = len(states) - waiting - gone
    console.print(f"{len(states)} jobs: {ended} ended, {waiting} still on the cluster{unknown}")
    return 0
