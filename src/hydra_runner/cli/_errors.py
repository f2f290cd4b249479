"""How failures reach the terminal: a short message and exit 2 for usage and config errors,
the task's own traceback and exit 1 for a failing job, 130 for Ctrl-C."""

from __future__ import annotations

import os
import sys
import traceback
from typing import Any

import click

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "run_guarded"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

_INTERNAL_DIRS = tuple(
    os.path.join(os.sep, part, "") for part in ("hydra", "hydra_runner", "click", "omegaconf")
)


def _is_verbose(args: list[str]) -> bool:
    return "-v" in args or "--verbose" in args or os.environ.get("HYDRA_FULL_ERROR") == "1"


def _print_error(error: Any) -> None:
    click.secho(f"error: {error.message}", fg="red", err=True)
    if error.detail:
        for line in str(error.detail).splitlines():
            click.echo(f"  {line}", err=True)
    if error.fix:
        click.secho(f"fix: {error.fix}", fg="yellow", err=True)


def _print_click_error(e: click.ClickException) -> None:
    """click's own refusals (a bad flag value, a missing argument) in the form of every other error."""
    ctx = getattr(e, "ctx", None)
    command = ctx.command_path if ctx is not None else "hydra-runner"
    click.secho(f"error: {e.format_message()}", fg="red", err=True)
    click.secho(f"fix: see {command} --help", fg="yellow", err=True)


def _print_task_traceback(exc: BaseException, verbose: bool) -> None:
    tb = traceback.TracebackException.from_exception(exc)
    if not verbose:
        # Hide the frames of Hydra and hydra-runner that lead into the task.
        frames = [f for f in tb.stack if not any(d in f.filename for d in _INTERNAL_DIRS)]
        tb.stack = traceback.StackSummary.from_list(frames or list(tb.stack))
    sys.stderr.write("".join(tb.format()))


def run_guarded(command: click.Command, args: list[str], obj: Any = None) -> int:
    """Run the click ``command`` (``obj``: its context's object) and turn every outcome into an exit code."""
    verbose = _is_verbose(args)
    try:
        result = command.main(args=args, prog_name="hydra-runner", standalone_mode=False, obj=obj)
        return result if isinstance(result, int) else EXIT_OK
    except click.exceptions.Exit as e:
        return e.exit_code
    except click.ClickException as e:
        _print_click_error(e)
        return EXIT_USAGE
    except click.Abort:
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return EXIT_INTERRUPTED
    except Exception as e:
        from hydra_runner.diagnose import (
            TASK_ERROR_ATTR,
            environment_error,
            is_config_error,
            translate,
        )
        from hydra_runner.errors import HydraRunnerError

        fault = None if getattr(e, TASK_ERROR_ATTR, False) else environment_error(e)
        if isinstance(e, HydraRunnerError):
            error: Any = e
        elif fault is not None:
            error = fault
        elif is_config_error(e):
            error = translate(e, [a for a in args if "=" in a])
        else:
            if getattr(e, TASK_ERROR_ATTR, False):
                _print_task_traceback(e, verbose)
            else:
                traceback.print_exc()
            return EXIT_FAILED
        if verbose:
            traceback.print_exc()
        _print_error(error)
        return error.exit_code  # type: ignore[no-any-return]
