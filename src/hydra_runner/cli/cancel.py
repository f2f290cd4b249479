"""``hydra-runner cancel``: stop a sweep's jobs on Slurm, from any shell."""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["cancel_command"]


@click.command("cancel")
@click.argument("args", nargs=-1, metavar="[SWEEP_DIR] [JOB]...")
def cancel_command(args: tuple[str, ...]) -> int:
    """Cancel the Slurm jobs of a sweep (default: the latest sweep), all or the JOB numbers given.

    Jobs of a sweep submitted with --no-wait are recorded as interrupted; hydra-runner resume
    runs them again. A sweep that is waiting for its jobs sees them cancelled and goes on.

    \b
      hydra-runner cancel                          every job of the latest sweep still on Slurm
      hydra-runner cancel multirun/2024-05-01/10-00-00 3 7
    """
    from hydra_runner.cli.results import relative
    from hydra_runner.errors import UsageError
    from hydra_runner.journal.index import resolve_sweep_dir
    from hydra_runner.launchers.slurm.collect import cancel

    given = list(args)
    sweep_dir = None if not given or given[0].isdigit() else Path(given.pop(0))
    bad = [arg for arg in given if not arg.isdigit()]
    if bad:
        raise UsageError(f"'{bad[0]}' is not a job number", fix="give the sweep dir first, then job numbers: "
                         "hydra-runner cancel SWEEP_DIR 3 7")
    directory = resolve_sweep_dir(sweep_dir)
    cancelled = cancel(directory, [int(arg) for arg in given])
    if cancelled:
        click.echo(f"cancelled {len(cancelled)} job{'' if len(cancelled) == 1 else 's'} of {relative(directory)}: "
                   + ", ".join(f"#{num}" for num in cancelled))
    else:
        click.echo(f"no job of {relative(directory)} is on Slurm any more")
    return 0
