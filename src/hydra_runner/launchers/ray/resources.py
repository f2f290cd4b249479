"""What a job asks of Ray: task options from its ``task_env``, checked against the live nodes.

Shared by both ways a sweep runs on Ray (tasks of a waiting sweep, Ray jobs left on a cluster).
"""

from __future__ import annotations

from typing import Any, Optional

from hydra_runner.errors import UsageError
from hydra_runner.launchers.task_env import TaskEnv, parse_memory

__all__ = ["PROJECT_EXCLUDES", "apply_task_env", "describe", "infeasible", "task_options"]

#: Never part of the project as sent to a cluster: outputs, environments, caches.
PROJECT_EXCLUDES = (".git/", ".venv/", "venv/", ".tools/", "outputs/", "multirun/", "mlruns/", "__pycache__/",
                    "*.pyc", ".pytest_cache/", ".hydra-runner/")


def task_options(config: Any, task_name: str, key: str = "task_env",
                 default_resources: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    """Ray task options from the job's ``task_env`` (see :mod:`.task_env`); ``default_resources`` if it asks for none."""
    env = TaskEnv.of(config, task_name, key)
    resources = dict(env.resources or default_resources or {})
    options: dict[str, Any] = {"num_cpus": float(resources.pop("cpu", 1)), "max_retries": 0}
    if "gpu" in resources:
        options["num_gpus"] = float(resources.pop("gpu"))
    if "memory" in resources:
        options["memory"] = parse_memory(resources.pop("memory"))
    if resources:
        options["resources"] = {str(k): float(v) for k, v in resources.items()}
    runtime_env = dict(env.runtime_env)
    if env.env_vars:
        runtime_env["env_vars"] = env.env_vars
    if runtime_env:
        options["runtime_env"] = runtime_env
    return options


def apply_task_env(fn: Any, cfg: Any, *, key: str = "task_env", task_name: Optional[str] = None) -> Any:
    """``fn`` as a Ray remote function with the resources and environment of ``cfg``'s task_env.

    For a job that starts Ray tasks of its own: they get what the job was given. The task's
    name (for a task_env keyed by task) defaults to the running Hydra job's.
    """
    import ray

    if task_name is None:
        from hydra.core.hydra_config import HydraConfig

        task_name = str(HydraConfig.get().job.name) if HydraConfig.initialized() else ""
    options = task_options(cfg, task_name, key)
    options.pop("max_retries")  # Ray's own default for a child task
    remote = fn if hasattr(fn, "options") and hasattr(fn, "remote") else ray.remote(fn)
    return remote.options(**options)


def describe(options: dict[str, Any]) -> str:
    parts = [f"cpu={options['num_cpus']:g}"]
    if "num_gpus" in options:
        parts.append(f"gpu={options['num_gpus']:g}")
    parts += [f"{k}={v:g}" for k, v in options.get("resources", {}).items()]
    return " ".join(parts)


def infeasible(options: dict[str, Any], nodes: list[dict[str, Any]]) -> Optional[str]:
    """What the job asks for that no live node has, or None when some node could run it."""
    wanted = {"CPU": options["num_cpus"], "GPU": options.get("num_gpus", 0), "memory": options.get("memory", 0),
              **options.get("resources", {})}
    wanted = {k: v for k, v in wanted.items() if v}
    for node in nodes:
        have = node.get("Resources", {})
        if node.get("Alive") and all(have.get(k, 0) >= v for k, v in wanted.items()):
            return None
    return ", ".join(f"{k}={v:g}" for k, v in wanted.items())


def check_reachable(address: str, timeout: float = 5.0) -> None:
    """Refuse a Ray address whose host does not accept a connection (``auto`` and ``local`` pass)."""
    import socket
    from urllib.parse import urlsplit

    if address in ("auto", "local"):
        return
    split = urlsplit(address if "://" in address else f"ray://{address}")
    if not split.hostname or split.port is None:
        return
    try:
        socket.create_connection((split.hostname, split.port), timeout=timeout).close()
    except OSError as e:
        raise UsageError(f"cannot reach Ray at {address}: {e.strerror or e}",
                         fix="start the cluster there (ray start --head), or give --ray-address the address "
                             "its head node prints") from e
