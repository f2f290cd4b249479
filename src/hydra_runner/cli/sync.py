"""``hydra-runner sync``."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import click

__all__ = ["sync_command"]


@click.command("sync")
@click.argument("sweep_dir", required=False, type=click.Path(path_type=Path))
@click.option("--mlflow-uri", metavar="URI", help="Tracking URI (default: the sweep's, else MLFLOW_TRACKING_URI, "
                                                  "else sqlite:///mlflow.db at the project root).")
@click.option("--mlflow-experiment", metavar="NAME", help="Experiment (default: the sweep's, else the task's name).")
def sync_command(sweep_dir: Optional[Path], mlflow_uri: Optional[str], mlflow_experiment: Optional[str]) -> int:
    """Log to MLflow the jobs of a sweep (default: the latest) that are not logged yet.

    For a sweep whose tracking store was unreachable: its results are in the sweep journal.
    Jobs that already have a run are left alone, so running it twice logs nothing twice.
    """
    from hydra_runner.journal.index import resolve_sweep_dir
    from hydra_runner.tracking.sync import sync_sweep

    report = sync_sweep(resolve_sweep_dir(sweep_dir), tracking_uri=mlflow_uri, experiment=mlflow_experiment)
    click.echo(f"logged {report.logged} job(s) to experiment '{report.experiment}' at {report.tracking_uri}"
               f" ({report.already_there} already there)", err=True)
    return 0
