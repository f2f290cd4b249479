"""``hydra/sweeper=optuna``: Optuna studies on hydra-runner's launchers, asynchronous and resumable.

Reads hydra-optuna-sweeper's config fields (``direction``, ``study_name``, ``storage``,
``n_trials``, ``n_jobs``, ``sampler``, ``params``, ``custom_search_space``) and adds
``timeout``, ``pruner``, ``objective`` and ``enqueue``. A trial is asked the moment a slot
frees up and told when its job ends, always of the same :class:`~.optuna_study.OptunaStudy`
(in this process, or in the study process the CLI started for the sweep), so one process
writes the study. The default storage is an Optuna journal file in the sweep dir;
``resume`` fails the trials that were running when the sweep was killed and runs their
params again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional, Union

from hydra_runner.errors import UsageError
from hydra_runner.journal import Status, SweepJournal
from hydra_runner.sweepers._search import (
    UNFINISHED,
    SearchFeed,
    SearchResult,
    SearchSweeper,
    TrialResult,
)
from hydra_runner.sweepers.objective import Objective
from hydra_runner.sweepers.optuna_study import OptunaStudy, StudySettings
from hydra_runner.sweepers.search_space import SearchSpace

__all__ = ["TRIALS_CSV", "OptunaSweeper"]

log = logging.getLogger(__name__)

TRIALS_CSV = "trials.csv"


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
        self._study: Any = None  # the running sweep's OptunaStudy, or a proxy of it
        if search_space:
            raise UsageError("hydra.sweeper.search_space is not supported",
                             fix="give the space in hydra.sweeper.params (or on the command line)")
        if max_failure_rate is not None:
            log.warning("hydra.sweeper.max_failure_rate is ignored: a failed trial never stops the study")

    # -- the study ----------------------------------------------------------------------------

    def _open_study(self, space: SearchSpace, sweep_dir: Path, resume: bool) -> Any:
        """The sweep's study: in the study process the CLI started for it (still opening there), else here."""
        assert self.config is not None
        settings = StudySettings(
            sweep_dir=str(sweep_dir),
            study_name=self.study_name or str(self.config.hydra.job.name),
            directions=self.objective.directions,
            params=list(space.params),
            sampler=self.sampler,
            pruner=self.pruner,
            storage=self.storage,
            fresh=not resume,
            custom_search_space=self.custom_search_space,
            config=self.config,
        )
        ahead = self.run.head_start.take_study_process()
        return (ahead.open(settings) if ahead is not None else None) or OptunaStudy(settings)

    def begin(self, space: SearchSpace, sweep_dir: Path, resume: bool) -> None:
        self._study = self._open_study(space, sweep_dir, resume)

    def make_feed(self, space: SearchSpace, sweep_dir: Path, journal: Optional[SweepJournal],
                  resume: bool) -> SearchFeed:
        assert self._study is not None, "begin() opens the study"
        feed = _OptunaFeed(space, self.objective, journal, self._study)
        if resume and journal is not None:
            feed.restore(journal)
        else:
            for params in self.enqueue:
                self._study.enqueue(params)
        feed.remaining = max(0, self.n_trials - sum(1 for t in feed.trials.values()) - len(feed.reruns))
        feed.total = feed.remaining + len(feed.reruns)
        feed.deadline = time.monotonic() + self.timeout if self.timeout else None
        return feed

    def sweep(self, arguments: list[str]) -> SearchResult:
        try:
            return super().sweep(arguments)
        finally:
            if self._study is not None:
                self._study.close()
                self._study = None

    def save_results(self, result: SearchResult, sweep_dir: Path) -> None:
        super().save_results(result, sweep_dir)
        if self._study is not None:
            self._study.write_trials_csv(str(sweep_dir / TRIALS_CSV))


class _OptunaFeed(SearchFeed):
    def __init__(self, space: SearchSpace, objective: Objective, journal: Optional[SweepJournal], study: Any) -> None:
        super().__init__(space, objective, journal)
        self.study = study  # an OptunaStudy, here or in the study process
        self.reruns: list[tuple[int, dict[str, Any]]] = []
        self.remaining = 0
        self.deadline: Optional[float] = None
        self.next_num = 0

    def restore(self, journal: SweepJournal) -> None:
        """Continue an interrupted sweep: finished trials stay, trials that were running run again."""
        latest = self.study.trials_by_job()
        records = journal.jobs()
        for record in records:
            params, running = latest.get(record.num, ({}, False))
            if record.status in UNFINISHED:
                if record.num in latest:
                    self.reruns.append((record.num, params))
                continue
            self.trials[record.num] = result = self.finished_trial(record, params)
            if running:
                self.tell(result)  # it ended before the study heard of it
        self.study.fail_interrupted()
        self.next_num = max((r.num for r in records), default=-1) + 1

    def propose(self) -> Optional[tuple[int, dict[str, Any]]]:
        rerun: Optional[dict[str, Any]] = None
        if self.reruns:
            num, rerun = self.reruns.pop(0)
        elif self.remaining <= 0 or (self.deadline is not None and time.monotonic() >= self.deadline):
            return None
        else:
            num, self.next_num = self.next_num, self.next_num + 1
            self.remaining -= 1
        return num, self.study.ask(num, rerun)

    def tell(self, trial: TrialResult) -> None:
        if trial.status is Status.SUCCEEDED and trial.values is not None:
            self.study.tell(trial.num, trial.values)
        else:
            self.study.tell(trial.num, pruned=trial.status is Status.PRUNED, reason=trial.reason)

    def on_report(self, num: int, payload: dict[str, Any]) -> bool:
        return bool(self.study.report(num, payload["value"], payload["step"]))

    def result(self) -> SearchResult:
        result = super().result()
        result.study = self.study.study
        return result
