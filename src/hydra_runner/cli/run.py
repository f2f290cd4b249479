"""``hydra-runner run`` and ``hydra-runner multirun``."""

from __future__ import annotations

import difflib
import os
import sys
from typing import Any, Callable, Optional, Sequence

import click

from hydra_runner.cli._exit import ExitPlan
from hydra_runner.cli._options import run_options

__all__ = ["multirun_command", "run_command"]

INFO_CHOICES = ["all", "config", "defaults", "defaults-tree", "plugins", "searchpath"]


def _app_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.argument("target"),
        click.argument("overrides", nargs=-1),
        click.option("--config-path", "-cp", help="Config directory (Hydra's rule, then relative to the project root)."),
        click.option("--config-name", "-cn", help="Primary config name (overrides the one in @hydra.main)."),
        click.option("--config-dir", "-cd", help="Extra config directory added to the search path."),
        click.option("--version-base", help="Hydra version_base for plain functions (default: as declared, else 1.3)."),
        click.option("--cfg", "-c", "cfg_type", type=click.Choice(["job", "hydra", "all"]), help="Print the config and exit."),
        click.option("--resolve", is_flag=True, help="Resolve interpolations in --cfg output."),
        click.option("--package", "-p", help="Print only this package of the config (with --cfg)."),
        click.option(
            "--info", "-i", type=click.Choice(INFO_CHOICES), is_flag=False, flag_value="all",
            help="Print information about the app (where configs come from, defaults, plugins) and exit.",
        ),
        click.option("--no-venv", is_flag=True, help="Do not switch to the project's .venv interpreter."),
        click.option("-v", "--verbose", is_flag=True, help="Show full tracebacks."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return run_options(fn)


def _execute(
    *,
    target: str,
    overrides: tuple[str, ...],
    multirun: bool,
    dry_run: bool,
    config_path: Optional[str],
    config_name: Optional[str],
    config_dir: Optional[str],
    version_base: Optional[str],
    cfg_type: Optional[str],
    resolve: bool,
    package: Optional[str],
    info: Optional[str],
    no_venv: bool,
    verbose: bool,
    **run_keywords: Any,
) -> int:
    from hydra_runner.cli._venv import reexec_in_project_venv
    from hydra_runner.errors import UsageError
    from hydra_runner.run_context import RunContext

    _check_overrides(overrides)
    if not no_venv:
        reexec_in_project_venv()
    if resolve and cfg_type is None:
        raise UsageError("--resolve only makes sense with --cfg", fix="add --cfg job (or hydra, all)")
    if package is not None and cfg_type is None:
        raise UsageError("--package only makes sense with --cfg", fix="add --cfg job")
    run = RunContext.from_keywords(run_keywords, multirun=multirun,
                                   command=[sys.executable, "-m", "hydra_runner", *sys.argv[1:]])
    run.keep_returns = False  # the exit code is all the command reads of the jobs' results
    runs = cfg_type is None and info is None and not dry_run
    if runs:
        _start_ahead(run, multirun=multirun, overrides=list(overrides))
    args = list(overrides) + run.overrides()
    from hydra_runner.api import load_app

    app = load_app(
        target, config_path=config_path, config_name=config_name, config_dir=config_dir, version_base=version_base
    )
    if cfg_type is not None:
        app.show_cfg(args, cfg_type, package, resolve)
        return 0
    if info is not None:
        from hydra_runner.cli._show import print_location

        print_location(app)
        app.show_info(info, args)
        return 0
    if dry_run:
        from hydra_runner.cli._show import print_job_preview

        print_job_preview(app.job_preview(args), _launcher_request(app, run))
        return 0
    try:
        result = app.run(args, multirun=multirun, run=run)
    except KeyboardInterrupt as interrupt:
        from hydra_runner.launchers._schedule import SweepTerminated

        plan = click.get_current_context().find_object(ExitPlan)
        if plan is not None and isinstance(interrupt, SweepTerminated):
            plan.terminated = True
        if run.sweep_dir is not None:
            from hydra_runner.cli._unfinished import report_unfinished

            report_unfinished(run.sweep_dir)
        raise
    finally:
        run.close()
    plan = click.get_current_context().find_object(ExitPlan)
    if plan is not None:
        plan.skip_teardown = run.only_own_code_ran
    return 0 if result is not None else 1


def _launcher_request(app: Any, run: Any) -> Any:
    """For --dry-run with --launcher slurm: the sbatch parameters a job would get, from its task_env."""
    from hydra_runner.options.launchers import SlurmOptions

    if not isinstance(run.launcher, SlurmOptions):
        return None
    from hydra_runner.launchers.slurm.resources import describe, sbatch_parameters

    key = run.launcher.task_env_key

    def request(job_overrides: Sequence[str]) -> str:
        cfg = app.compose_job_config([*job_overrides, *run.overrides()], with_hydra=True)
        return "sbatch: " + describe(sbatch_parameters(cfg, str(cfg.hydra.job.name), key))

    return request


def _check_overrides(overrides: tuple[str, ...]) -> None:
    """Refuse what cannot be an override: a flag this command does not have, an override with no key.

    (The command takes unknown options as overrides, since Hydra's grammar allows ``~key``
    and the like; no override starts with ``-``.)
    """
    from hydra_runner.errors import UsageError

    command = click.get_current_context().command
    for arg in overrides:
        if arg.startswith("-"):
            flag = arg.partition("=")[0]
            flags = [name for param in command.params for name in getattr(param, "opts", []) if name.startswith("--")]
            near = difflib.get_close_matches(flag, flags, n=1, cutoff=0.6)
            raise UsageError(f"no such option: {flag}",
                             fix=(f"did you mean {near[0]}? " if near else "")
                             + f"see hydra-runner {command.name} --help (overrides are written KEY=VALUE)")
        if arg.startswith("="):
            raise UsageError(f"override '{arg}' has no key before '='", fix="write KEY=VALUE, for example seed=1")


def _start_ahead(run: Any, *, multirun: bool, overrides: list[str]) -> None:
    """Start, before the task is imported, what the run will need: measured gains (docs/benchmarks.md)."""
    from hydra_runner.options.launchers import PoolOptions

    launcher = run.launcher
    if multirun and launcher is not None and names_optuna_sweeper(overrides):
        # First of all, as it has the most to do: it imports Optuna (and Hydra) while this
        # process imports Hydra and composes the sweep. Each trial then costs about a
        # millisecond more (asked over a pipe): worth it only when trials run elsewhere.
        from hydra_runner.sweepers._study_process import StudyProcess

        run.head_start.study = StudyProcess.fork()
    if isinstance(launcher, PoolOptions):
        from hydra_runner.launchers.pool._processes import start_ahead
        from hydra_runner.launchers.pool._slots import machine_slots
        from hydra_runner.sweepers._product import jobs_on_command_line

        # Only a guess from the flags (the config may change the pool): a pool that needs
        # other slots starts its own workers and these are discarded. No more workers than
        # jobs either, when the command line alone says how many.
        slots = machine_slots(launcher.n_jobs, gpus=launcher.gpus, gpus_per_job=launcher.gpus_per_job or 0,
                              cpus_per_job=launcher.cpus_per_job or 1)
        run.expected_jobs = jobs_on_command_line(overrides)
        wanted = len(slots) if run.expected_jobs is None else max(1, run.expected_jobs)
        run.head_start.workers.extend(start_ahead(slots[:wanted]))
    run.head_start.ask_git(os.getcwd())  # after the forks: workers are forked only while this is one thread


def names_optuna_sweeper(overrides: list[str]) -> bool:
    """Whether the command line picks the Optuna sweeper (the config may too; that is not known yet)."""
    return any(arg.lstrip("+") in ("hydra/sweeper=optuna", "hydra/sweeper=runner_optuna") for arg in overrides)


@click.command("run", context_settings={"ignore_unknown_options": True})
@_app_options
@click.option("-m", "--multirun", is_flag=True, help="Run as a multirun (same as the multirun command).")
def run_command(**kwargs: Any) -> int:
    """Run TARGET once with Hydra OVERRIDES.

    TARGET is a module (src.train), a file (src/train.py) or module:function / file.py:function.
    """
    return _execute(dry_run=False, **kwargs)


@click.command("multirun", context_settings={"ignore_unknown_options": True})
@_app_options
@click.option("--dry-run", is_flag=True, help="Print how many jobs would run and their overrides; run nothing.")
def multirun_command(**kwargs: Any) -> int:
    """Sweep TARGET over OVERRIDES (a,b,c  range()  glob()  choice() ...), like --multirun."""
    return _execute(multirun=True, **kwargs)
