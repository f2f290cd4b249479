"""``hydra-runner resume``."""

from __future__ import annotations

from typing import Any, Optional

import click

from hydra_runner.cli._options import launcher_options

__all__ = ["resume_command"]


@click.command("resume")
@click.argument("sweep_dir", required=False)
@launcher_options
def resume_command(sweep_dir: Optional[str], **launcher_flags: Any) -> int:
    """Run the jobs of a sweep that did not succeed or never started (default: the latest sweep).

    Jobs keep their numbers, directories and overrides; jobs that succeeded are not run again.
    Launcher flags (-j, --timeout, ...) given here replace the sweep's own for this run.
    """
    from hydra_runner.api import resume_sweep
    from hydra_runner.options.launchers import choose_launcher

    ctx = click.get_current_context()
    given = {name: value for name, value in launcher_flags.items()
             if ctx.get_parameter_source(name) is click.core.ParameterSource.COMMANDLINE}
    choose_launcher(given)  # refuses bad values and flags of two backends before the journal is touched
    return resume_sweep(sweep_dir, extra=_as_arguments(ctx.command, given))


def _as_arguments(command: click.Command, given: dict[str, Any]) -> list[str]:
    """The flags given, as the command line of the sweep's command spells them (the last of a flag wins)."""
    args: list[str] = []
    for param in command.params:
        if not isinstance(param, click.Option) or param.name not in given:
            continue
        flag, value = param.opts[0], given[param.name]
        if param.is_flag:
            args.append(flag)
        else:
            for item in value if param.multiple else [value]:
                args.extend([flag, str(item)])
    return args
