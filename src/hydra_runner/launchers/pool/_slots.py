"""Which GPUs the machine has and how worker slots share them.

Each worker of the pool is one slot: it is started with ``CUDA_VISIBLE_DEVICES`` naming
exactly its GPUs and keeps them for life, so no GPU ever serves two jobs at once and the
variable is set before the task's code can initialise CUDA.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence, Union

from hydra_runner.errors import UsageError
from hydra_runner.options.launchers import parse_gpus, parse_n_jobs

__all__ = ["Slot", "available_memory", "describe_machine", "detect_gpus", "machine_slots", "parse_gpus", "plan_slots",
           "worker_bound"]

#: Workers per core that ``-j`` may ask for: more than the cores, for jobs that mostly wait
#: (I/O, a remote service), yet never thousands of processes on a laptop.
WORKERS_PER_CORE = 8
#: The memory each worker is counted for: a warm worker holding Hydra and a small task takes
#: about 30 MB; a task that imports a framework takes several times that.
WORKER_MEMORY = 256 * 2**20


@dataclass(frozen=True)
class Slot:
    index: int
    gpus: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"slot {self.index}" + (f" (GPU {','.join(self.gpus)})" if self.gpus else "")

    def environment(self) -> dict[str, str]:
        """Variables a worker of this slot starts with."""
        return {"CUDA_VISIBLE_DEVICES": ",".join(self.gpus)} if self.gpus else {}


def detect_gpus(environ: Optional[Mapping[str, str]] = None) -> tuple[str, ...]:
    """``CUDA_VISIBLE_DEVICES`` when set, else what ``nvidia-smi`` lists, else none."""
    environ = os.environ if environ is None else environ
    visible = environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        # CUDA ignores everything from the first invalid entry on; "-1" hides all devices.
        ids = []
        for part in visible.split(","):
            part = part.strip()
            if not part or part.startswith("-"):
                break
            ids.append(part)
        return tuple(ids)
    return _nvidia_smi_gpus()


@functools.lru_cache(maxsize=1)
def _nvidia_smi_gpus() -> tuple[str, ...]:
    # Asked once per process: the CLI plans slots early and the launcher again later.
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return ()
    try:
        out = subprocess.run(
            [smi, "--query-gpu=index", "--format=csv,noheader"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return ()
    return tuple(line.strip() for line in out.stdout.splitlines() if line.strip().isdigit())


def available_memory() -> Optional[int]:
    """Bytes of memory available to new processes (Linux's MemAvailable), or None where unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as file:
            for line in file:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


def worker_bound(cpu_count: Optional[int] = None, memory: Optional[int] = None) -> int:
    """The most workers this machine is given, whatever ``-j`` asks: from its cores and available memory."""
    cpus = cpu_count or os.cpu_count() or 1
    bound = WORKERS_PER_CORE * cpus
    memory = available_memory() if memory is None else memory
    if memory is not None:
        bound = min(bound, memory // WORKER_MEMORY)
    return max(1, bound)


def describe_machine() -> str:
    """The cores and memory :func:`worker_bound` reads, for a message."""
    memory = available_memory()
    cores = f"{os.cpu_count() or 1} cores"
    return cores if memory is None else f"{cores}, {memory / 2**30:.1f} GB of memory available"


def plan_slots(
    n_jobs: Union[int, str, None],
    *,
    gpus: Sequence[str],
    gpus_per_job: int = 0,
    cpus_per_job: int = 1,
    cpu_count: Optional[int] = None,
    memory: Optional[int] = None,
) -> list[Slot]:
    """The pool's slots: ``n_jobs`` of them (``"auto"``: as many as the machine holds), at most :func:`worker_bound`."""
    if gpus_per_job < 0 or cpus_per_job < 1:
        raise UsageError(
            f"invalid slot size: gpus_per_job={gpus_per_job}, cpus_per_job={cpus_per_job}",
            fix="use gpus_per_job >= 0 and cpus_per_job >= 1",
        )
    cpus = cpu_count or os.cpu_count() or 1
    capacity = max(1, cpus // cpus_per_job)
    if gpus_per_job:
        capacity = len(gpus) // gpus_per_job
        if capacity == 0:
            raise UsageError(
                f"each job asks for {gpus_per_job} GPU(s) but {len(gpus)} {'is' if len(gpus) == 1 else 'are'} available"
                + (f" ({','.join(gpus)})" if gpus else ""),
                fix="lower gpus_per_job, or name the GPUs to use with --gpus 0,1,...",
            )
    wanted = parse_n_jobs(n_jobs)
    count = capacity if wanted == "auto" else int(wanted)
    if gpus_per_job and count > capacity:
        raise UsageError(
            f"{count} parallel jobs with {gpus_per_job} GPU(s) each need {count * gpus_per_job} GPUs,"
            f" but {len(gpus)} are available ({','.join(gpus)})",
            fix=f"use -j {capacity} or fewer (or -j auto)",
        )
    count = min(count, worker_bound(cpus, memory))
    return [
        Slot(index=i, gpus=tuple(gpus[i * gpus_per_job : (i + 1) * gpus_per_job]) if gpus_per_job else ())
        for i in range(count)
    ]


def machine_slots(
    n_jobs: Union[int, str, None], *, gpus: Optional[str], gpus_per_job: int = 0, cpus_per_job: int = 1
) -> list[Slot]:
    """The slots for the pool's options: ``gpus`` as given (``--gpus``), else this machine's."""
    found = parse_gpus(str(gpus)) if gpus is not None else detect_gpus()
    return plan_slots(n_jobs, gpus=found, gpus_per_job=gpus_per_job, cpus_per_job=cpus_per_job)
