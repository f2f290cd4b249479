"""The sweep's own Optuna journal file: what it writes, plain Optuna reads back the same."""

from __future__ import annotations

import json
from pathlib import Path

import optuna
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend

from hydra_runner.sweepers._study_file import SweepStudyFile
from hydra_runner.sweepers.optuna_study import study_storage


def _optimize(storage: JournalStorage) -> optuna.Study:
    study = optuna.create_study(study_name="s", storage=storage, sampler=optuna.samplers.TPESampler(seed=1))
    study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 1) ** 2 + t.suggest_int("n", 1, 4), n_trials=12)
    return study


def _records(path: str) -> list[dict]:  # type: ignore[type-arg]
    lines = [json.loads(line) for line in Path(path).read_text().splitlines()]
    return [{k: v for k, v in rec.items() if k != "worker_id" and "datetime" not in k} for rec in lines]


def test_plain_optuna_reads_the_study_it_wrote(tmp_path: Path) -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    path = str(tmp_path / "optuna.journal")
    written = _optimize(JournalStorage(SweepStudyFile(path)))
    reread = optuna.load_study(study_name="s", storage=JournalStorage(JournalFileBackend(path)))
    assert [(t.number, t.state, t.params, t.values) for t in reread.trials] == [
        (t.number, t.state, t.params, t.values) for t in written.trials
    ]
    assert len(reread.trials) == 12 and reread.best_value == written.best_value
    # The same records Optuna's own backend writes for the same study (but for who and when).
    plain = str(tmp_path / "plain.journal")
    _optimize(JournalStorage(JournalFileBackend(plain)))
    assert _records(path) == _records(plain) and len(_records(path)) > 12
    assert not list(tmp_path.glob("*.lock"))


def test_a_sweep_without_a_storage_uses_it(tmp_path: Path) -> None:
    storage = study_storage(None, tmp_path, fresh=True)
    assert isinstance(storage._backend, SweepStudyFile)
    assert isinstance(study_storage(str(tmp_path / "theirs.journal"), tmp_path, fresh=True)._backend, JournalFileBackend)
    assert not isinstance(study_storage(str(tmp_path / "theirs.journal"), tmp_path, fresh=True)._backend, SweepStudyFile)
