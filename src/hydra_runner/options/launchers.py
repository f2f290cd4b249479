"""Each launcher backend's options, and how the flags given choose a backend.

A new option is one field here (help, flag, check) plus the code in the backend that
uses it: the CLI flag, the API keyword and the ``hydra/launcher=runner_*`` config key
follow (:mod:`hydra_runner.options._base`). A new backend is one more class in
:data:`LAUNCHERS`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar, Mapping, Optional, Union

from hydra_runner.errors import UsageError
from hydra_runner.options._base import (
    Options,
    OptionValueError,
    check_count,
    check_positive_seconds,
    is_unset,
    option,
)

__all__ = ["LAUNCHERS", "LaunchOptions", "PoolConf", "PoolOptions", "RayConf", "RayOptions", "SlurmConf", "SlurmOptions",
           "choose_launcher", "parse_gpus", "parse_n_jobs"]

_PLUGINS = "hydra_plugins.hydra_runner_plugins"


@dataclass
class LaunchOptions(Options):
    """What every backend that runs a sweep's jobs elsewhere understands."""

    group = "hydra/launcher"
    #: What to say instead of another backend's flags, when this backend was chosen.
    instead: ClassVar[Optional[str]] = None

    timeout: Optional[float] = option(None, help="Kill a job that runs longer than SECONDS; it is recorded as timed out.",
                                      metavar="SECONDS", check=check_positive_seconds)
    retries: int = option(0, help="Run a crashed, lost or timed-out job again, up to N times.", metavar="N",
                          check=check_count)
    fail_fast: bool = option(False, help="Start no new job after the first failure.")


def parse_n_jobs(value: Any) -> Union[int, str]:
    """``-j`` as a number of parallel jobs (>= 1) or ``"auto"`` (also ``-1``, as joblib says it)."""
    if str(value).strip().lower() in ("auto", "-1"):
        return "auto"
    try:
        count = int(str(value).strip())
    except ValueError:
        count = 0
    if count < 1:
        raise OptionValueError("is not a number of parallel jobs", "use -j N with N >= 1, or -j auto")
    return count


def parse_gpus(text: str) -> tuple[str, ...]:
    """``"0,1,3"`` as device ids; ``""`` or ``"none"`` means no GPU."""
    if text.strip().lower() in ("", "none"):
        return ()
    ids = tuple(part.strip() for part in text.split(","))
    bad = [part for part in ids if not part or not (part.isdigit() or part.startswith(("GPU-", "MIG-")))]
    if bad or len(set(ids)) != len(ids):
        problem = f"'{bad[0]}' is not a GPU id" if bad else "a GPU is listed twice"
        raise UsageError(
            f"invalid GPU list '{text}': {problem}",
            fix="give device indices separated by commas, e.g. --gpus 0,1,3 (or --gpus none)",
        )
    return ids


def _check_gpus(value: Any) -> str:
    parse_gpus(str(value))  # raises with its own fix
    return str(value)


# auto, local, HOST:PORT, or a scheme's address (ray://, http://, https://) with a host and a port.
_RAY_ADDRESS = re.compile(r"^(auto|local|((ray|https?)://)?[A-Za-z0-9_.\-\[\]:]+:\d{1,5}/?)$")


def _check_ray_address(value: Any) -> Optional[str]:
    if value is None or value == "":
        return None
    if not _RAY_ADDRESS.match(str(value).strip()):
        raise OptionValueError("is not a Ray address",
                               "give auto, HOST:PORT, ray://HOST:10001 or http://HOST:8265 (the dashboard, "
                               "for --no-wait)")
    return str(value).strip()


def _submitted_at_once(launcher: str, what: str) -> Any:
    """The check of ``-j`` for a cluster backend, where it is ``what``."""

    def check(value: Any) -> int:
        refusal = OptionValueError(f"with --launcher {launcher}, -j is {what}",
                                   "give a positive number, or leave -j out to submit every job")
        try:
            count = check_count(value)
        except OptionValueError:
            raise refusal from None
        if count < 1:
            raise refusal
        return count

    return check


def _refuse_waiting_flags(options: LaunchOptions, **others: bool) -> None:
    """With --no-wait, flags that act on jobs while the sweep waits are refused."""
    waiting = {"--timeout": options.timeout is not None, "--retries": options.retries > 0,
               "--fail-fast": options.fail_fast, **others}
    given = [flag for flag, set_ in waiting.items() if set_]
    if given:
        raise UsageError(f"{', '.join(given)} need the sweep to wait for its jobs; --no-wait does not",
                         fix="drop them, or drop --no-wait")


@dataclass
class PoolOptions(LaunchOptions):
    """Local worker processes, one per CPU/GPU slot (``-j``, ``hydra/launcher=runner_pool``)."""

    name = "runner_pool"
    target = f"{_PLUGINS}.runner_pool_launcher.RunnerPoolLauncher"

    n_jobs: Any = option("auto", help="Run jobs in N parallel worker processes (auto: one per free CPU/GPU slot).",
                         flags=("-j", "--jobs"), metavar="N|auto", check=parse_n_jobs)
    gpus: Optional[str] = option(None, help="GPUs the workers may use, e.g. 0,1,3 (default: as CUDA sees them).",
                                 metavar="IDS", check=_check_gpus)
    gpus_per_job: Optional[int] = option(None, help="GPUs each job gets (its CUDA_VISIBLE_DEVICES); "
                                         "default: the config's task_env, else 0.", metavar="N", check=check_count)
    cpus_per_job: Optional[int] = option(None, help="CPU cores each job counts for when sizing -j auto; "
                                         "default: the config's task_env, else 1.", metavar="N", check=check_count)
    stream: bool = option(False, help="Also print each job's output, prefixed with its number.")


@dataclass
class RayOptions(LaunchOptions):
    """Jobs as Ray tasks: an embedded local Ray, or a cluster (``--launcher ray``, ``hydra/launcher=runner_ray``)."""

    name = "runner_ray"
    target = f"{_PLUGINS}.runner_ray_launcher.RunnerRayLauncher"
    instead = "give Ray jobs resources in the config's task_env node (resources: {cpu: 2, gpu: 1})"

    address: Optional[str] = option(None, help="Ray cluster to use (auto, host:port, ray://host:port); "
                                    "default: an embedded local Ray.", flags=("--ray-address",), metavar="ADDRESS",
                                    check=_check_ray_address, selects=True)
    max_running: Optional[int] = option(None, help="With Ray: jobs submitted at once (default: all).",
                                        flags=("-j", "--jobs"), metavar="N",
                                        check=_submitted_at_once("ray", "how many jobs are submitted at once"))
    wait: bool = option(True, help="With --launcher ray or slurm: submit the jobs and return at once "
                        "(see hydra-runner status).", flags=("--no-wait",))
    forward_env: list[str] = option([], help="With --launcher ray: give every job this variable of the current "
                                    "shell (repeatable).", metavar="NAME")
    task_env_key: str = option("task_env", help="The config node holding each job's resources, env_vars and "
                               "runtime_env.", cli=False)
    ship_project: bool = option(True, help="On a cluster, send the project's directory as the jobs' working_dir.",
                                cli=False)
    default_resources: dict[str, Any] = option({}, help="Resources of a job whose task_env asks for none "
                                               "(hydra-ray-launcher's ray.remote options).", cli=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.wait:
            return
        if not self.address:
            raise UsageError("--no-wait submits the jobs to a running Ray cluster and returns",
                             fix="add --launcher ray --ray-address http://HEAD:8265 (the cluster's dashboard)")
        _refuse_waiting_flags(self, **{"-j": self.max_running is not None})


@dataclass
class SlurmOptions(LaunchOptions):
    """Jobs as Slurm job arrays, submitted through submitit (``--launcher slurm``, ``hydra/launcher=runner_slurm``)."""

    name = "runner_slurm"
    target = f"{_PLUGINS}.runner_slurm_launcher.RunnerSlurmLauncher"
    instead = ("give Slurm jobs resources in the config's task_env node "
               "(resources: {cpu: 2, gpu: 1, memory: 8Gi, time: 60, partition: gpu})")

    array_parallelism: Optional[int] = option(None, help="With Slurm: jobs of an array running at once "
                                              "(its %N throttle; default: all).", flags=("-j", "--jobs"),
                                              metavar="N", check=_submitted_at_once(
                                                  "slurm", "how many jobs of the array run at once (its %N)"))
    wait: bool = option(True, help="With --launcher ray or slurm: submit the jobs and return at once "
                        "(see hydra-runner status).", flags=("--no-wait",))
    jobs_per_allocation: int = option(1, help="With Slurm: run K jobs one after another in each allocation, the "
                                      "task imported once (many short jobs cost a few allocations).", metavar="K",
                                      check=check_count)
    task_env_key: str = option("task_env", help="The config node holding each job's resources and env_vars.",
                               cli=False)
    setup: list[str] = option([], help="Shell lines each job's sbatch script runs first (module load ..., "
                              "source .venv/bin/activate).", cli=False)
    python: Optional[str] = option(None, help="The Python that runs the jobs on the nodes (default: this one).",
                                   cli=False)
    poll_interval: float = option(2.0, help="Seconds between two questions to Slurm about the running jobs.",
                                  cli=False, check=check_positive_seconds)
    signal_delay: int = option(30, help="Seconds between Slurm's warning (time limit, preemption) and the kill: "
                               "the time a job's checkpoint has (hydra_runner.on_requeue).", cli=False,
                               check=check_count)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.jobs_per_allocation < 1:
            raise UsageError("--jobs-per-allocation is how many jobs each Slurm allocation runs",
                             fix="give a number >= 1")
        if self.jobs_per_allocation > 1 and self.timeout is not None:
            raise UsageError("--timeout stops a job by cancelling its allocation, which --jobs-per-allocation "
                             "shares between jobs", fix="drop one of them (a time limit can go in task_env.resources.time)")
        if not self.wait:
            _refuse_waiting_flags(self)


PoolConf = PoolOptions.hydra_schema()
RayConf = RayOptions.hydra_schema()
SlurmConf = SlurmOptions.hydra_schema()

#: The backends a sweep can run on, by the name ``--launcher`` takes; the first is the default.
LAUNCHERS: dict[str, type[LaunchOptions]] = {"pool": PoolOptions, "ray": RayOptions, "slurm": SlurmOptions}


def choose_launcher(given: Mapping[str, Any]) -> Optional[LaunchOptions]:
    """The backend and its options that flags (or API keywords) ask for; None: as the config says.

    ``launcher`` names the backend; else a flag that only one backend has and that chooses
    it (``--ray-address``) does; else any launcher flag means the default backend.
    """
    # Not "in (None, False, ())": 0 == False, and -j 0 or --timeout 0 must reach their checks.
    given = {key: value for key, value in given.items() if not is_unset(value)}
    name = given.pop("launcher", None)
    chosen = name is not None
    if name is None:
        name = next((backend for backend, cls in LAUNCHERS.items() for key, spec in cls.keywords().items()
                     if spec.info.selects and key in given), None)
    if name is None:
        if not given:
            return None
        name = next(iter(LAUNCHERS))
    if name not in LAUNCHERS:
        raise UsageError(f"no launcher '{name}'", fix=f"use one of: {', '.join(LAUNCHERS)}")
    cls = LAUNCHERS[name]
    known = cls.keywords()
    foreign = [key for key in given if key not in known]
    if foreign:
        flags = ", ".join(_flag_of(key) for key in foreign)
        owners = [other for other, other_cls in LAUNCHERS.items() if set(foreign) <= set(other_cls.keywords())]
        where = f"--launcher {owners[0]}" if owners else "another launcher"
        fix = f"add --launcher {owners[0]}" if owners and not chosen else cls.instead \
            or f"drop {flags}, or use {where}"
        verb = "apply" if len(foreign) > 1 else "applies"
        raise UsageError(f"{flags} {verb} to {where}, not to --launcher {name}", fix=fix)
    return cls.from_keywords(given)


def launcher_keywords() -> dict[str, Any]:
    """Every launcher flag of every backend by keyword (a flag two backends share appears once)."""
    merged: dict[str, Any] = {}
    for cls in LAUNCHERS.values():
        for key, spec in cls.keywords().items():
            merged.setdefault(key, spec)
    return merged


def _flag_of(key: str) -> str:
    spec = launcher_keywords()[key]
    return spec.info.long_flag(spec.name)
