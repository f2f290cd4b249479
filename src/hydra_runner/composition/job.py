"""Composed templates and the jobs made from them.

A :class:`JobTemplate` is one composed config split in two: the user's part, copied for
each job, and the ``hydra`` node, which is large (copying it costs more than the rest of a
job) and differs between jobs of a template in five fields only. Jobs therefore share the
template's ``hydra`` node and set those fields when they become the active job; anything
that must outlive the job (``JobReturn.hydra_cfg``, callbacks' configs) gets a real copy.
"""

from __future__ import annotations

import copy
import pickle
from dataclasses import dataclass
from typing import Any, Optional

import omegaconf.base
from omegaconf import MISSING, DictConfig, ListConfig, OmegaConf

from hydra_runner import _compat
from hydra_runner.composition._yaml import dump

__all__ = ["ComposedJob", "JobFields", "JobTemplate"]


@dataclass(frozen=True)
class JobFields:
    """The part of a job's ``hydra`` node that is not shared with its template."""

    task_overrides: tuple[str, ...]
    override_dirname: str
    num: Optional[int]
    output_dir: Optional[str] = None


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

    def __init__(self, composed: DictConfig, key: Any = None) -> None:
        #: What the loader that composed it files it under (see CachingConfigLoader.adopt_template).
        self.key = key
        self._set_parts(composed.hydra, _compat.deepcopy_without(composed, "hydra"))

    def _set_parts(self, hydra: DictConfig, user: DictConfig) -> None:
        # Read-only for good, as HydraConfig's copy is while a job runs: the per-job fields are
        # written child by child (see activate). Toggling the flag on the whole node per job
        # would invalidate OmegaConf's flag cache of its every descendant, twice a job.
        OmegaConf.set_readonly(hydra, True)
        self.hydra: DictConfig = hydra
        self.user: DictConfig = user
        # What HydraConfig holds while a job of this template runs (see HydraConfig.set_config).
        self.hydra_root: DictConfig = _compat.root_sharing(self.hydra)
        self._active: Optional[JobFields] = None
        self._yaml: Optional[_HydraYaml] = None
        self.logging_plan = _LoggingPlan(self.hydra.job_logging)

    # A template is sent to pool workers so that they need not compose it again. The shared
    # hydra node goes without its current parent (the config of the job that last used it).
    def __getstate__(self) -> dict[str, Any]:
        parent = self.hydra._get_parent()
        self.hydra._set_parent(None)
        try:
            hydra = pickle.dumps(self.hydra)
        finally:
            self.hydra._set_parent(parent)
        return {"key": self.key, "hydra": hydra, "user": self.user}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.key = state["key"]
        self._set_parts(pickle.loads(state["hydra"]), state["user"])

    def new_full_config(self) -> DictConfig:
        """A job's full config: a copy of the user's part sharing this ``hydra`` node."""
        full = copy.deepcopy(self.user)
        _compat.attach_shared_node(full, "hydra", self.hydra)
        return full

    # -- the per-job fields -------------------------------------------------------------

    def activate(self, fields: JobFields, full: DictConfig) -> None:
        """Make the shared ``hydra`` node the one of the job with ``fields``."""
        _compat.set_parent(self.hydra, full)
        active = self._active
        if active == fields:
            return
        node = self.hydra
        if active is None or active.task_overrides != fields.task_overrides:
            _compat.set_existing_value(node.overrides, "task", list(fields.task_overrides))
        if active is None or active.override_dirname != fields.override_dirname:
            _compat.set_existing_value(node.job, "override_dirname", fields.override_dirname)
        if active is None or active.num != fields.num:
            num = MISSING if fields.num is None else fields.num
            _compat.set_existing_value(node.job, "id", num)
            _compat.set_existing_value(node.job, "num", num)
        if active is None or active.output_dir != fields.output_dir:
            output_dir = MISSING if fields.output_dir is None else fields.output_dir
            _compat.set_existing_value(node.runtime, "output_dir", output_dir)
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

    def prepare_outputs(self) -> None:
        """Do now what the first job's outputs would (a worker waiting for its first job).

        That is the ``.hydra/hydra.yaml`` text, and OmegaConf's parse of every interpolation
        in the ``hydra`` node (output dirs, log file names), which it keeps (see
        ``_compat.enable_interpolation_parse_cache``).
        """
        self._yaml_writer()

        for text in _interpolations(OmegaConf.to_container(self.hydra, resolve=False)):
            omegaconf.base.parse(text)  # looked up now: _compat memoises it after import

    def hydra_yaml(self) -> str:
        """``OmegaConf.to_yaml`` of the active job's hydra config."""
        assert self._active is not None, "activate() a job before writing its hydra.yaml"
        return self._yaml_writer().render(self.hydra)

    def _yaml_writer(self) -> _HydraYaml:
        if self._yaml is None:
            self._yaml = _HydraYaml(self.hydra_root)
        return self._yaml


def _interpolations(value: Any) -> list[str]:
    """The strings with an interpolation in a container."""
    if isinstance(value, str):
        return [value] if "${" in value else []
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return [text for item in items for text in _interpolations(item)]


# Where the per-job fields (see JobTemplate.activate) live in the hydra node.
_FIELD_SLOTS = (
    ("overrides", "task"),
    ("job", "override_dirname"),
    ("job", "id"),
    ("job", "num"),
    ("runtime", "output_dir"),
)


class _HydraYaml:
    """A template's hydra.yaml, dumped once with placeholders where the per-job fields go.

    Block-style YAML entries are independent: an entry dumped on its own at the same depth
    reads exactly as it does inside the whole dump, so a job's text is the template's text
    with each placeholder entry replaced by the job's own entry.
    """

    def __init__(self, hydra_root: DictConfig) -> None:
        whole = OmegaConf.to_container(hydra_root, resolve=False, enum_to_str=True)
        hydra = whole["hydra"]  # type: ignore[index,call-overload]
        self.placeholders: list[str] = []
        for index, (child, name) in enumerate(_FIELD_SLOTS):
            placeholder = f"hydrarunnerplaceholder{index}x"
            hydra[child][name] = placeholder
            self.placeholders.append(_entry(child, name, placeholder))
        self.text = dump(whole)

    def render(self, hydra: DictConfig) -> str:
        """The text for the job whose fields ``hydra`` holds now."""
        text = self.text
        for placeholder, (child, name) in zip(self.placeholders, _FIELD_SLOTS):
            # Read back from the node: it holds values as their schema typed them (job.id is a str).
            node = hydra._get_node(child)._get_node(name)  # type: ignore[union-attr]
            value = OmegaConf.to_container(node, resolve=False) if isinstance(node, ListConfig) else node._value()
            text = text.replace(placeholder, _entry(child, name, value), 1)
        return text


def _entry(child: str, name: str, value: Any) -> str:
    """The YAML lines of ``hydra.<child>.<name>: value`` as they read inside hydra.yaml."""
    text = dump({"hydra": {child: {name: value}}})
    return text[text.index("\n", len("hydra:\n")) + 1 :]


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
        full = copy.deepcopy(self.full)
        OmegaConf.set_readonly(full.hydra, None)  # as Hydra composes it: writable (BasicLauncher sets job.num)
        return full
