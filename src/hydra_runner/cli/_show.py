"""Printing what the run/multirun commands show without running anything."""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

import click

__all__ = ["print_job_preview", "print_location"]

PREVIEW_EDGE = 5


def print_location(app: Any) -> None:
    loc = app.location
    click.echo("Config directory")
    click.echo(f"  declared : {loc.declared}")
    click.echo(f"  used     : {loc.search_dir}")
    click.echo(f"  why      : {loc.reason}")
    click.echo("")


def print_job_preview(jobs: Sequence[Sequence[str]],
                      request: Optional[Callable[[Sequence[str]], str]] = None) -> None:
    """The count of jobs and their overrides; of a long list, its first and last few.

    ``request``: what a shown job would ask of its launcher (Slurm: its sbatch parameters).
    """
    total = len(jobs)
    click.echo(f"{total} job{'s' if total != 1 else ''} would run:")
    shown = range(total) if total <= 2 * PREVIEW_EDGE else [*range(PREVIEW_EDGE), -1, *range(total - PREVIEW_EDGE, total)]
    for num in shown:
        if num < 0:
            click.echo(f"  ... {total - 2 * PREVIEW_EDGE} more ...")
        else:
            click.echo(f"  #{num} : {' '.join(jobs[num])}" + (f"  ({request(jobs[num])})" if request else ""))
