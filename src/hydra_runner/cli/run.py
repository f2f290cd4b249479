"""``hydra-runner run`` and ``hydra-runner multirun``."""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, Optional

import click

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
        click.option("--jobs", "-j", "n_jobs", metavar="N|auto",
                     help="Run jobs in N parallel worker processes (auto: one per free CPU/GPU slot)."),
        click.option("--launcher", type=click.Choice(["pool", "ray"]),
                     help="Where a sweep's jobs run: pool (local worker processes, as -j) or ray."),
        click.option("--ray-address", metavar="ADDRESS",
                     help="Ray cluster to use (auto, host:port, ray://host:port); default: an embedded local Ray."),
        click.option("--forward-env", metavar="NAME", multiple=True,
                     help="With --launcher ray: give every job this variable of the current shell (repeatable)."),
        click.option("--gpus", metavar="IDS", help="GPUs the workers may use, e.g. 0,1,3 (default: as CUDA sees them)."),
        click.option("--gpus-per-job", type=int, help="GPUs each job gets (its CUDA_VISIBLE_DEVICES)."),
        click.option("--cpus-per-job", type=int, help="CPU cores each job counts for when sizing -j auto."),
        click.option("--timeout", type=float, metavar="SECONDS", help="Kill a job that runs longer (worker processes)."),
        click.option("--retries", type=int, help="Run a crashed or timed-out job again, up to N times."),
        click.option("--fail-fast", is_flag=True, help="Start no new job after the first failure."),
        click.option("--stream", is_flag=True, help="Also print each job's output, prefixed with its number."),
        click.option("--mlflow", "mlflow", is_flag=True,
                     help="Record the run (a sweep: a parent run, a nested run per job) in MLflow."),
        click.option("--mlflow-experiment", metavar="NAME", help="MLflow experiment (default: the task's name)."),
        click.option("--mlflow-uri", metavar="URI",
                     help="MLflow tracking URI (default: MLFLOW_TRACKING_URI, else sqlite:///mlflow.db at the project root)."),
        click.option("--no-venv", is_flag=True, help="Do not switch to the project's .venv interpreter."),
        click.option("-v", "--verbose", is_flag=True, help="Show full tracebacks."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


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
    **launcher_options: Any,
) -> int:
    from hydra_runner.cli._venv import reexec_in_project_venv

    if not no_venv:
        reexec_in_project_venv()
    runs = cfg_type is None and info is None and not dry_run
    if runs and multirun and runs_jobs_elsewhere(launcher_options) and names_optuna_sweeper(list(overrides)):
        from hydra_runner.sweepers import _study_process

        # First of all, as it has the most to do: it imports Optuna (and Hydra) while this
        # process imports Hydra and composes the sweep. Each trial then costs about a
        # millisecond more (asked over a pipe): worth it only when trials run elsewhere.
        _study_process.prestart()
    from hydra_runner.api import load_app
    from hydra_runner.errors import UsageError

    if resolve and cfg_type is None:
        raise UsageError("--resolve only makes sense with --cfg", fix="add --cfg job (or hydra, all)")
    if package is not None and cfg_type is None:
        raise UsageError("--package only makes sense with --cfg", fix="add --cfg job")
    mlflow_args = mlflow_overrides(launcher_options.pop("mlflow", False), launcher_options.pop("mlflow_experiment", None),
                                   launcher_options.pop("mlflow_uri", None))
    pool_args = pool_overrides(multirun=multirun, **launcher_options)
    args = list(overrides) + pool_args + mlflow_args
    if pool_args and pool_args[0] == "hydra/launcher=runner_pool" and runs:
        _prestart_workers(**launcher_options)  # before the task is imported: see prestart
    if runs and (multirun or mlflow_args):
        from hydra_runner.journal.meta import prefetch_code_state

        prefetch_code_state(os.getcwd())  # after prestart: workers are forked only while this is one thread
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

        print_job_preview(app.job_preview(args))
        return 0
    from hydra_runner.journal import set_command

    set_command([sys.executable, "-m", "hydra_runner", *sys.argv[1:]])
    result = app.run(args, multirun=multirun, keep_returns=False)  # the exit code is all it reads of them
    return 0 if result is not None else 1


def runs_jobs_elsewhere(launcher_options: dict[str, Any]) -> bool:
    """Whether the flags ask for a launcher whose jobs run in other processes (-j, --launcher)."""
    return any(launcher_options.get(flag) is not None for flag in ("n_jobs", "launcher", "ray_address"))


def names_optuna_sweeper(overrides: list[str]) -> bool:
    """Whether the command line picks the Optuna sweeper (the config may too; that is not known yet)."""
    return any(arg.lstrip("+") in ("hydra/sweeper=optuna", "hydra/sweeper=runner_optuna") for arg in overrides)


def ray_overrides(address: Optional[str], n_jobs: Optional[str], given: dict[str, Any]) -> list[str]:
    """The Ray flags as overrides of ``hydra/launcher=runner_ray``."""
    from hydra_runner.errors import UsageError

    pool_only = [f"--{key.replace('_', '-')}" for key in given if key in ("gpus", "gpus_per_job", "cpus_per_job", "stream")]
    if pool_only:
        raise UsageError(f"{', '.join(pool_only)} apply to the process pool, not to Ray",
                         fix="give Ray jobs resources in the config's task_env node (resources: {cpu: 2, gpu: 1})")
    if n_jobs is not None:
        if not n_jobs.isdigit() or int(n_jobs) < 1:
            raise UsageError(f"-j {n_jobs}: with --launcher ray, -j is how many jobs are submitted at once",
                             fix="give a positive number, or leave -j out to submit every job")
        given["max_running"] = int(n_jobs)
    if address is not None:
        given["address"] = _quoted(address)
    return ["hydra/launcher=runner_ray", *(f"hydra.launcher.{key}={value}" for key, value in given.items())]


def mlflow_overrides(enabled: bool, experiment: Optional[str], uri: Optional[str]) -> list[str]:
    """``--mlflow`` as Hydra overrides: hydra-runner's tracking callback in ``hydra.callbacks.mlflow``."""
    from hydra_runner.errors import UsageError

    if not enabled:
        if experiment is not None or uri is not None:
            raise UsageError("--mlflow-experiment and --mlflow-uri configure --mlflow", fix="add --mlflow")
        return []
    from hydra_runner.tracking.callback import CALLBACK_TARGET

    args = [f"++hydra.callbacks.mlflow._target_={CALLBACK_TARGET}"]
    if experiment is not None:
        args.append(f"++hydra.callbacks.mlflow.experiment={_quoted(experiment)}")
    if uri is not None:
        args.append(f"++hydra.callbacks.mlflow.tracking_uri={_quoted(uri)}")
    return args


def _quoted(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _prestart_workers(
    n_jobs: Optional[str] = None,
    gpus: Optional[str] = None,
    gpus_per_job: Optional[int] = None,
    cpus_per_job: Optional[int] = None,
    **_: Any,
) -> None:
    """Start the pool's workers now, so they boot while the sweep is composed.

    Only a guess from the flags (the config may change the pool): a pool that needs other
    slots starts its own workers and these are discarded.
    """
    from hydra_runner.launchers.pool._processes import prestart
    from hydra_runner.launchers.pool._slots import machine_slots

    prestart(machine_slots(n_jobs or "auto", gpus=gpus, gpus_per_job=gpus_per_job or 0, cpus_per_job=cpus_per_job or 1))


def pool_overrides(
    *,
    multirun: bool,
    launcher: Optional[str] = None,
    ray_address: Optional[str] = None,
    n_jobs: Optional[str] = None,
    gpus: Optional[str] = None,
    gpus_per_job: Optional[int] = None,
    cpus_per_job: Optional[int] = None,
    timeout: Optional[float] = None,
    retries: Optional[int] = None,
    fail_fast: bool = False,
    stream: bool = False,
    no_wait: bool = False,
    forward_env: tuple[str, ...] = (),
) -> list[str]:
    """The pool flags as the Hydra overrides they stand for (the CLI adds nothing Hydra cannot say)."""
    from hydra_runner.errors import UsageError

    values = {
        "gpus": None if gpus is None else f"'{gpus}'",
        "gpus_per_job": gpus_per_job,
        "cpus_per_job": cpus_per_job,
        "timeout": timeout,
        "retries": retries,
        "fail_fast": "true" if fail_fast else None,
        "stream": "true" if stream else None,
    }
    given = {key: value for key, value in values.items() if value is not None}
    if ray_address is not None and launcher is None:
        launcher = "ray"
    if forward_env:
        if launcher != "ray":
            raise UsageError("--forward-env passes variables to Ray jobs", fix="add --launcher ray")
        given["forward_env"] = "[" + ",".join(_quoted(name) for name in forward_env) + "]"
    if no_wait:
        if launcher != "ray" or ray_address is None:
            raise UsageError("--no-wait submits the jobs to a running Ray cluster and returns",
                             fix="add --launcher ray --ray-address http://HEAD:8265 (the cluster's dashboard)")
        waiting_only = [f"--{key.replace('_', '-')}" for key in given if key in ("timeout", "retries", "fail_fast")]
        waiting_only += ["-j"] * (n_jobs is not None)
        if waiting_only:
            raise UsageError(f"{', '.join(waiting_only)} need the sweep to wait for its jobs; --no-wait does not",
                             fix="drop them, or drop --no-wait")
        given["wait"] = "false"
    if n_jobs is None and not given and launcher is None:
        return []
    if not multirun:
        flags = (["-j"] * (n_jobs is not None) + ["--launcher"] * (launcher is not None)
                 + [f"--{key.replace('_', '-')}" for key in given])
        raise UsageError(
            f"{', '.join(flags)} only apply to sweeps (a launcher runs the jobs of a multirun)",
            fix="use hydra-runner multirun (or run -m)",
        )
    if launcher == "ray":
        return ray_overrides(ray_address, n_jobs, given)
    from hydra_runner.launchers.pool._slots import parse_gpus, parse_n_jobs

    if gpus is not None:
        parse_gpus(gpus)  # fail before anything runs
    if n_jobs is not None:
        given["n_jobs"] = parse_n_jobs(n_jobs)
    return ["hydra/launcher=runner_pool", *(f"hydra.launcher.{key}={value}" for key, value in given.items())]


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
@click.option("--no-wait", is_flag=True,
              help="With --launcher ray: submit each job as a Ray job and return at once (see hydra-runner status).")
def multirun_command(**kwargs: Any) -> int:
    """Sweep TARGET over OVERRIDES (a,b,c  range()  glob()  choice() ...), like --multirun."""
    return _execute(multirun=True, **kwargs)
