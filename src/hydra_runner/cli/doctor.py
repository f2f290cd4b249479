"""``hydra-runner doctor``: the checks of :mod:`hydra_runner.doctor`, printed."""

from __future__ import annotations

import json
from typing import Any

import click

__all__ = ["doctor_command"]

_SECTIONS = {
    "environment": "Environment",
    "plugins": "Hydra plugins (* hydra-runner's)",
    "extras": "Optional extras",
    "resources": "GPUs, tracking, Ray, Slurm",
}


def _print_report(checks: list[Any]) -> None:
    width = max(len(check.name) for check in checks) + 2
    section = None
    for check in checks:
        if check.section != section:
            section = check.section
            click.secho(_SECTIONS.get(section, section), bold=True)
        mark = "  " if check.ok else "! "
        click.secho(f"{mark}{check.name.ljust(width)}{check.value}", fg=None if check.ok else "red")
        if not check.ok:
            click.secho(f"  {''.ljust(width)}problem: {check.problem}", fg="red")
            if check.fix:
                click.secho(f"  {''.ljust(width)}fix: {check.fix}", fg="yellow")
    problems = sum(not check.ok for check in checks)
    click.echo("")
    click.secho("no problems found" if not problems else f"{problems} problem{'s' if problems > 1 else ''} found",
                fg="green" if not problems else "red")


@click.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON (for scripts).")
@click.option("--no-venv", is_flag=True, help="Check this interpreter, not the project's .venv.")
def doctor_command(as_json: bool, no_venv: bool) -> int:
    """Check this environment: Python, Hydra, plugins, extras, GPUs, MLflow, Ray, the project's .venv.

    Like run, it switches to the project's .venv when that has hydra-runner, so the report is
    about the interpreter your tasks run with. Each problem is printed with its fix.

    \b
    Exit code: 0 when no problem was found, 1 when at least one was.
    """
    from hydra_runner.cli._venv import reexec_in_project_venv

    if not no_venv:
        reexec_in_project_venv()
    from hydra_runner.doctor import run_checks

    checks = run_checks()
    if as_json:
        problems = sum(not check.ok for check in checks)
        click.echo(json.dumps({"ok": not problems, "problems": problems,
                               "checks": [check.as_dict() for check in checks]}, indent=2))
    else:
        _print_report(checks)
    return 0 if all(check.ok for check in checks) else 1
