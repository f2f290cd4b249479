"""A ``--no-wait`` sweep's jobs, collected later from Slurm into the journal (``status``, ``results``, ``resume``).

Light: no submitit, no Hydra. Each job's outcome file says how it ended; Slurm (``sacct``,
else ``squeue``) says where a job without one stands, and whether it died without one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

from hydra_runner.jobs.model import Status
from hydra_runner.journal.sqlite import SweepJournal
from hydra_runner.launchers.slurm.states import UNKNOWN, StateReader, judge
from hydra_runner.launchers.slurm.submit import SLURM_PREFIX

__all__ = ["SLURM_META", "SlurmJobState", "cancel", "collect", "slurm_id_of"]

#: The journal's record that a sweep's jobs were left to Slurm (--no-wait).
SLURM_META = "slurm_jobs"


@dataclass
class SlurmJobState:
    """One submitted job, as Slurm and its outcome file say now."""

    num: int
    overrides: list[str]
    slurm_id: str
    slurm_state: str
    node: Optional[str]
    status: Status
    message: Optional[str] = None


def slurm_id_of(worker: Optional[str]) -> Optional[str]:
    """``slurm:123_4@node1`` -> ``123_4``; None for a job that was not submitted to Slurm."""
    if not (worker or "").startswith(SLURM_PREFIX):
        return None
    return str(worker)[len(SLURM_PREFIX):].split("@")[0]


def collect(sweep_dir: Path) -> Optional[list[SlurmJobState]]:
    """Every submitted job's state; those that ended are written into the journal.

    None for a sweep whose jobs were not left to Slurm with --no-wait.
    """
    with SweepJournal.open(sweep_dir) as journal:
        if not journal.meta.get(SLURM_META):
            return None
        records = [(record, slurm_id_of(record.worker)) for record in journal.jobs()]
        waiting = [slurm_id for record, slurm_id in records if slurm_id and record.status is Status.SUBMITTED]
        reader = StateReader()
        states = reader.states(waiting) if waiting else {}
        found: list[SlurmJobState] = []
        for record, slurm_id in records:
            if slurm_id is None:
                continue
            node = (record.worker or "").partition("@")[2] or None
            state = SlurmJobState(record.num, record.overrides, slurm_id, "-", node, record.status,
                                  record.error.strip().splitlines()[-1] if record.error else None)
            found.append(state)
            if record.status is not Status.SUBMITTED:
                continue
            cluster = states.get(slurm_id) if states is not None else UNKNOWN
            if cluster is not None:
                state.slurm_state, state.node = cluster.state, cluster.node or node
                if cluster.state == "RUNNING" and record.started is None:
                    journal.job_placed(record.num, f"{SLURM_PREFIX}{slurm_id}@{cluster.node}")
            else:
                state.slurm_state = "gone"
            verdict = judge(Path(sweep_dir), record.num, slurm_id, cluster)
            if verdict is None:
                continue
            state.status, state.node = verdict.status, verdict.node or state.node
            state.message = (verdict.error or "").strip().splitlines()[-1] if verdict.error else None
            if state.node:
                journal.job_placed(record.num, f"{SLURM_PREFIX}{slurm_id}@{state.node}", starts_now=False,
                                   at=verdict.started)
            journal.job_finished(record.num, verdict.status, directory=verdict.directory, value=verdict.value,
                                 error=verdict.error, ended=verdict.ended)
        return found


def cancel(sweep_dir: Path, nums: Sequence[int] = ()) -> list[int]:
    """Cancel the sweep's jobs still on Slurm (all, or those numbered ``nums``); their numbers.

    A sweep left to Slurm (--no-wait) records them as interrupted (``resume`` runs them again);
    a sweep that is waiting for its jobs records what Slurm did to them itself.
    """
    import subprocess

    from hydra_runner.errors import UsageError

    collect(sweep_dir)  # jobs that ended meanwhile are not cancelled, they are collected
    with SweepJournal.open(sweep_dir) as journal:
        detached = bool(journal.meta.get(SLURM_META))
        live = journal.is_running_elsewhere()
        records = {record.num: record for record in journal.jobs()}
        unknown = sorted(set(nums) - set(records))
        if unknown:
            raise UsageError(f"the sweep has no job {', '.join(f'#{n}' for n in unknown)}",
                             fix=f"give job numbers from hydra-runner results {sweep_dir}")
        on_slurm = {num: slurm_id for num, record in records.items()
                    if (slurm_id := slurm_id_of(record.worker)) is not None
                    and record.status in (Status.SUBMITTED, Status.RUNNING, Status.PENDING)
                    and (detached or live) and (not nums or num in nums)}
        if not on_slurm:
            if not detached and not any(slurm_id_of(record.worker) for record in records.values()):
                raise UsageError(f"{sweep_dir} has no Slurm jobs: hydra-runner cancel stops jobs submitted with "
                                 "--launcher slurm", fix="stop a running sweep with Ctrl-C in its terminal")
            return []
        done = subprocess.run(["scancel", *dict.fromkeys(on_slurm.values())], capture_output=True, text=True,
                              timeout=60)
        if done.returncode != 0:
            raise UsageError(f"scancel failed: {done.stderr.strip()}", fix="check that Slurm answers (squeue)")
        if detached:
            for num in on_slurm:
                journal.job_finished(num, Status.INTERRUPTED, error="cancelled (hydra-runner cancel)")
        return sorted(on_slurm)
