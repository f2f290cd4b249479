"""A Hydra ``ConfigLoader`` that composes each distinct structure once.

Hydra recomposes the whole config, ``hydra`` node included, for every job of a sweep.
Yet only overrides that pick config groups (or touch ``hydra``) change what the defaults
list composes; plain value overrides are applied after composition by
``ConfigLoaderImpl._apply_overrides_to_config``. So a job's config is::

    compose(config_name, hydra overrides + structural overrides)   # cached: a template
    + the job's value overrides, applied by Hydra's own function, in order

which is the same answer Hydra gives, at a fraction of the cost. Whatever the split
cannot decide goes through full composition.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

from hydra.core.config_search_path import ConfigSearchPath
from hydra.core.config_store import ConfigStore
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from hydra.core.plugins import Plugins
from hydra.errors import ConfigCompositionException
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from hydra_runner import _compat
from hydra_runner._compat import (
    CachingConfigRepository,
    ConfigLoaderBase,
    ConfigLoaderImpl,
    ConfigRepository,
)
from hydra_runner.composition.job import ComposedJob, JobTemplate
from hydra_runner.composition.shadowed_values import self_placement_hint

__all__ = ["CachingConfigLoader", "check_jobs"]

log = logging.getLogger(__name__)


@dataclass
class _SplitOverrides:
    structural: list[Override] = field(default_factory=list)
    values: list[Override] = field(default_factory=list)
    task_lines: list[str] = field(default_factory=list)
    app_overrides: list[Override] = field(default_factory=list)


class CachingConfigLoader(ConfigLoaderBase):
    """``ConfigLoaderImpl`` whose ``load_sweep_config`` reuses composed templates."""

    def __init__(self, config_search_path: ConfigSearchPath, max_templates: int = 256,
                 max_parsed: int = 1024) -> None:
        super().__init__(config_search_path=config_search_path)
        _compat.enable_interpolation_parse_cache()
        self._max_templates = max_templates
        self._templates: dict[tuple[Any, ...], JobTemplate] = {}
        # Bounded: a long sweep's lines are mostly seen once (x=0 ... x=99999); the oldest go first.
        self._max_parsed = max_parsed
        self._parsed: dict[str, Override] = {}
        self._repos: dict[tuple[str, ...], CachingConfigRepository] = {}
        self._parser: Optional[OverridesParser] = None
        # Jobs composed to validate a batch, kept for the launcher that runs them next.
        self._validated: dict[tuple[Any, ...], ComposedJob] = {}
        self._master: Optional[tuple[DictConfig, Any, Optional[str]]] = None
        # Repositories live as long as the loader (in _repos), so their ids stay unique.
        self._groups: dict[tuple[int, str], bool] = {}
        # Which ConfigStore the repository's structured sources read (see load_sweep_config).
        self._store_id = id(ConfigStore.instance())
        self._hints_given: set[str] = set()
        # The config Hydra's get_mode composed, for the multirun composition that follows it.
        self._mode_probe: Optional[tuple[tuple[Any, ...], DictConfig]] = None

    def __getstate__(self) -> dict[str, Any]:
        # Caches hold OmegaConf trees and parser state; a copy in another process rebuilds them.
        state = self.__dict__.copy()
        state.update(_templates={}, _parsed={}, _repos={}, _parser=None, _validated={}, _master=None, _groups={},
                     _mode_probe=None)
        del state["repository"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

        Plugins.instance()  # registers the config source types in a fresh process
        _compat.enable_interpolation_parse_cache()
        self.refresh_repository()

    def refresh_repository(self) -> None:
        """Rebuild the config repository on Hydra's current ConfigStore.

        Structured config sources keep the ConfigStore they were created with; after the
        ConfigStore singleton is replaced (a worker restoring state), they must be recreated.
        """
        self.repository = ConfigRepository(config_search_path=self.config_search_path)
        self._repos.clear()
        self._groups.clear()
        self._store_id = id(ConfigStore.instance())

    # -- Hydra's ConfigLoader API -------------------------------------------------------

    def keep_mode_probe(self, config_name: Optional[str], overrides: Sequence[str], cfg: DictConfig) -> None:
        """Keep the config ``get_mode`` composed (and threw away) for the multirun that follows."""
        self._mode_probe = ((config_name, tuple(overrides)), cfg)

    def load_configuration(
        self,
        config_name: Optional[str],
        overrides: list[str],
        run_mode: RunMode,
        from_shell: bool = True,
        validate_sweep_overrides: bool = True,
    ) -> DictConfig:
        probe, self._mode_probe = self._mode_probe, None
        if probe is not None and run_mode == RunMode.MULTIRUN:
            (probe_name, probe_overrides), cfg = probe
            added = tuple(overrides[len(probe_overrides):])
            # A multirun composes the same overrides again with hydra.mode set (or not, when
            # the config sets it). That override only sets a value, and defaults can only
            # interpolate group choices, so the probe plus the override is the same config.
            if (probe_name == config_name and tuple(overrides[: len(probe_overrides)]) == probe_overrides
                    and added in ((), ("hydra.mode=MULTIRUN",))):
                if validate_sweep_overrides:
                    self.validate_sweep_overrides_legal(self._parse(overrides), run_mode, from_shell)
                if added:
                    ConfigLoaderImpl._apply_overrides_to_config(self._parse(list(added)), cfg)
                    cfg.hydra.overrides.hydra.extend(added)
                return cfg
        return super().load_configuration(config_name, overrides, run_mode, from_shell, validate_sweep_overrides)

    def load_sweep_config(self, master_config: DictConfig, sweep_overrides: list[str]) -> DictConfig:
        # Other launchers' workers (joblib's) restore Hydra's singletons after this loader
        # was unpickled: the ConfigStore its sources hold is then not the current one.
        if id(ConfigStore.instance()) != self._store_id:
            self.refresh_repository()
        job = self.compose_job(master_config, sweep_overrides)
        return job.materialize_full_config()

    def _parse_overrides_and_create_caching_repo(
        self, config_name: Optional[str], overrides: list[str], parsed_overrides: Optional[list[Override]] = None
    ) -> tuple[list[Override], CachingConfigRepository]:
        # Every composition starts here: with this loader's parses (or Hydra 1.4's, which
        # expanded the primary config's aliases), and a repository made without copying the ConfigStore.
        parsed = self._parse(overrides) if parsed_overrides is None else parsed_overrides
        repo = _compat.caching_repository(self.repository)
        self._process_config_searchpath(config_name, parsed, repo)
        return parsed, repo

    def compute_defaults_list(self, config_name: Optional[str], overrides: list[str], run_mode: RunMode) -> Any:
        defaults = super().compute_defaults_list(config_name, overrides, run_mode)
        # Only --info asks for the defaults list (a run composes without it), so runs pay nothing.
        _, repo = self._parse_overrides_and_create_caching_repo(config_name, overrides)
        hint = self_placement_hint(defaults, repo)
        if hint is not None and hint not in self._hints_given:
            self._hints_given.add(hint)
            log.warning(hint)
        return defaults

    # -- the fast path --------------------------------------------------------------------

    def compose_job(
        self, master_config: DictConfig, sweep_overrides: Sequence[str], job_num: Optional[int] = None
    ) -> ComposedJob:
        """The job config for ``sweep_overrides``, as ``load_sweep_config`` would compose it."""
        key = self._validation_key(master_config, sweep_overrides)
        validated = self._validated.pop(key, None)
        if validated is not None:
            validated.num = job_num
            return validated
        hydra_lines, config_name = self._master_facts(master_config)
        try:
            split = self._split(hydra_lines, config_name, sweep_overrides)
            template = self._template(config_name, hydra_lines, split.structural)
            full = template.new_full_config()
            ConfigLoaderImpl._apply_overrides_to_config(split.values, full)
        except OmegaConfBaseException as e:
            raise ConfigCompositionException().with_traceback(e.__traceback__) from e
        override_dirname = _compat.override_dirname(split.app_overrides, template.hydra.job)
        OmegaConf.copy_cache(from_config=master_config, to_config=full)
        return ComposedJob(
            template=template,
            full=full,
            task_overrides=split.task_lines,
            override_dirname=override_dirname,
            num=job_num,
        )

    def compose_run(self, config_name: Optional[str], overrides: Sequence[str]) -> ComposedJob:
        """The config of a single run with ``overrides`` (what ``hydra.compose`` returns)."""
        parsed = self._parse(list(overrides))
        hydra_lines = [str(o.input_line) for o in parsed if o.is_hydra_override()]
        others = [str(o.input_line) for o in parsed if not o.is_hydra_override()]
        master = OmegaConf.create({"hydra": {"overrides": {"hydra": hydra_lines}, "job": {"config_name": config_name}}})
        return self.compose_job(master, others)

    def validate_job(self, master_config: DictConfig, sweep_overrides: Sequence[str]) -> None:
        """Raise what composing this job would raise; the result serves the next compose_job."""
        job = self.compose_job(master_config, sweep_overrides)
        self._validated[self._validation_key(master_config, sweep_overrides)] = job

    def take_validated(self, master_config: DictConfig, sweep_overrides: Sequence[str]) -> Optional[ComposedJob]:
        """The job composed to validate ``sweep_overrides``, no longer kept (it runs elsewhere)."""
        return self._validated.pop(self._validation_key(master_config, sweep_overrides), None)

    def prepare_for(self, master_config: DictConfig) -> None:
        """Build the config repository that jobs of ``master_config`` without hydra overrides use."""
        hydra_lines, config_name = self._master_facts(master_config)
        self._repo(config_name, hydra_lines)

    def adopt_template(self, template: JobTemplate) -> None:
        """Use ``template``, composed by another loader with the same configs, instead of composing it."""
        _put_bounded(self._templates, template.key, template, self._max_templates)

    def forget_validated(self) -> None:
        """Drop jobs composed for validation that no launcher asked for (skipped or never run)."""
        self._validated.clear()

    @staticmethod
    def _validation_key(master_config: DictConfig, sweep_overrides: Sequence[str]) -> tuple[Any, ...]:
        # The master config object itself: jobs validated for one sweep serve only that sweep.
        return (id(master_config), *sweep_overrides)

    # -- helpers --------------------------------------------------------------------------

    def _master_facts(self, master_config: DictConfig) -> tuple[list[str], Optional[str]]:
        """The master config's hydra overrides and config name, read once per sweep."""
        cached = self._master
        if cached is None or cached[0] is not master_config:
            # Unresolved: an override may carry an interpolation such as ${hydra.job.override_dirname}.
            lines = OmegaConf.to_container(master_config.hydra.overrides.hydra, resolve=False)
            cached = self._master = (master_config, lines, master_config.hydra.job.config_name)
        return list(cached[1]), cached[2]

    def _is_group(self, repo: CachingConfigRepository, key: str) -> bool:
        found = self._groups.get((id(repo), key))
        if found is None:
            found = self._groups[(id(repo), key)] = repo.group_exists(key)
        return found

    def take_parsed(self, overrides: Sequence[Override]) -> None:
        """Overrides whose parse is known (a sweeper built them from values): composing their lines skips the parser."""
        for override in overrides:
            _put_bounded(self._parsed, str(override.input_line), override, self._max_parsed)

    def known_parsed(self, lines: Sequence[str]) -> list[Override]:
        """The parses of ``lines`` this loader already has (for :meth:`take_parsed` elsewhere)."""
        return [self._parsed[line] for line in lines if line in self._parsed]

    def _parse(self, lines: Sequence[str]) -> list[Override]:
        known = {line: self._parsed[line] for line in lines if line in self._parsed}
        missing = [line for line in lines if line not in known]
        if missing:
            if self._parser is None:
                self._parser = OverridesParser.create()
            for line, parsed in zip(missing, self._parser.parse_overrides(overrides=missing)):
                known[line] = parsed
                _put_bounded(self._parsed, line, parsed, self._max_parsed)
        return [known[line] for line in lines]

    def _repo(self, config_name: Optional[str], hydra_lines: list[str]) -> CachingConfigRepository:
        key = (str(config_name), *hydra_lines)
        repo = self._repos.get(key)
        if repo is None:
            _, repo = self._parse_overrides_and_create_caching_repo(config_name, hydra_lines)
            self._repos[key] = repo
        return repo

    def _split(
        self, hydra_lines: list[str], config_name: Optional[str], lines: Sequence[str]
    ) -> _SplitOverrides:
        parsed = self._parse(list(lines))
        job_hydra_lines = [o.input_line for o in parsed if o.is_hydra_override()]
        repo = self._repo(config_name, hydra_lines + [str(x) for x in job_hydra_lines])
        split = _SplitOverrides()
        for override in parsed:
            if override.is_hydra_override():
                split.structural.append(override)
                continue
            split.task_lines.append(str(override.input_line))
            split.app_overrides.append(override)
            if override.is_sweep_override() or (
                not isinstance(override.value(), dict) and self._is_group(repo, override.key_or_group)
            ):
                split.structural.append(override)
            else:
                split.values.append(override)
        return split

    def _template(
        self, config_name: Optional[str], hydra_lines: list[str], structural: list[Override]
    ) -> JobTemplate:
        structural_lines = [str(o.input_line) for o in structural]
        key = (config_name, tuple(hydra_lines), tuple(structural_lines))
        template = self._templates.get(key)
        if template is None:
            cfg = self.load_configuration(
                config_name=config_name,
                overrides=hydra_lines + structural_lines,
                run_mode=RunMode.RUN,
            )
            template = JobTemplate(cfg, key)
            self.adopt_template(template)
        return template


def check_jobs(loader: Any, config: DictConfig, jobs: Sequence[Sequence[str]], *, keep: bool = False) -> None:
    """Raise what composing any of ``jobs`` would raise, as BasicSweeper's ``validate_batch_is_legal`` does.

    ``keep``: the jobs are about to run, and the caching loader keeps their compositions for them.
    """
    for overrides in jobs:
        if not isinstance(loader, CachingConfigLoader):
            loader.load_sweep_config(config, list(overrides))
        elif keep:
            loader.validate_job(config, overrides)
        else:
            loader.compose_job(config, overrides)


def _put_bounded(cache: dict[Any, Any], key: Any, value: Any, limit: int) -> None:
    """``cache[key] = value``, first dropping the oldest entry if the cache is full."""
    if key not in cache and len(cache) >= limit:
        del cache[next(iter(cache))]
    cache[key] = value
