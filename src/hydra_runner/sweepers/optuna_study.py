"""A sweep's Optuna study, asked and told by job number: everything of the sweep that touches Optuna.

:class:`OptunaStudy` lives in the process that holds the study: the sweep's own, or the
study process the CLI starts ahead (:mod:`._study_process`), which reaches it through a
proxy with the same methods. So what crosses between them is plain data (params, values,
job numbers) described by :class:`StudySettings`.
"""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from hydra.utils import get_method, instantiate
from omegaconf import DictConfig

from hydra_runner.sweepers.search_space import Param

__all__ = ["JOB_ATTR", "STUDY_FILE", "SWEEP_ATTR", "OptunaStudy", "StudySettings", "study_storage",
           "write_trials_csv"]

STUDY_FILE = "optuna.journal"
# Trial user attributes tying a trial to its job.
JOB_ATTR = "hydra_runner.job"
SWEEP_ATTR = "hydra_runner.sweep_dir"


@dataclass
class StudySettings:
    """Which study a sweep runs, in terms that can be sent to another process."""

    sweep_dir: str
    study_name: str
    directions: list[str]
    #: The search space; Optuna's distributions are built where the study lives.
    params: list[Param]
    #: A sampler or pruner, or its config (``_target_`` and arguments).
    sampler: Any = None
    pruner: Any = None
    #: None (a journal file in the sweep dir), a journal file path or an Optuna storage URL or object.
    storage: Any = None
    #: False when a sweep is resumed: its study file is kept.
    fresh: bool = True
    #: ``module.function`` called with the sweep's config and each trial, and that config.
    custom_search_space: Optional[str] = None
    config: Optional[DictConfig] = None

    def sendable(self) -> StudySettings:
        """These settings without what only this process needs (each param's parsed override)."""
        return dataclasses.replace(self, params=[dataclasses.replace(p, source=None) for p in self.params])


class OptunaStudy:
    """The Optuna study of one sweep; trials are known by their job number."""

    #: What a proxy in another process may call.
    METHODS = frozenset({"enqueue", "ask", "tell", "report", "trials_by_job", "fail_interrupted", "write_trials_csv",
                         "close"})

    def __init__(self, settings: StudySettings) -> None:
        import optuna

        self.settings = settings
        # The progress line reports every trial; Optuna's own line per trial would repeat it.
        self._verbosity = optuna.logging.get_verbosity()
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        sweep_dir = Path(settings.sweep_dir)
        self.study = optuna.create_study(
            storage=study_storage(settings.storage, sweep_dir, fresh=settings.fresh),
            sampler=_built(settings.sampler),
            # Without a configured pruner nothing is pruned (Optuna's own default would prune).
            pruner=_built(settings.pruner) or optuna.pruners.NopPruner(),
            study_name=settings.study_name,
            directions=settings.directions,
            load_if_exists=True,
        )
        self.sweep_dir = str(sweep_dir.absolute())
        self.distributions = {p.name: p.distribution() for p in settings.params}
        self.extend = get_method(settings.custom_search_space) if settings.custom_search_space else None
        #: Running trials by job number (a trial object, or its number for one an earlier session asked).
        self.asked: dict[int, Any] = {}

    def enqueue(self, params: dict[str, Any]) -> None:
        self.study.enqueue_trial(params)

    def ask(self, num: int, params: Optional[dict[str, Any]] = None) -> dict[str, Any]:
        """A new trial for job ``num`` (with ``params`` fixed, if given); its params, as overrides."""
        if params is not None:
            self.study.enqueue_trial(params)
        trial = self.study.ask(self.distributions)
        asked = dict(trial.params)
        if self.extend is not None:
            before = set(trial.user_attrs)
            self.extend(self.settings.config, trial)
            asked = dict(trial.params)
            # As in hydra-optuna-sweeper: user attributes the extension sets are overrides too.
            asked.update({k: v for k, v in trial.user_attrs.items() if k not in before})
        trial.set_user_attr(JOB_ATTR, num)
        trial.set_user_attr(SWEEP_ATTR, self.sweep_dir)
        self.asked[num] = trial
        return asked

    def tell(self, num: int, values: Optional[list[float]] = None, *, pruned: bool = False,
             reason: Optional[str] = None) -> None:
        """Job ``num`` ended: with ``values``, else pruned or failed (``reason`` says why)."""
        from optuna.trial import TrialState

        trial = self.asked.pop(num)
        if values is not None:
            self.study.tell(trial, values)
            return
        if reason and not isinstance(trial, int):
            trial.set_user_attr("fail_reason", reason[:500])
        try:
            self.study.tell(trial, state=TrialState.PRUNED if pruned else TrialState.FAIL)
        except ValueError:  # a pruned multi-objective trial: Optuna has no such state for it
            self.study.tell(trial, state=TrialState.FAIL)

    def report(self, num: int, value: float, step: int) -> bool:
        """An intermediate value of job ``num``; True if the pruner says to stop it."""
        trial = self.asked.get(num)
        if trial is None or isinstance(trial, int) or len(self.settings.directions) > 1:
            return False  # Optuna prunes single-objective studies only
        trial.report(value, step)
        return bool(trial.should_prune())

    def trials_by_job(self) -> dict[int, tuple[dict[str, Any], bool]]:
        """For a resumed sweep: each job's latest trial in this sweep, as its params and whether it runs.

        Running ones are remembered as asked, so a job that ended while the sweep was down
        can be told; :meth:`fail_interrupted` fails the rest.
        """
        from optuna.trial import TrialState

        latest = {t.user_attrs[JOB_ATTR]: t for t in sorted(self._mine(), key=lambda t: t.number)}
        running = {num: t.number for num, t in latest.items() if t.state == TrialState.RUNNING}
        self.asked.update(running)
        return {num: (dict(t.params), num in running) for num, t in latest.items()}

    def fail_interrupted(self) -> None:
        """Fail this sweep's trials that are still running in the study: their sweep was killed."""
        from optuna.trial import Trial, TrialState

        for trial in self._mine():
            if trial.state == TrialState.RUNNING:
                Trial(self.study, trial._trial_id).set_user_attr("fail_reason", "interrupted")
                self.study.tell(trial.number, state=TrialState.FAIL)
        self.asked.clear()

    def _mine(self) -> list[Any]:
        return [t for t in self.study.get_trials(deepcopy=False) if t.user_attrs.get(SWEEP_ATTR) == self.sweep_dir]

    def write_trials_csv(self, path: str) -> None:
        write_trials_csv(self.study, Path(path))

    def close(self) -> None:
        import optuna

        optuna.logging.set_verbosity(self._verbosity)


def study_storage(storage: Any, sweep_dir: Path, *, fresh: bool) -> Any:
    """The Optuna storage a sweep's ``storage`` setting names; None: a journal file in the sweep dir.

    ``fresh``: a new sweep in a reused dir starts a new study (as its sweep journal does).
    """
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    if storage is None:
        from hydra_runner.sweepers._study_file import SweepStudyFile

        path = sweep_dir / STUDY_FILE
        if path.exists() and fresh:
            path.unlink()
        return JournalStorage(SweepStudyFile(str(path)))
    if isinstance(storage, str) and "://" not in storage:
        return JournalStorage(JournalFileBackend(storage))  # a file path: an Optuna journal file
    return storage


def _built(spec: Any) -> Any:
    """A sampler or pruner from its config (``_target_`` and arguments); Hydra may have built it already."""

    if isinstance(spec, (Mapping, DictConfig)):
        return instantiate(spec)
    return spec


def write_trials_csv(study: Any, path: Path) -> None:
    """The study's trials, one row each, with the columns of Optuna's ``trials_dataframe``."""
    trials = study.get_trials(deepcopy=False)
    param_names = sorted({name for t in trials for name in t.params})
    attr_names = sorted({name for t in trials for name in t.user_attrs})
    n_values = max((len(t.values) for t in trials if t.values), default=1)
    value_columns = ["value"] if n_values == 1 else [f"values_{i}" for i in range(n_values)]
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["number", *value_columns, "datetime_start", "datetime_complete", "duration",
                         *(f"params_{n}" for n in param_names), *(f"user_attrs_{n}" for n in attr_names), "state"])
        for t in trials:
            values = list(t.values) if t.values else [None] * n_values
            duration = (t.datetime_complete - t.datetime_start) if t.datetime_complete and t.datetime_start else None
            writer.writerow([t.number, *values, t.datetime_start, t.datetime_complete, duration,
                             *(t.params.get(n) for n in param_names), *(t.user_attrs.get(n) for n in attr_names),
                             t.state.name])
