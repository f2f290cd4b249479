"""Printing what the run/multirun commands show without running anything."""

from __future__ import annotations

from typing import Any

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


def print_job_preview(jobs: list[list[str]]) -> None:
    click.echo(f"{len(jobs)} job{'s' if len(jobs) != 1 else ''} would run:")
    shown = list(enumerate(jobs))
    if len(jobs) > 2 * PREVIEW_EDGE:
        shown = shown[:PREVIEW_EDGE] + [(-1, [])] + shown[-PREVIEW_EDGE:]
    for num, overrides in shown:
        if num < 0:
            click.echo(f"  ... {len(jobs) - 2 * PREVIEW_EDGE} more ...")
        else:
            click.echo(f"  #{num} : {' '.join(overrides)}")
