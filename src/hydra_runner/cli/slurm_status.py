"""``hydra-runner status`` for a sweep left to Slurm (``--launcher slurm --no-wait``)."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from hydra_runner.launchers.slurm.collect import SlurmJobState

__all__ = ["print_slurm_status"]


def print_slurm_status(directory: Path, states: Sequence[SlurmJobState]) -> int:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from hydra_runner.cli.results import STATUS_STYLE, relative

    console = Console()
    console.print(Text(f"{relative(directory)}", style="bold").append("  Slurm", style="dim"))
    table = Table(box=None, pad_edge=False, header_style="bold")
    for name in ("job", "overrides", "slurm job", "slurm state", "node", "status", "message"):
        table.add_column(name, no_wrap=True, overflow="ellipsis", max_width=60 if name == "message" else None)
    for state in states:
        table.add_row(str(state.num), Text(" ".join(state.overrides)), state.slurm_id, state.slurm_state,
                      state.node or "", Text(state.status.value, style=STATUS_STYLE.get(state.status.value, "")),
                      Text(state.message or ""))
    console.print(table)
    waiting = sum(1 for state in states if state.status.value == "submitted")
    console.print(f"{len(states)} jobs: {len(states) - waiting} ended, {waiting} still on Slurm")
    return 0
