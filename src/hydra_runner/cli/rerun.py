"""``hydra-runner rerun JOB [OVERRIDES]``: a job run again from its record. The logic is :mod:`hydra_runner.repro.rerun`."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from typing import Any

import click

__all__ = ["rerun_command"]

# The options of the recorded command that say what ran (launcher and tracker flags do not apply to one job).
_KEPT = ("config_path", "config_name", "config_dir", "version_base")


@click.command("rerun", context_settings={"ignore_unknown_options": True})
@click.argument("job")
@click.argument("overrides", nargs=-1)
def rerun_command(job: str, overrides: tuple[str, ...]) -> int:
    """Run JOB again: the same target and config, its overrides plus OVERRIDES, a new output dir.

    JOB is a job dir (outputs/DATE/TIME, multirun/DATE/TIME/N) or SWEEP_DIR#N. It runs from
    the directory the job ran from, on the code there now: when that differs from the
    code the job ran (its commit or its code.patch), a warning says how.

    \b
      hydra-runner rerun outputs/2024-05-01/10-00-00
      hydra-runner rerun multirun/2024-05-01/10-00-00#3 lr=0.5
    """
    from hydra_runner.cli.run import _check_overrides, multirun_command, run_command
    from hydra_runner.repro.rerun import plan_rerun

    _check_overrides(overrides)
    plan = plan_rerun(job, overrides)
    recorded = multirun_command if plan.command[0] == "multirun" else run_command
    parsed = recorded.make_context(plan.command[0], plan.command[1:], resilient_parsing=True).params
    options = {key: parsed.get(key) for key in _KEPT}
    shown = [f"--{key.replace('_', '-')}={value}" for key, value in options.items() if value is not None]
    click.echo(f"rerunning {plan.job.name}: hydra-runner run "
               f"{shlex.join([parsed['target'], *shown, *plan.overrides])}", err=True)
    if plan.code_changed is not None:
        _warn(plan)
    # A command of its own, as resume runs one: the new run records `run ...`, which reruns it in turn.
    python = plan.python if os.path.exists(plan.python) else sys.executable
    return subprocess.call([python, "-m", "hydra_runner", "run", parsed["target"], *shown, *plan.overrides],
                           cwd=plan.cwd)


def _warn(plan: Any) -> None:
    from hydra_runner.cli.diff import code_lines
    from hydra_runner.journal.meta import diff_stat

    click.echo(f"warning: the code changed since {plan.job.name} ran (a is then, b is now):", err=True)
    for line in code_lines(plan.code_changed):
        click.echo(line, err=True)
    if plan.job.code.patch is not None:
        click.echo(f"  the job's uncommitted changes: {plan.job.patch_path}", err=True)
    then = plan.job.code.commit
    stat = diff_stat(str(plan.cwd), then) if then else None
    if stat:
        click.echo(f"  the work tree against {then[:10]}:", err=True)
        for line in stat.splitlines():
            click.echo(f"  {line}", err=True)
