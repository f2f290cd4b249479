"""Jobs into Slurm job arrays through submitit, and what runs them on the nodes.

A sweep's jobs that ask for the same resources go into one array (``--array=0-K%N``: ``-j N``
is its throttle; with ``--jobs-per-allocation K`` each array task runs K jobs). Each array
task runs a :class:`~.node.NodeJob` under submitit's own runner (``python -m
submitit.core._submit``, which also handles Slurm's timeout and preemption signals), which
writes each job's outcome as a JSON file the sweep (or a later ``hydra-runner status``) reads. Everything lives in the sweep dir, which the login node and
the compute nodes share: ``.slurm/`` holds the setup, submitit's pickles and logs, and
``outcome/<num>.json``.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Sequence

from hydra_runner.errors import UsageError
from hydra_runner.jobs.model import JobSpec
from hydra_runner.launchers.slurm.node import NodeJob, NodeTask
from hydra_runner.launchers.slurm.resources import (
    describe,
    impossible,
    partitions,
    sbatch_parameters,
)

if TYPE_CHECKING:
    from hydra_runner.launchers.slurm import SlurmLauncher

__all__ = ["SLURM_DIR", "SLURM_PREFIX", "Submitted", "array_parameters", "outcome_path", "sbatch_script",
           "submit_arrays"]

SLURM_DIR = ".slurm"
#: How the journal's ``worker`` column names a job submitted to Slurm: ``slurm:<array id>_<index>``.
SLURM_PREFIX = "slurm:"


@dataclass(frozen=True)
class Submitted:
    """A job handed to Slurm."""

    num: int
    overrides: list[str]
    slurm_id: str
    directory: Optional[str]
    request: str


def slurm_dir(sweep_dir: Path) -> Path:
    return Path(sweep_dir) / SLURM_DIR


def outcome_path(sweep_dir: Path, num: int) -> Path:
    """Where job ``num`` writes how it ended."""
    return slurm_dir(sweep_dir) / "outcome" / f"{num}.json"


def log_paths(sweep_dir: Path, slurm_id: str) -> list[Path]:
    """submitit's stdout and stderr files of one array task (``<array>_<index>_0_log.out``)."""
    folder = slurm_dir(sweep_dir)
    return [folder / f"{slurm_id}_0_log.out", folder / f"{slurm_id}_0_log.err"]


def _submitit() -> Any:
    try:
        import submitit
    except ImportError:
        from hydra_runner._install import install_command

        raise UsageError("--launcher slurm submits through submitit, which is not installed",
                         fix=install_command("hydra-runner[slurm]")) from None
    return submitit


def _write_setup(launcher: SlurmLauncher, folder: Path) -> Path:
    """The sweep's setup (task, configs, loader), written once for all its jobs to read on the nodes."""
    from hydra_runner.jobs.runner import worker_setup
    from hydra_runner.tasks.ref import dumps_by_value

    boot, setup = worker_setup(launcher.config, launcher.task_function, launcher.loader)
    # Slurm gives each job the submitting shell's environment already (sbatch --export=ALL).
    boot = replace(boot, environ={})
    path = folder / f"setup-{uuid.uuid4().hex[:8]}.pkl"
    path.write_bytes(dumps_by_value((boot, setup), script_in_workers=boot.main_file is not None))
    return path


def submit_arrays(launcher: SlurmLauncher, jobs: Sequence[JobSpec], sweep_dir: Path,
                  setup_file: Optional[Path]) -> tuple[list[Submitted], Path]:
    """Submit ``jobs`` as one array per distinct resource request; nothing is submitted if any is impossible.

    Returns what was submitted and the setup file (written on first use, then reused).
    """
    assert launcher.config is not None
    submitit = _submitit()
    folder = slurm_dir(sweep_dir)
    (folder / "outcome").mkdir(parents=True, exist_ok=True)
    task_name = str(launcher.config.hydra.job.name)
    groups: dict[str, list[tuple[JobSpec, dict[str, Any], Optional[str]]]] = {}
    for job in jobs:
        composed = launcher.compose(job)
        params = sbatch_parameters(composed.task_config(), task_name, launcher.task_env_key)
        groups.setdefault(json.dumps(params, sort_keys=True, default=str), []).append(
            (job, params, composed.output_dir))
    known = partitions()
    for members in groups.values():
        refusal = impossible(members[0][1], known) if known else None
        if refusal is not None:
            raise UsageError(f"job #{members[0][0].num}: {refusal[0]}; nothing was submitted", fix=refusal[1])
    if setup_file is None:
        setup_file = _write_setup(launcher, folder)
    submitted: list[Submitted] = []
    for members in groups.values():
        params = members[0][1]
        # A job at its time limit is not requeued by submitit: it ends as timed out (its saves
        # made) and the schedule runs it again, up to --retries, as any backend's lost job.
        executor = submitit.SlurmExecutor(folder=str(folder), max_num_timeout=0, python=launcher.python)
        for (num, _), _, _ in members:
            outcome_path(sweep_dir, num).unlink(missing_ok=True)  # a retry's outcome, not the last attempt's
        # Each array task runs K jobs of the sweep, one after the other (--jobs-per-allocation);
        # a job run again gets an allocation of its own, away from whatever ended its last one.
        per_task = max(1, launcher.jobs_per_allocation)
        fresh = [member for member in members if not launcher.submissions[member[0][0]]]
        chunks = [fresh[i:i + per_task] for i in range(0, len(fresh), per_task)]
        chunks += [[member] for member in members if launcher.submissions[member[0][0]]]
        executor.update_parameters(**array_parameters(params, job_name=task_name, setup=launcher.setup_lines,
                                                      array_parallelism=launcher.array_parallelism,
                                                      count=len(chunks), signal_delay=launcher.signal_delay))
        node_job = NodeJob(str(setup_file))
        try:
            with executor.batch():  # one array (a single task is submitted as a plain job)
                slurm_jobs = [executor.submit(node_job, [
                    NodeTask(num, list(overrides), str(outcome_path(sweep_dir, num)), launcher.submissions[num])
                    for (num, overrides), _, _ in chunk]) for chunk in chunks]
        except Exception as e:  # sbatch said no (an account, a QOS, a limit): its words are the reason
            said = getattr(e, "output", None) or getattr(e, "stderr", None) or str(e)
            said = said.decode(errors="replace") if isinstance(said, bytes) else str(said)
            last = (said.strip().splitlines() or ["(no message)"])[-1]
            raise UsageError(f"sbatch refused the array of job #{chunks[0][0][0][0]}: {last}",
                             fix="check the jobs' task_env resources (partition, account, qos) with your "
                                 "cluster's limits (sacctmgr show assoc, scontrol show partition)") from None
        request = describe(params)
        for chunk, slurm_job in zip(chunks, slurm_jobs):
            for (num, overrides), _, directory in chunk:
                launcher.submissions[num] += 1
                submitted.append(Submitted(num, list(overrides), str(slurm_job.job_id), directory, request))
    return submitted, setup_file


def array_parameters(params: dict[str, Any], *, job_name: str, setup: Sequence[str],
                     array_parallelism: Optional[int], count: int, signal_delay: int = 30) -> dict[str, Any]:
    """submitit's parameters for an array of ``count`` jobs that ask for ``params`` (:func:`sbatch_parameters`)."""
    params = dict(params)
    lines = [*setup, *params.pop("setup", [])]
    # No time limit unless the job asks (submitit's default is 5 minutes: the partition's is
    # what a user expects), no wckey (clusters that enforce them refuse submitit's), and time
    # for a checkpoint between Slurm's warning signal and the kill.
    return {"job_name": job_name, "array_parallelism": array_parallelism or count, "signal_delay_s": signal_delay,
            "time": None, "wckey": None, **({"setup": lines} if lines else {}), **params}


def sbatch_script(parameters: dict[str, Any], *, folder: str, python: str, count: int) -> str:
    """The sbatch script submitit writes for an array of ``count`` jobs with ``parameters`` (for --dry-run, tests)."""
    from submitit.slurm.slurm import _make_sbatch_string

    command = f"{python} -u -m submitit.core._submit {folder}"
    return str(_make_sbatch_string(command=command, folder=folder, map_count=count if count > 1 else None,
                                   **parameters))
