"""A job's ``task_env``: the resources and environment it asks its launcher for.

    task_env:                              task_env:            # keyed by task name
      resources: {cpu: 2, gpu: 0.5,          train:
                  memory: 8Gi, a100: 1}        resources: {gpu: 1}
      env_vars: {NCCL_DEBUG: INFO}
      runtime_env: {pip: [...]}

Presets are plain config groups (``+task_env=a100``). Ray reads all of it; the process
pool sizes its slots from ``cpu`` and ``gpu``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from omegaconf import DictConfig, OmegaConf

from hydra_runner.errors import UsageError

__all__ = ["TaskEnv", "parse_memory"]

_UNITS = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12,
          "ki": 2**10, "mi": 2**20, "gi": 2**30, "ti": 2**40}


@dataclass(frozen=True)
class TaskEnv:
    resources: dict[str, Any] = field(default_factory=dict)
    env_vars: dict[str, str] = field(default_factory=dict)
    runtime_env: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, config: Any, task_name: str, key: str = "task_env") -> TaskEnv:
        """The ``key`` node of ``config`` (its entry for ``task_name`` when it has one)."""
        node = OmegaConf.select(config, key) if isinstance(config, DictConfig) else None
        env = OmegaConf.to_container(node, resolve=True) if node is not None else {}
        if not isinstance(env, dict):
            raise UsageError(f"{key} is {type(env).__name__}, not a mapping",
                             fix=f"write {key}: {{resources: {{cpu: 2}}}}")
        if task_name in env and isinstance(env[task_name], dict):
            env = env[task_name]
        return cls(
            resources=dict(env.get("resources") or {}),
            env_vars={str(k): str(v) for k, v in (env.get("env_vars") or {}).items()},
            runtime_env=dict(env.get("runtime_env") or {}),
        )

    @property
    def cpu(self) -> float:
        return float(self.resources.get("cpu", 1))

    @property
    def gpu(self) -> float:
        return float(self.resources.get("gpu", 0))


def parse_memory(value: Any) -> int:
    """Bytes from ``8Gi``, ``512Mi``, ``2G`` or a number."""
    if isinstance(value, (int, float)):
        return int(value)
    match = re.fullmatch(r"\s*([0-9.]+)\s*([kKmMgGtT]i?)?[bB]?\s*", str(value))
    if match is None:
        raise UsageError(f"memory {value!r} is not a size", fix="write it like 8Gi, 512Mi or 2G")
    return int(float(match.group(1)) * _UNITS[(match.group(2) or "").lower()])
