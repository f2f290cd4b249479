"""``hydra/sweeper=random``: random search over the override grammar's space, in parallel.

Params are drawn uniformly (log-uniformly for ``tag(log, ...)``) from a seeded generator:
the n-th trial gets the n-th draw, so a resumed sweep draws exactly what the first
session would have, and runs the trials that never finished.
"""

from __future__ import annotations

import random
import secrets
from pathlib import Path
from typing import Any, Optional, Union

from hydra_runner.journal import SweepJournal
from hydra_runner.sweepers._search import (
    UNFINISHED,
    SearchFeed,
    SearchSweeper,
    TrialResult,
)
from hydra_runner.sweepers.objective import Objective
from hydra_runner.sweepers.search_space import SearchSpace

__all__ = ["RandomSweeper"]

_SEED_KEY = "random_search_seed"


class RandomSweeper(SearchSweeper):
    name = "random"

    def __init__(
        self,
        max_iter: int = 10,
        seed: Optional[int] = None,
        maximize: bool = False,
        objective: Union[str, list[str], None] = None,
        n_jobs: Optional[int] = None,
        params: Optional[Any] = None,
    ) -> None:
        super().__init__(n_jobs=n_jobs, params=params)
        self.max_iter = int(max_iter)
        self.seed = seed
        self.objective = Objective(["maximize" if maximize else "minimize"], objective)

    def make_feed(self, space: SearchSpace, sweep_dir: Path, journal: Optional[SweepJournal],
                  resume: bool) -> SearchFeed:
        seed = self.seed
        if resume and journal is not None:
            seed = journal.meta.get(_SEED_KEY, seed)
        if seed is None:
            seed = secrets.randbits(32)  # recorded: resume draws the same params
        if journal is not None:
            journal.set_meta(_SEED_KEY, seed)
        rng = random.Random(seed)
        draws = [{p.name: p.sample(rng) for p in space.params} for _ in range(self.max_iter)]
        feed = _RandomFeed(space, self.objective, journal, draws)
        if resume and journal is not None:
            for record in journal.jobs():
                if record.status not in UNFINISHED and record.num < len(draws):
                    feed.trials[record.num] = feed.finished_trial(record, draws[record.num])
        feed.todo = [num for num in range(self.max_iter) if num not in feed.trials]
        feed.total = len(feed.todo)
        return feed


class _RandomFeed(SearchFeed):
    def __init__(self, space: SearchSpace, objective: Objective, journal: Optional[SweepJournal],
                 draws: list[dict[str, Any]]) -> None:
        super().__init__(space, objective, journal)
        self.draws = draws
        self.todo: list[int] = []

    def propose(self) -> Optional[tuple[int, dict[str, Any]]]:
        if not self.todo:
            return None
        num = self.todo.pop(0)
        return num, self.draws[num]

    def tell(self, trial: TrialResult) -> None:
        pass  # random search learns nothing
