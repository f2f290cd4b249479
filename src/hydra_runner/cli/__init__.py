"""The ``hydra-runner`` command: a thin layer over :mod:`hydra_runner.api`.

Only click is imported at start-up; each command imports what it needs when it runs.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Optional

import click

from hydra_runner import __version__
from hydra_runner.cli._errors import run_guarded
from hydra_runner.cli._exit import ExitPlan
from hydra_runner.cli._surroundings import Surroundings
from hydra_runner.cli.cancel import cancel_command
from hydra_runner.cli.completion import (
    COMPLETE_VAR,
    complete_from_environment,
    completion_command,
)
from hydra_runner.cli.diff import diff_command
from hydra_runner.cli.doctor import doctor_command
from hydra_runner.cli.named import (
    commands_command,
    format_named_commands,
    named_command,
    named_command_names,
)
from hydra_runner.cli.new import new_group
from hydra_runner.cli.rerun import rerun_command
from hydra_runner.cli.results import results_command, sweeps_command
from hydra_runner.cli.resume import resume_command
from hydra_runner.cli.run import multirun_command, run_command
from hydra_runner.cli.status import status_command
from hydra_runner.cli.sync import sync_command

__all__ = ["cli", "main"]

EPILOG = """\b
Examples:
  hydra-runner run src.train                      run the @hydra.main in src/train.py
  hydra-runner run src.train +experiment=large    with Hydra overrides
  hydra-runner run src/train.py --cfg job         print the composed config
  hydra-runner multirun src.train lr=0.1,0.01 model=a,b
  hydra-runner multirun src.train lr=0.1,0.01 --dry-run
  hydra-runner multirun src.train 'seed=range(8)' -j 4    4 jobs at a time
  hydra-runner resume                             finish the latest sweep
  hydra-runner multirun src.train lr=0.1,0.01 --mlflow    track it in MLflow
  hydra-runner run pkg.tasks:fit --config-path conf --config-name train
"""


class _Group(click.Group):
    def get_command(self, ctx: click.Context, cmd_name: str) -> Optional[click.Command]:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name and not cmd_name.startswith("-"):
            # Only a name that is not built in costs a look at pyproject.toml.
            command = named_command(cmd_name, self.commands)
        return command

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        # Unknown commands are never guessed: list what exists instead.
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            known = ", ".join(sorted(self.list_commands(ctx)))
            named = ", ".join(named_command_names(self.commands))
            named = f" Named commands (pyproject.toml): {named}." if named else ""
            raise click.UsageError(f"no command '{name}'. Commands: {known}.{named} See hydra-runner --help.")
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_commands(ctx, formatter)
        format_named_commands(formatter, self.commands)


@click.group(cls=_Group, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hydra-runner")
def cli() -> None:
    """Run, sweep and inspect Hydra apps: same configs, overrides and outputs, less waiting."""


cli.add_command(run_command)
cli.add_command(multirun_command)
cli.add_command(resume_command)
cli.add_command(results_command)
cli.add_command(sweeps_command)
cli.add_command(sync_command)
cli.add_command(status_command)
cli.add_command(diff_command)
cli.add_command(rerun_command)
cli.add_command(cancel_command)
cli.add_command(doctor_command)
cli.add_command(commands_command)
cli.add_command(completion_command)
cli.add_command(new_group)


def main(argv: Optional[list[str]] = None) -> None:
    """Entry point of the ``hydra-runner`` console script."""
    if os.environ.get(COMPLETE_VAR):
        sys.exit(complete_from_environment(cli, os.environ[COMPLETE_VAR]))
    plan = ExitPlan()
    surroundings = Surroundings(plan)
    if argv is None:  # the process is this command's alone
        plan.install()
        surroundings.install()
    args = sys.argv[1:] if argv is None else argv
    plan.exit(surroundings.exit_code(run_guarded(cli, args, obj=plan)))
