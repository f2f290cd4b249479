"""``compare``: two jobs or two sweeps of a real project in a real git repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from hydra_runner.errors import UsageError
from hydra_runner.journal import latest_sweep
from hydra_runner.repro.diff import ABSENT, Change, JobDiff, SweepDiff, compare
from hydra_runner.repro.records import flatten, locate
from hydra_runner.testing.project import Project
from tests.repro.conftest import git


def _sweep(repo: Project, *overrides: str, sweep_dir: str) -> Path:
    result = repo.cli("multirun", "train", *overrides, f"hydra.sweep.dir={sweep_dir}")
    assert result.code == 0, result.err
    return repo.root / sweep_dir


def test_two_jobs_of_a_sweep_differ_in_config_overrides_and_values(repo: Project) -> None:
    sweep = _sweep(repo, "lr=0.1,0.3", "model.depth=2", sweep_dir="s")
    diff = compare(f"{sweep}#0", str(sweep / "1"))
    assert isinstance(diff, JobDiff)
    assert diff.config == [Change("lr", 0.1, 0.3)]
    assert diff.overrides_only_a == ["lr=0.1"] and diff.overrides_only_b == ["lr=0.3"]
    assert diff.values == [Change("loss", 0.2, pytest.approx(0.6))]
    assert diff.code.same and diff.code.a.commit == git(repo.root, "rev-parse", "HEAD")
    data = diff.to_json()
    assert data["config"] == [{"key": "lr", "a": 0.1, "b": 0.3}] and data["code"]["same_commit"] is True


def test_a_single_run_against_a_sweep_job_after_a_commit_and_an_edit(repo: Project) -> None:
    sweep = _sweep(repo, "lr=0.1", sweep_dir="s")
    (repo.root / "conf" / "config.yaml").write_text("model:\n  name: a\nlr: 0.1\nseed: 0\nextra: 1\n")
    git(repo.root, "commit", "-qam", "v2: extra key, no depth")
    train = repo.root / "train.py"
    train.write_text(train.read_text().replace("cfg.model.depth", "2"))
    assert repo.cli("run", "train", "seed=7", "hydra.run.dir=single").code == 0
    diff = compare(f"{sweep}#0", str(repo.root / "single"))
    assert isinstance(diff, JobDiff)
    assert diff.config == [Change("model.depth", 2, ABSENT), Change("seed", 0, 7), Change("extra", ABSENT, 1)]
    assert diff.values == []  # a single run keeps no returned value
    assert not diff.code.same_commit and diff.code.patch_differs
    assert diff.code.a.dirty is False and diff.code.b.dirty is True
    assert diff.to_json()["config"][0] == {"key": "model.depth", "a": 2}


def test_two_sweeps_pair_their_jobs_by_overrides(repo: Project) -> None:
    a = _sweep(repo, "lr=0.1,0.2", "seed=0,1", sweep_dir="a")
    b = _sweep(repo, "seed=1,0", "lr=0.2,0.4", sweep_dir="b")
    diff = compare(str(a), str(b))
    assert isinstance(diff, SweepDiff)
    assert diff.a.overrides == ["lr=0.1,0.2", "seed=0,1"] and diff.b.overrides == ["seed=1,0", "lr=0.2,0.4"]
    paired = {(p.a, p.b): sorted(p.overrides) for p in diff.pairs}
    # a: 0 lr=0.1 seed=0, 1 lr=0.1 seed=1, 2 lr=0.2 seed=0, 3 lr=0.2 seed=1
    # b: 0 seed=1 lr=0.2, 1 seed=1 lr=0.4, 2 seed=0 lr=0.2, 3 seed=0 lr=0.4
    assert paired == {(0, None): ["lr=0.1", "seed=0"], (1, None): ["lr=0.1", "seed=1"],
                      (2, 2): ["lr=0.2", "seed=0"], (3, 0): ["lr=0.2", "seed=1"],
                      (None, 1): ["lr=0.4", "seed=1"], (None, 3): ["lr=0.4", "seed=0"]}
    assert all(p.values == [] for p in diff.pairs)  # same code, same config: same values
    assert diff.to_json()["jobs"][2] == {"overrides": ["lr=0.2", "seed=0"], "a": 2, "b": 2, "values": []}


def test_sweeps_run_on_edited_code_show_the_changed_values(repo: Project) -> None:
    a = _sweep(repo, "lr=0.1,0.2", sweep_dir="a")
    train = repo.root / "train.py"
    train.write_text(train.read_text().replace('"version": 1', '"version": 2'))
    b = _sweep(repo, "lr=0.1,0.2", sweep_dir="b")
    diff = compare(str(a), str(b))
    assert isinstance(diff, SweepDiff)
    assert [p.values for p in diff.pairs] == [[Change("version", 1, 2)]] * 2
    assert diff.code.same_commit and diff.code.patch_differs and diff.code.b.dirty


@pytest.mark.parametrize("name, message", [
    ("nowhere", "no directory nowhere"),
    ("conf", "is neither a job dir"),
    ("s#9", "has no job 9 (it has jobs 0 to 1)"),
    ("s#x", "must be a whole number"),
    ("conf#0", "is not a sweep dir"),
])
def test_names_that_are_not_jobs_or_sweeps(repo: Project, monkeypatch: pytest.MonkeyPatch, name: str,
                                           message: str) -> None:
    _sweep(repo, "lr=0.1,0.2", sweep_dir="s")
    monkeypatch.chdir(repo.root)
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")) as caught:
        locate(name)
    assert caught.value.fix


def test_a_job_and_a_sweep_are_not_compared(repo: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    sweep = _sweep(repo, "lr=0.1,0.2", sweep_dir="s")
    with pytest.raises(UsageError, match="cannot compare a job with a sweep") as caught:
        compare(str(sweep), f"{sweep}#1")
    assert caught.value.fix is not None and "#0" in caught.value.fix
    assert latest_sweep(repo.root) is not None


def test_flatten_keeps_lists_and_empty_mappings_whole() -> None:
    assert flatten({"a": {"b": 1, "c": {"d": [1, 2]}}, "e": {}, "f": None}) == {
        "a.b": 1, "a.c.d": [1, 2], "e": {}, "f": None}


def test_the_api_gives_what_diff_json_prints(repo: Project) -> None:
    from hydra_runner.api import diff_runs

    sweep = _sweep(repo, "lr=0.1,0.3", sweep_dir="s")
    data = diff_runs(f"{sweep}#0", f"{sweep}#1")
    assert data == compare(f"{sweep}#0", f"{sweep}#1").to_json() and data["config"][0]["key"] == "lr"


def test_jobs_pair_by_what_varies_when_a_sweep_adds_a_constant_override(repo: Project) -> None:
    a = _sweep(repo, "lr=0.1,0.2", sweep_dir="a")
    b = _sweep(repo, "lr=0.2,0.1", "model.depth=4", sweep_dir="b")
    diff = compare(str(a), str(b))
    assert isinstance(diff, SweepDiff)
    assert [(p.a, p.b) for p in diff.pairs] == [(0, 1), (1, 0)]
    assert diff.pairs[0].values == [Change("loss", 0.2, 0.4)]
