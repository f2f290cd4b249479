"""``hydra-runner new experiment|exp|env``: lay out Hydra experiments (see :mod:`hydra_runner.scaffold`)."""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import Optional

import click

__all__ = ["new_group"]

_root_option = click.option(
    "--root", type=click.Path(file_okay=False, path_type=Path),
    help="Project directory holding experiments/ (default: the current directory).",
)
_verbose_option = click.option("-v", "--verbose", is_flag=True, help="Show full tracebacks.")
_no_venv_option = click.option("--no-venv", is_flag=True, help="Do not switch to the project's .venv interpreter.")

EPILOG = """\b
Examples:
  hydra-runner new experiment baseline                    experiments/001-baseline/
  hydra-runner new experiment larger-model --from 001     002-larger-model, copied from 001
  hydra-runner new exp 002 learning_rate=1e-5             experiments/002-larger-model/exp/002.yaml
  hydra-runner new env 002 local base_model=Qwen/Qwen3-4B-Instruct-2507
"""


def _shown(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive
        return str(path.resolve())


def _report(created: list[Path], *next_commands: str) -> None:
    for path in created:
        click.echo(f"created {_shown(path)}{'/' if path.is_dir() else ''}")
    click.echo("next:")
    for command in next_commands:
        click.echo(f"  {command}")


def _run_command(directory: Path, *overrides: str) -> str:
    return shlex.join(["hydra-runner", "run", _shown(directory), *overrides])


def _first_exp(directory: Path) -> list[str]:
    from hydra_runner.scaffold.numbering import numbered_files

    files = numbered_files(directory / "exp")
    return [f"exp={files[min(files)].stem}"] if files else []


@click.group("new", epilog=EPILOG)
def new_group() -> None:
    """Create experiments/NNN-name/ directories and the yaml diffs in their exp/ and env/."""


@new_group.command("experiment")
@click.argument("name")
@click.option("--from", "source", metavar="EXPERIMENT",
              help="Start from this experiment's files (001, 001-baseline or a path), its name replaced.")
@_root_option
@_verbose_option
def experiment_command(name: str, source: Optional[str], root: Optional[Path], verbose: bool) -> int:
    """Create experiments/NNN-NAME/ with the next free number (or NAME's own: 002-larger-model).

    It holds config.yaml (defaults list, Hydra settings), train.py (ExpConfig and EnvConfig
    dataclasses, the @hydra.main) and exp/001.yaml; with --from, the files of an earlier
    experiment instead (not its outputs). Nothing that exists is replaced.
    """
    from hydra_runner.scaffold import new_experiment

    created = new_experiment(name, source=source, root=root)
    directory = created[0]
    exp = _first_exp(directory)
    _report(created, _run_command(directory, "--cfg", "job", *exp), _run_command(directory, *exp))
    return 0


@new_group.command("exp")
@click.argument("experiment")
@click.argument("assignments", nargs=-1, metavar="[KEY=VALUE]...")
@click.option("--name", "label", metavar="TEXT", help="The parameter set's name after its number (NNN-TEXT).")
@_root_option
@_no_venv_option
@_verbose_option
def exp_command(experiment: str, assignments: tuple[str, ...], label: Optional[str], root: Optional[Path],
                no_venv: bool, verbose: bool) -> int:
    """Add the next parameter set exp/NNN.yaml to EXPERIMENT (002, larger-model or a path).

    KEY=VALUE are checked against the experiment's ExpConfig dataclass before anything is written.
    """
    from hydra_runner.cli._venv import reexec_in_project_venv

    if not no_venv:
        reexec_in_project_venv(root)
    from hydra_runner.scaffold import new_exp

    created = new_exp(experiment, assignments, name=label, root=root)
    directory, overrides = created[0].parent.parent, [f"exp={created[0].stem}"]
    _report(created, _run_command(directory, "--cfg", "job", *overrides), _run_command(directory, *overrides))
    return 0


@new_group.command("env")
@click.argument("experiment")
@click.argument("env_name", metavar="NAME")
@click.argument("assignments", nargs=-1, metavar="[KEY=VALUE]...")
@_root_option
@_no_venv_option
@_verbose_option
def env_command(experiment: str, env_name: str, assignments: tuple[str, ...], root: Optional[Path],
                no_venv: bool, verbose: bool) -> int:
    """Add env/NAME.yaml to EXPERIMENT: the same experiment on another machine.

    KEY=VALUE are checked against the experiment's EnvConfig dataclass before anything is written.
    """
    from hydra_runner.cli._venv import reexec_in_project_venv

    if not no_venv:
        reexec_in_project_venv(root)
    from hydra_runner.scaffold import new_env

    created = new_env(experiment, env_name, assignments, root=root)
    directory = created[0].parent.parent
    overrides = [*_first_exp(directory), f"env={env_name}"]
    _report(created, _run_command(directory, "--cfg", "job", *overrides), _run_command(directory, *overrides))
    return 0
