"""``hydra-runner resume``."""

from __future__ import annotations

from typing import Optional

import click

__all__ = ["resume_command"]


@click.command("resume")
@click.argument("sweep_dir", required=False)
def resume_command(sweep_dir: Optional[str]) -> int:
    """Run the jobs of a sweep that did not succeed or never started (default: the latest sweep).

    Jobs keep their numbers, directories and overrides; jobs that succeeded are not run again.
    """
    from hydra_runner.api import resume_sweep

    return resume_sweep(sweep_dir)
