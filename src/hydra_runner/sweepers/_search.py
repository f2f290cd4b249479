"""What the searching sweepers (Optuna, random) share.

A search reads its space from the overrides (:mod:`.search_space`), then runs as a *feed*
on the launcher's slots: each time a slot frees up, :meth:`SearchFeed.propose` picks the
next params, the job runs, and :meth:`SearchFeed.tell` learns how it ended. There is no
batch barrier. Every trial is a job of the sweep journal, so ``resume`` knows which trials
finished; ``hydra_runner.report`` from a job reaches :meth:`SearchFeed.on_report`.
With a launcher from another plugin (joblib, submitit, ...) trials run in batches of
``n_jobs`` through Hydra's ``launch``.
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from hydra.core.override_parser.types import Override
from hydra.core.utils import JobReturn
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf

from hydra_runner.composition.loader import check_jobs
from hydra_runner.errors import SweepFailed
from hydra_runner.jobs.outcome import outcome_of
from hydra_runner.journal import JobRecord, Status, SweepJournal
from hydra_runner.launchers import RunnerLauncher, instantiate_launcher
from hydra_runner.launchers._schedule import JobFeed
from hydra_runner.run_context import RunContext
from hydra_runner.sweepers.objective import NotAnObjective, Objective
from hydra_runner.sweepers.search_space import SearchSpace

__all__ = ["SearchFeed", "SearchResult", "SearchSweeper", "TrialResult"]

log = logging.getLogger(__name__)

#: Journal states of trials that never ended (``resume`` runs them again).
UNFINISHED = (Status.PENDING, Status.RUNNING, Status.INTERRUPTED)


@dataclass
class TrialResult:
    """One trial of a search: its job, params and how it ended."""

    num: int
    params: dict[str, Any]
    overrides: list[str]
    status: Status = Status.PENDING
    values: Optional[list[float]] = None
    #: Why a trial has no values (the job failed, returned None or NaN, was pruned).
    reason: Optional[str] = None
    directory: Optional[str] = None
    return_value: Any = None

    @property
    def value(self) -> Optional[float]:
        return self.values[0] if self.values else None


@dataclass
class SearchResult:
    """What a search returns: its best params and value, and every trial.

    With several objectives ``best_trials`` is the Pareto front and ``best_params`` /
    ``best_value`` are None.
    """

    best_params: Optional[dict[str, Any]]
    best_value: Optional[float]
    best_trials: list[TrialResult]
    trials: list[TrialResult]
    #: The Optuna study, for the Optuna sweeper.
    study: Any = field(default=None, repr=False)


class SearchFeed(JobFeed):
    """A search, as a feed of jobs: params proposed one trial at a time, results told back."""

    def __init__(self, space: SearchSpace, objective: Objective, journal: Optional[SweepJournal],
                 trials: Sequence[TrialResult] = ()) -> None:
        self.space = space
        self.objective = objective
        self.journal = journal
        self.maximize = objective.maximize
        #: Every trial of the search, by job number (trials of an earlier session included).
        self.trials: dict[int, TrialResult] = {t.num: t for t in trials}
        #: Takes each trial's overrides that are known parsed (see CachingConfigLoader.take_parsed).
        self.parsed_sink: Optional[Callable[[list[Override]], None]] = None

    @abstractmethod
    def propose(self) -> Optional[tuple[int, dict[str, Any]]]:
        """The next trial's job number and params; None when the search is over."""

    @abstractmethod
    def tell(self, trial: TrialResult) -> None:
        """Learn how ``trial`` ended (its status, values or reason are set)."""

    def on_report(self, num: int, payload: dict[str, Any]) -> bool:
        """A running trial's intermediate value; True to stop (prune) it."""
        return False

    def next_job(self) -> Optional[tuple[int, list[str]]]:
        proposal = self.propose()
        if proposal is None:
            return None
        num, params = proposal
        overrides = self.space.overrides(params)
        if self.parsed_sink is not None:
            self.parsed_sink(self.space.parsed_overrides(params))
        self.trials[num] = TrialResult(num, dict(params), overrides, status=Status.RUNNING)
        if self.journal is not None:
            self.journal.add_jobs([(num, overrides)])
        return num, overrides

    def job_ended(self, num: int, status: Status, ret: JobReturn) -> None:
        trial = self.trials[num]
        trial.status = status
        trial.directory = ret.working_dir
        if status is Status.SUCCEEDED:
            trial.return_value = ret._return_value
            self._read_values(trial)
        elif status is Status.PRUNED:
            trial.reason = str(ret._return_value)
        else:
            error = ret._return_value
            trial.reason = f"{type(error).__name__}: {error}" if error is not None else status.value
        self.tell(trial)

    def _read_values(self, trial: TrialResult) -> None:
        try:
            trial.values = self.objective.values(trial.return_value)
        except NotAnObjective as e:
            trial.status, trial.reason = Status.FAILED, str(e)
            log.warning(f"#{trial.num} counts as failed: {e}")

    def finished_trial(self, record: JobRecord, params: dict[str, Any]) -> TrialResult:
        """A trial an earlier session of this sweep finished, read back from the journal."""
        error_lines = (record.error or "").strip().splitlines()
        trial = TrialResult(record.num, params, list(record.overrides), record.status, directory=record.directory,
                            return_value=record.value, reason=error_lines[-1] if error_lines else None)
        if record.status is Status.SUCCEEDED:
            self._read_values(trial)
        return trial

    def result(self) -> SearchResult:
        trials = sorted(self.trials.values(), key=lambda t: t.num)
        scored = [t for t in trials if t.status is Status.SUCCEEDED and t.values is not None]
        if len(self.objective.directions) == 1:
            best = None
            for trial in scored:
                if best is None or self.objective.better(trial.values[0], best.values[0]):  # type: ignore[index]
                    best = trial
            front = [best] if best is not None else []
            return SearchResult(best.params if best else None, best.value if best else None, front, trials)
        return SearchResult(None, None, _pareto_front(scored, self.objective.directions), trials)


def _pareto_front(trials: list[TrialResult], directions: list[str]) -> list[TrialResult]:
    signs = [1.0 if d == "minimize" else -1.0 for d in directions]

    def dominates(a: TrialResult, b: TrialResult) -> bool:
        pairs = [(s * x, s * y) for s, x, y in zip(signs, a.values or [], b.values or [])]
        return all(x <= y for x, y in pairs) and any(x < y for x, y in pairs)

    return [t for t in trials if not any(dominates(other, t) for other in trials if other is not t)]


class SearchSweeper(Sweeper):
    """A sweeper that searches a space on hydra-runner's launchers; subclasses make the feed."""

    #: The name written in ``optimization_results.yaml``.
    name = "search"

    def __init__(self, *, n_jobs: Optional[int] = None, params: Optional[Any] = None) -> None:
        self.n_jobs = int(n_jobs) if n_jobs else None
        self.params = dict(params) if params else {}
        self.config: Optional[DictConfig] = None
        self.hydra_context: Optional[HydraContext] = None
        self.launcher: Any = None
        #: The run this sweep belongs to (the app hands it over; see :meth:`use_run`).
        self.run = RunContext()

    def use_run(self, run: RunContext) -> None:
        self.run = run

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config = config
        self.hydra_context = hydra_context
        self.launcher = instantiate_launcher(hydra_context=hydra_context, task_function=task_function, config=config,
                                             run=self.run)

    def begin(self, space: SearchSpace, sweep_dir: Path, resume: bool) -> None:
        """Start what :meth:`make_feed` needs and can get ready while the launcher does (a study)."""

    @abstractmethod
    def make_feed(self, space: SearchSpace, sweep_dir: Path, journal: Optional[SweepJournal],
                  resume: bool) -> SearchFeed:
        """The search for this sweep; ``resume`` when it continues an interrupted one."""

    def save_results(self, result: SearchResult, sweep_dir: Path) -> None:
        """Write the search's result files into the sweep dir."""
        OmegaConf.save(OmegaConf.create(results_document(self.name, result)), sweep_dir / "optimization_results.yaml")

    def sweep(self, arguments: list[str]) -> SearchResult:
        assert self.config is not None and self.hydra_context is not None
        space = SearchSpace.parse([*(f"{k}={v}" for k, v in self.params.items()), *arguments],
                                  config_loader=self.hydra_context.config_loader)
        check_jobs(self.hydra_context.config_loader, self.config, space.probes())  # before the study exists
        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        OmegaConf.save(self.config, sweep_dir / "multirun.yaml")
        launcher = self.launcher
        if isinstance(launcher, RunnerLauncher):
            journal = launcher.open_journal()
            resume = journal is not None and launcher.resuming
            self.begin(space, sweep_dir, resume)
            launcher.expect(space.example())  # the workers get ready for trials meanwhile
            feed = self.make_feed(space, sweep_dir, journal, resume)
            launcher.event_handlers["report"] = feed.on_report
            if launcher.loader is not None:
                # Trials are composed with these parses here, or sent with them to the pool's workers.
                feed.parsed_sink = launcher.loader.take_parsed
            slots = launcher.slot_count()
            if self.n_jobs and self.n_jobs > slots:
                log.info(f"n_jobs={self.n_jobs}, but the launcher runs {slots} job(s) at a time"
                         + (" (add -j N to run trials in parallel)" if slots == 1 else ""))
            launcher.run_feed(feed, max_running=min(self.n_jobs or slots, slots))
        else:
            self.begin(space, sweep_dir, False)
            feed = self.make_feed(space, sweep_dir, None, False)
            _run_in_batches(launcher, feed, self.n_jobs or 1)
        result = feed.result()
        self.save_results(result, sweep_dir)
        _log_best(result)
        if result.trials and not result.best_trials:
            unusable = [t for t in result.trials if t.status is not Status.PRUNED]
            raise SweepFailed(unusable, total=len(result.trials), sweep_dir=str(sweep_dir))
        return result


def _run_in_batches(launcher: Any, feed: SearchFeed, batch_size: int) -> None:
    """Trials on a launcher that only knows Hydra's ``launch``: ``batch_size`` at a time."""
    while True:
        batch = []
        while len(batch) < batch_size and (job := feed.next_job()) is not None:
            batch.append(job)
        if not batch:
            return
        returns = launcher.launch([overrides for _, overrides in batch], initial_job_idx=batch[0][0])
        for (num, _), ret in zip(batch, returns):
            feed.job_ended(num, outcome_of(ret)[0], ret)


def results_document(name: str, result: SearchResult) -> dict[str, Any]:
    """``optimization_results.yaml``, laid out as hydra-optuna-sweeper writes it."""
    if result.best_params is not None or result.best_trials == []:
        return {"name": name, "best_params": result.best_params, "best_value": result.best_value}
    return {
        "name": name,
        "solutions": [{"params": t.params, "values": t.values, "job": t.num} for t in result.best_trials],
    }


def _log_best(result: SearchResult) -> None:
    if result.best_params is not None:
        log.info(f"Best parameters: {result.best_params}")
        log.info(f"Best value: {result.best_value}")
    elif result.best_trials:
        log.info(f"Pareto front: {len(result.best_trials)} trial(s)")
        for trial in result.best_trials:
            log.info(f"    #{trial.num} {trial.values} {trial.params}")
    else:
        log.warning("No trial returned a usable value")
