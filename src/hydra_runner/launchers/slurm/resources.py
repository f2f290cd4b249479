"""What a job asks of Slurm: submitit's sbatch parameters from its ``task_env``, checked against the cluster.

    task_env:
      resources: {cpu: 4, gpu: 1, memory: 16Gi, time: 120,          # the keys Ray reads too
                  partition: gpu, account: lab, qos: normal,         # Slurm's own
                  constraint: a100, gres: "gpu:a100:1", nodes: 1, tasks_per_node: 1,
                  sbatch: ["--mail-type=END", "--exclusive"]}        # any other sbatch flag
      env_vars: {NCCL_DEBUG: INFO}

``time`` is minutes, or Slurm's own ``HH:MM:SS`` / ``D-HH:MM``. A request no partition of
the cluster could ever run is refused before anything is submitted (:func:`impossible`).
"""

from __future__ import annotations

import math
import shlex
import subprocess
from dataclasses import dataclass
from typing import Any, Optional

from hydra_runner.errors import UsageError
from hydra_runner.launchers.task_env import TaskEnv, parse_memory

__all__ = ["KEYS", "Partition", "describe", "impossible", "partitions", "sbatch_parameters"]

#: task_env resource key -> submitit's parameter, for the keys passed on as they are.
_DIRECT = {"partition": "partition", "account": "account", "qos": "qos", "constraint": "constraint",
           "gres": "gres", "nodes": "nodes", "tasks_per_node": "ntasks_per_node", "exclude": "exclude",
           "nodelist": "nodelist", "comment": "comment", "exclusive": "exclusive"}
KEYS = ("cpu", "gpu", "memory", "time", "sbatch", *_DIRECT)


def sbatch_parameters(config: Any, task_name: str, key: str = "task_env") -> dict[str, Any]:
    """submitit ``SlurmExecutor`` parameters from the job's ``task_env`` (resources and env_vars)."""
    env = TaskEnv.of(config, task_name, key)
    resources = dict(env.resources)
    unknown = sorted(set(resources) - set(KEYS))
    if unknown:
        raise UsageError(f"{key}.resources has {', '.join(unknown)}, which Slurm jobs cannot ask for",
                         fix=f"use {', '.join(KEYS)}; other sbatch flags go in sbatch: [\"--flag=value\"]")
    params: dict[str, Any] = {"cpus_per_task": max(1, math.ceil(float(resources.pop("cpu", 1))))}
    if "gpu" in resources:
        gpus = math.ceil(float(resources.pop("gpu")))
        if gpus:
            params["gpus_per_node"] = gpus
    if "memory" in resources:
        params["mem"] = f"{max(1, parse_memory(resources.pop('memory')) // 2**20)}M"
    if "time" in resources:
        params["time"] = _time(resources.pop("time"), key)
    for name, value in resources.items():
        if name in _DIRECT:
            params[_DIRECT[name]] = value
    extra = _sbatch_lines(env.resources.get("sbatch"), key)
    if extra:
        params["additional_parameters"] = extra
    if env.env_vars:
        params["setup"] = [f"export {name}={shlex.quote(value)}" for name, value in env.env_vars.items()]
    return params


def _time(value: Any, key: str) -> Any:
    if isinstance(value, (int, float)) and value > 0:
        return max(1, math.ceil(value))
    text = str(value).strip()
    if text and all(part.isdigit() for part in text.replace("-", ":").split(":")):
        return text
    raise UsageError(f"{key}.resources.time {value!r} is not a time limit",
                     fix="give minutes (time: 90) or Slurm's HH:MM:SS (time: \"1:30:00\")")


def _sbatch_lines(value: Any, key: str) -> dict[str, Any]:
    """``["--mail-type=END", "--exclusive"]`` (or a mapping) as submitit's additional_parameters."""
    if not value:
        return {}
    if isinstance(value, dict):
        return {str(k).lstrip("-").replace("-", "_"): v for k, v in value.items()}
    if isinstance(value, str):
        value = [value]
    extra: dict[str, Any] = {}
    for line in value:
        text = str(line).strip()
        if text.startswith("#SBATCH"):
            text = text[len("#SBATCH"):].strip()
        if not text.startswith("--"):
            raise UsageError(f"{key}.resources.sbatch line {line!r} is not a long sbatch flag",
                             fix="write sbatch flags as \"--name=value\" or \"--name\"")
        name, has_value, flag_value = text[2:].partition("=")
        extra[name.replace("-", "_")] = flag_value if has_value else True
    return extra


def describe(params: dict[str, Any]) -> str:
    """A job's request in a few words, for the journal's slot column and --dry-run."""
    shown = [f"{name}={params[name]}" for name in ("partition", "cpus_per_task", "gpus_per_node", "mem", "time",
                                                    "gres", "account", "qos", "constraint", "nodes")
             if name in params]
    return " ".join(shown).replace("cpus_per_task", "cpus").replace("gpus_per_node", "gpus")


# -- the cluster's side --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Partition:
    name: str
    default: bool
    cpus: int
    memory_mb: int
    gres: str


def partitions() -> Optional[list[Partition]]:
    """The cluster's partitions, their largest node's CPUs and memory (None when ``sinfo`` cannot say)."""
    try:
        done = subprocess.run(["sinfo", "-h", "-N", "-o", "%P|%c|%m|%G"], capture_output=True, text=True,
                              timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    found: dict[str, Partition] = {}
    for line in done.stdout.splitlines():
        name, cpus, memory, gres = (line.split("|") + ["", "", ""])[:4]
        default = name.endswith("*")
        name = name.rstrip("*")
        old = found.get(name)
        cpus_n, memory_n = _number(cpus), _number(memory)
        if old is not None:
            cpus_n, memory_n = max(cpus_n, old.cpus), max(memory_n, old.memory_mb)
            gres = ",".join(g for g in (old.gres, gres) if g and g != "(null)")
        found[name] = Partition(name, default, cpus_n, memory_n, gres if gres != "(null)" else "")
    return list(found.values())


def _number(text: str) -> int:
    digits = "".join(ch for ch in text if ch.isdigit())
    return int(digits) if digits else 0


def impossible(params: dict[str, Any], known: list[Partition]) -> Optional[tuple[str, str]]:
    """Why no partition could run a job with ``params`` (the error and its fix), or None."""
    names = ", ".join(p.name for p in known)
    wanted = params.get("partition")
    if wanted is not None:
        chosen = [p for p in known if p.name in str(wanted).split(",")]
        if not chosen:
            return (f"the cluster has no partition '{wanted}'",
                    f"use one of: {names} (task_env.resources.partition)")
    else:
        chosen = [p for p in known if p.default] or known
    cpus = int(params.get("cpus_per_task", 1)) * int(params.get("ntasks_per_node") or 1)
    if chosen and all(p.cpus < cpus for p in chosen):
        most = max(p.cpus for p in chosen)
        return (f"a job asks for {cpus} CPUs per node, and the largest node of {_where(chosen)} has {most}",
                f"ask for at most {most} (task_env.resources.cpu), or choose another partition")
    memory = params.get("mem")
    if memory is not None and chosen:
        need = parse_memory(str(memory).replace("M", "Mi")) // 2**20
        most = max(p.memory_mb for p in chosen)
        if most and need > most:
            return (f"a job asks for {need} MB of memory, and the largest node of {_where(chosen)} has {most} MB",
                    "ask for less (task_env.resources.memory), or choose another partition")
    if params.get("gpus_per_node") and chosen and not any("gpu" in p.gres for p in chosen):
        return (f"a job asks for GPUs, and no node of {_where(chosen)} has any (no gpu GRES)",
                "choose a partition with GPUs (task_env.resources.partition), or drop gpu")
    return None


def _where(chosen: list[Partition]) -> str:
    return ("partition " if len(chosen) == 1 else "partitions ") + ", ".join(p.name for p in chosen)
