"""The run options' flags, made from their declarations (:mod:`hydra_runner.options`)."""

from __future__ import annotations

from typing import Any, Callable

import click

from hydra_runner.options.launchers import LAUNCHERS, launcher_keywords
from hydra_runner.options.tracking import TRACKERS

__all__ = ["launcher_options", "run_options"]


def _flag(spec: Any) -> Callable[..., Any]:
    flags = spec.info.flags or (spec.info.long_flag(spec.name),)
    kwargs: dict[str, Any] = {"help": spec.info.help}
    if spec.is_switch:
        kwargs["is_flag"] = True
    elif spec.type is list:
        kwargs.update(multiple=True, metavar=spec.info.metavar)
    else:
        kwargs.update(type=spec.type if spec.type in (int, float) else str, metavar=spec.info.metavar)
    return click.option(*flags, spec.keyword, **kwargs)


def launcher_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--launcher`` and every launcher's flags to a command."""
    options = [click.option("--launcher", type=click.Choice(list(LAUNCHERS)),
                            help="Where a sweep's jobs run: " + ", ".join(
                                f"{name} ({cls.__doc__.splitlines()[0].rstrip('.')})" for name, cls in LAUNCHERS.items()
                                if cls.__doc__) + ".")]
    options.extend(_flag(spec) for spec in launcher_keywords().values())
    for option in reversed(options):
        fn = option(fn)
    return fn


def run_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--launcher``, every launcher's flags and every tracker's flags to a command."""
    options: list[Callable[..., Any]] = []
    for switch, cls in TRACKERS.items():
        options.append(click.option(f"--{switch}", switch, is_flag=True, help=cls.switch_help))
        options.extend(_flag(spec) for spec in cls.keywords().values())
    for option in reversed(options):
        fn = option(fn)
    return launcher_options(fn)
