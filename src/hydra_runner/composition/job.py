"""Composed templates and the jobs made from them.

A :class:`JobTemplate` is one composed config split in two: the user's part, copied for
each job, and the ``hydra`` node, which is large (copying it costs more than the rest of a
job) and differs between jobs of a template in five fields only. Jobs therefore share the
template's ``hydra`` node and set those fields when they become the active job; anything
that must outlive the job (``JobReturn.hydra_cfg``, callbacks' configs) gets a real copy.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Optional

import yaml
from omegaconf import MISSING, DictConfig, ListConfig, OmegaConf, read_write
from omegaconf._utils import get_omega_conf_dumper

from hydra_runner import _compat

__all__ = ["ComposedJob", "JobFields", "JobTemplate"]

# The hydra.* children whose content changes from one job of a template to the next.
_PER_JOB_CHILDREN = ("overrides", "job", "runtime")


@dataclass(frozen=True)
class JobFields:
    """The part of a job's ``hydra`` node that is not shared with its template."""

    task_overrides: tuple[str, ...]
    override_dirname: str
    num: Optional[int]
    output_dir: Optional[str] = None


def _fast_dumper() -> Any:
    """OmegaConf's YAML dumper on libyaml's emitter when PyYAML has it (same text, faster)."""
    if not getattr(yaml, "__with_libyaml__", False):
        return get_omega_conf_dumper()

    class _Dumper(yaml.CDumper):  # type: ignore[misc,name-defined]
        pass

    _Dumper.add_representer(str, get_omega_conf_dumper().str_representer)
    return _Dumper


_DUMPER = _fast_dumper()


def _dump(data: Any) -> str:
    return yaml.dump(  # type: ignore[no-any-return]
        data, default_flow_style=False, allow_unicode=True, sort_keys=False, Dumper=_DUMPER
    )


class _LoggingPlan:
    """Resolves ``hydra.job_logging`` per job by resolving only its interpolations."""

    def __init__(self, node: Any) -> None:
        self.node = node
        self.unresolved = None if node is None else OmegaConf.to_container(node, resolve=False)
        self.interpolations: list[tuple[tuple[Any, ...], Any, Any]] = []
        if node is not None:
            self._collect(node, ())

    def _collect(self, node: Any, path: tuple[Any, ...]) -> None:
        keys = node.keys() if isinstance(node, DictConfig) else range(len(node))
        for key in keys:
            if OmegaConf.is_interpolation(node, key):
                self.interpolations.append((path + (key,), node, key))
                continue
            child = node._get_node(key)
            if isinstance(child, (DictConfig, ListConfig)) and not child._is_none() and not child._is_missing():
                self._collect(child, path + (key,))

    def resolved(self) -> Optional[dict[str, Any]]:
        if self.unresolved is None:
            return None
        conf = copy.deepcopy(self.unresolved)
        for path, parent, key in self.interpolations:
            value = parent[key]
            if isinstance(value, (DictConfig, ListConfig)):
                value = OmegaConf.to_container(value, resolve=True)
            target = conf
            for part in path[:-1]:
                target = target[part]
            target[path[-1]] = value
        return conf  # type: ignore[return-value]


class JobTemplate:
    """One composed config (``hydra`` node included) that many jobs start from."""

    def __init__(self, composed: DictConfig) -> None:
        self.hydra: DictConfig = composed.hydra
        self.user: DictConfig = _compat.deepcopy_without(composed, "hydra")
        # What HydraConfig holds while a job of this template runs (see HydraConfig.set_config).
        self.hydra_root: DictConfig = _compat.root_sharing(self.hydra)
        self._active: Optional[JobFields] = None
        self._yaml_static: Optional[dict[str, str]] = None
        self.logging_plan = _LoggingPlan(self.hydra.job_logging)

    def new_full_config(self) -> DictConfig:
        """A job's full config: a copy of the user's part sharing this ``hydra`` node."""
        full = copy.deepcopy(self.user)
        _compat.attach_shared_node(full, "hydra", self.hydra)
        return full

    # -- the per-job fields -------------------------------------------------------------

    def activate(self, fields: JobFields, full: DictConfig) -> None:
        """Make the shared ``hydra`` node the one of the job with ``fields``."""
        _compat.set_parent(self.hydra, full)
        if self._active == fields:
            return
        node = self.hydra
        with read_write(node):
            if self._active is None or self._active.task_overrides != fields.task_overrides:
                node.overrides.task = list(fields.task_overrides)
            node.job.override_dirname = fields.override_dirname
            node.job.id = MISSING if fields.num is None else fields.num
            node.job.num = MISSING if fields.num is None else fields.num
            node.runtime.output_dir = MISSING if fields.output_dir is None else fields.output_dir
        self._active = fields

    def snapshot_hydra_root(self, fields: JobFields, full: DictConfig) -> DictConfig:
        """A standalone copy of HydraConfig's config as it is for the job with ``fields``."""
        previous, previous_parent = self._active, self.hydra._get_parent()
        self.activate(fields, full)
        try:
            snapshot = copy.deepcopy(self.hydra_root)
            OmegaConf.set_readonly(snapshot.hydra, True)
            return snapshot
        finally:
            if previous is not None:
                self.activate(previous, previous_parent)

    # -- outputs --------------------------------------------------------------------------

    def hydra_yaml(self) -> str:
        """``OmegaConf.to_yaml`` of the active job's hydra config, reusing unchanged parts."""
        if self._yaml_static is None:
            whole = OmegaConf.to_container(self.hydra_root, resolve=False, enum_to_str=True)["hydra"]  # type: ignore[index]
            self._yaml_static = {
                key: _dump_child(key, value) for key, value in whole.items() if key not in _PER_JOB_CHILDREN
            }
        parts = ["hydra:\n"]
        for key in self.hydra.keys():
            static = self._yaml_static.get(key)
            if static is None:
                child = OmegaConf.to_container(self.hydra._get_node(key), resolve=False, enum_to_str=True)
                static = _dump_child(key, child)
            parts.append(static)
        return "".join(parts)


def _dump_child(key: Any, value: Any) -> str:
    # Block-style YAML entries are independent: dumping each child of `hydra` on its own
    # and concatenating gives the same text as dumping the whole node.
    return _dump({"hydra": {key: value}})[len("hydra:\n"):]


@dataclass
class ComposedJob:
    """A job's config, composed but not yet run."""

    template: JobTemplate
    full: DictConfig
    task_overrides: list[str]
    override_dirname: str
    num: Optional[int] = None
    output_dir: Optional[str] = None

    @property
    def fields(self) -> JobFields:
        return JobFields(tuple(self.task_overrides), self.override_dirname, self.num, self.output_dir)

    def activate(self) -> None:
        self.template.activate(self.fields, self.full)

    def set_output_dir(self, output_dir: str) -> None:
        self.output_dir = output_dir
        self.activate()

    def task_config(self) -> DictConfig:
        """The config the task receives: the job's config without ``hydra``."""
        return _compat.deepcopy_without(self.full, "hydra")

    def materialize_full_config(self) -> DictConfig:
        """A standalone copy of the job's full config, as ``load_sweep_config`` returns it."""
        self.activate()
        return copy.deepcopy(self.full)
