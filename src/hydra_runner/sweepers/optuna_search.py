"""``hydra/sweeper=optuna``: Optuna studies on hydra-runner's launchers, asynchronous and resumable.

Reads hydra-optuna-sweeper's config fields (``direction``, ``study_name``, ``storage``,
``n_trials``, ``n_jobs``, ``sampler``, ``params``, ``custom_search_space``) and adds
``timeout``, ``pruner``, ``objective`` and ``enqueue``. Trials are asked in this process
the moment a slot frees up and told here when their job ends, so one process writes the
study. The default storage is an Optuna journal file in the sweep dir; ``resume`` fails
the trials that were running when the sweep was killed and runs their params again.
"""

from __future__ import annotations

import csv
import logging
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Callable, Optional, Union

from hydra_runner.errors import UsageError
from hydra_runner.journal import Status, SweepJournal
from hydra_runner.sweepers._search import UNFINISHED, SearchFeed, SearchResult, SearchSweeper, TrialResult
from hydra_runner.sweepers.objective import Objective
from hydra_runner.sweepers.search_space import SearchSpace

__all__ = ["OptunaSweeper", "study_storage"]

log = logging.getLogger(__name__)

STUDY_FILE = "optuna.journal"
TRIALS_CSV = "trials.csv"
# Trial user attributes tying a trial to its job.
JOB_ATTR = "hydra_runner.job"
SWEEP_ATTR = "hydra_runner.sweep_dir"


class OptunaSweeper(SearchSweeper):
    name = "optuna"

    def __init__(
        self,
        sampler: Any = None,
        direction: Union[str, Sequence[str]] = "minimize",
        storage: Any = None,
        study_name: Optional[str] = None,
        n_trials: int = 20,
        n_jobs: Optional[int] = None,
        timeout: Optional[float] = None,
        pruner: Any = None,
        objective: Union[str, Sequence[str], None] = None,
        enqueue: Optional[Sequence[Any]] = None,
        params: Optional[Any] = None,
        custom_search_space: Optional[str] = None,
        max_failure_rate: Optional[float] = None,
        search_space: Any = None,
    ) -> None:
        super().__init__(n_jobs=n_jobs, params=params)
        directions = [direction] if isinstance(direction, str) else list(direction)
        self.objective = Objective(directions, None if objective is None else
                                   (objective if isinstance(objective, str) else list(objective)))
        self.sampler = sampler
        self.pruner = pruner
        self.storage = storage
        self.study_name = study_name
        self.n_trials = int(n_trials)
        self.timeout = float(timeout) if timeout else None
        self.enqueue = [dict(trial) for trial in enqueue or []]
        self.custom_search_space = custom_search_space
        self._optuna_verbosity: Optional[int] = None  # Optuna's, while a sweep has it quieter
        if search_space:
            raise UsageError("hydra.sweeper.search_space is not supported",
                             fix="give the space in hydra.sweeper.params (or on the command line)")
        if max_failure_rate is not None:
            log.warning("hydra.sweeper.max_failure_rate is ignored: a failed trial never stops the study")

    # -- the study ----------------------------------------------------------------------------

    def _study(self, sweep_dir: Path, resume: bool) -> Any:
        # Imported only now: the launcher's workers get ready while it loads (see SearchSweeper.sweep).
        import optuna

        assert self.config is not None
        # The progress line reports every trial; Optuna's own line per trial would repeat it.
        self._optuna_verbosity = optuna.logging.get_verbosity()
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        sampler = _built(self.sampler)
        # Without a configured pruner nothing is pruned (Optuna's own default would prune).
        pruner = _built(self.pruner) or optuna.pruners.NopPruner()
        return optuna.create_study(
            storage=study_storage(self.storage, sweep_dir, fresh=not resume),
            sampler=sampler,
            pruner=pruner,
            study_name=self.study_name or str(self.config.hydra.job.name),
            directions=self.objective.directions,
            load_if_exists=True,
        )

    def make_feed(self, space: SearchSpace, sweep_dir: Path, journal: Optional[SweepJournal],
                  resume: bool) -> SearchFeed:
        from hydra.utils import get_method

        assert self.config is not None
        study = self._study(sweep_dir, resume)
        extend = get_method(self.custom_search_space) if self.custom_search_space else None
        feed = _OptunaFeed(space, self.objective, journal, study, sweep_dir.absolute(),
                           (lambda trial: extend(self.config, trial)) if extend else None)
        if resume and journal is not None:
            feed.restore(journal)
        else:
            for params in self.enqueue:
                study.enqueue_trial(params)
        feed.remaining = max(0, self.n_trials - sum(1 for t in feed.trials.values()) - len(feed.reruns))
        feed.total = feed.remaining + len(feed.reruns)
        feed.deadline = time.monotonic() + self.timeout if self.timeout else None
        return feed

    def sweep(self, arguments: list[str]) -> SearchResult:
        try:
            return super().sweep(arguments)
        finally:
            if self._optuna_verbosity is not None:
                import optuna

                optuna.logging.set_verbosity(self._optuna_verbosity)

    def save_results(self, result: SearchResult, sweep_dir: Path) -> None:
        super().save_results(result, sweep_dir)
        if result.study is not None:
            write_trials_csv(result.study, sweep_dir / TRIALS_CSV)


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
    from hydra.utils import instantiate
    from omegaconf import DictConfig

    if isinstance(spec, (Mapping, DictConfig)):
        return instantiate(spec)
    return spec


class _OptunaFeed(SearchFeed):
    def __init__(self, space: SearchSpace, objective: Objective, journal: Optional[SweepJournal], study: Any,
                 sweep_dir: Path, extend: Optional[Callable[[Any], None]]) -> None:
        super().__init__(space, objective, journal)
        self.study = study
        self.sweep_dir = str(sweep_dir)
        self.extend = extend
        self.distributions = {p.name: p.distribution() for p in space.params}
        self.asked: dict[int, Any] = {}
        self.reruns: list[tuple[int, dict[str, Any]]] = []
        self.remaining = 0
        self.deadline: Optional[float] = None
        self.next_num = 0

    def restore(self, journal: SweepJournal) -> None:
        """Continue an interrupted sweep: finished trials stay, trials that were running run again."""
        from optuna.trial import Trial, TrialState

        mine = [t for t in self.study.get_trials(deepcopy=False) if t.user_attrs.get(SWEEP_ATTR) == self.sweep_dir]
        latest = {t.user_attrs[JOB_ATTR]: t for t in sorted(mine, key=lambda t: t.number)}
        records = journal.jobs()
        for record in records:
            trial = latest.get(record.num)
            params = dict(trial.params) if trial is not None else {}
            if record.status in UNFINISHED:
                if trial is not None:
                    self.reruns.append((record.num, params))
                continue
            self.trials[record.num] = result = self.finished_trial(record, params)
            if trial is not None and trial.state == TrialState.RUNNING:
                self._tell(trial.number, result)  # ended before the study heard of it
        for trial in mine:
            if trial.state == TrialState.RUNNING:
                Trial(self.study, trial._trial_id).set_user_attr("fail_reason", "interrupted")
                self.study.tell(trial.number, state=TrialState.FAIL)
        self.next_num = max((r.num for r in records), default=-1) + 1

    def propose(self) -> Optional[tuple[int, dict[str, Any]]]:
        if self.reruns:
            num, params = self.reruns.pop(0)
            self.study.enqueue_trial(params)
        elif self.remaining <= 0 or (self.deadline is not None and time.monotonic() >= self.deadline):
            return None
        else:
            num, self.next_num = self.next_num, self.next_num + 1
            self.remaining -= 1
        trial = self.study.ask(self.distributions)
        params = dict(trial.params)
        if self.extend is not None:
            before = set(trial.user_attrs)
            self.extend(trial)
            params = dict(trial.params)
            # As in hydra-optuna-sweeper: user attributes the extension sets are overrides too.
            params.update({k: v for k, v in trial.user_attrs.items() if k not in before})
        trial.set_user_attr(JOB_ATTR, num)
        trial.set_user_attr(SWEEP_ATTR, self.sweep_dir)
        self.asked[num] = trial
        return num, params

    def tell(self, trial: TrialResult) -> None:
        self._tell(self.asked.pop(trial.num), trial)

    def _tell(self, trial: Any, result: TrialResult) -> None:
        from optuna.trial import TrialState

        if result.status is Status.SUCCEEDED and result.values is not None:
            self.study.tell(trial, result.values)
            return
        state = TrialState.PRUNED if result.status is Status.PRUNED else TrialState.FAIL
        if result.reason and not isinstance(trial, int):
            trial.set_user_attr("fail_reason", result.reason[:500])
        try:
            self.study.tell(trial, state=state)
        except ValueError:  # a pruned multi-objective trial: Optuna has no such state for it
            self.study.tell(trial, state=TrialState.FAIL)

    def on_report(self, num: int, payload: dict[str, Any]) -> bool:
        trial = self.asked.get(num)
        if trial is None or len(self.objective.directions) > 1:
            return False  # Optuna prunes single-objective studies only
        trial.report(payload["value"], payload["step"])
        return bool(trial.should_prune())

    def result(self) -> SearchResult:
        result = super().result()
        result.study = self.study
        return result


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
