"""The random-search sweeper: seed 003's search without writing a sweeper."""

from __future__ import annotations

import os
import signal

import pytest
import yaml

from hydra_runner import SearchResult, hydra_multirun
from hydra_runner.journal import Status

from ..conftest import Project
from ..sweep_helpers import count, journal_of, start_sweep, statuses, wait_for


def square(x: float, y: float, z: float = 12) -> float:
    return (x - 2) ** 2 + (y + 3) ** 2 + abs(z)


def task_function(cfg: object) -> float:
    return square(cfg.x, cfg.y)  # type: ignore[attr-defined]


def test_seed_003_search_returns_the_best_params_value_and_all_results(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # type: ignore[arg-type]
    job = hydra_multirun(
        dict(x=1, y=12),
        task_function,
        overrides=["hydra/sweeper=random", "x=interval(-12, 12)", "y=interval(-12, 12)",
                   "hydra.sweeper.max_iter=10", "hydra.sweeper.seed=3"],
    )
    result = job.return_value
    assert isinstance(result, SearchResult)
    assert len(result.trials) == 10
    values = [t.value for t in result.trials]
    assert all(-12 <= t.params["x"] <= 12 and -12 <= t.params["y"] <= 12 for t in result.trials)
    assert values == [pytest.approx(square(t.params["x"], t.params["y"])) for t in result.trials]
    assert result.best_value == min(values)
    assert result.best_params == result.trials[values.index(min(values))].params


def test_maximize_picks_the_largest(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # type: ignore[arg-type]
    result = hydra_multirun(dict(x=1, y=12), task_function,
                            overrides=["hydra/sweeper=random", "x=choice(-5,0,5)", "y=range(0,3)",
                                       "hydra.sweeper.maximize=true", "hydra.sweeper.max_iter=6"]).return_value
    assert result.best_value == max(t.value for t in result.trials)
    assert {t.params["y"] for t in result.trials} <= {0, 1, 2}


def test_a_seed_gives_the_same_draws_and_the_pool_runs_them_in_parallel(project: Project) -> None:
    project.write({
        "app.py": """
            import os
            def task(cfg):
                with open("pids.log", "a") as f:
                    f.write(f"{os.getpid()}\\n")
                return cfg.x
            """,
        "conf/config.yaml": "x: 0.0\n",
    })
    runs = []
    for sweep_dir in ("out/a", "out/b"):
        r = project.cli("multirun", "app:task", "--config-path", "conf", "--config-name", "config",
                        "hydra/sweeper=random", "x=tag(log,interval(1e-3,1))", "hydra.sweeper.seed=11",
                        "hydra.sweeper.max_iter=6", "-j", "2", f"hydra.sweep.dir={sweep_dir}")
        assert r.code == 0, r.err
        assert statuses(project) == {n: Status.SUCCEEDED for n in range(6)}
        runs.append([(project.root / sweep_dir / str(n) / ".hydra/overrides.yaml").read_text() for n in range(6)])
    assert runs[0] == runs[1]
    assert len(set((project.root / "pids.log").read_text().split())) == 4  # two workers per sweep


def test_plain_hydra_main_app_uses_the_runner_random_plugin(project: Project) -> None:
    project.write({"main.py": """
        import hydra

        @hydra.main(version_base="1.3", config_path=None, config_name=None)
        def main(cfg):
            return abs(cfg.x)

        if __name__ == "__main__":
            main()
        """})
    r = project.python("main.py", "--multirun", "hydra/sweeper=runner_random", "hydra.sweeper.max_iter=4",
                       "+x=interval(-3,3)", "hydra.sweep.dir=out")
    assert r.code == 0, r.err
    assert (project.root / "out/optimization_results.yaml").read_text().startswith("name: random")
    assert sorted(p.name for p in (project.root / "out").glob("[0-9]")) == ["0", "1", "2", "3"]


def test_resume_without_a_seed_draws_what_the_killed_sweep_would_have(project: Project) -> None:
    project.write({
        "app.py": """
            import os, time
            from hydra.core.hydra_config import HydraConfig
            def task(cfg):
                if HydraConfig.get().job.num >= 2 and os.path.exists("hang"):
                    time.sleep(600)
                with open("done.log", "a") as f:
                    f.write(f"{HydraConfig.get().job.num} {cfg.x}\\n")
                return cfg.x
            """,
        "conf/config.yaml": "x: 0.0\n",
        "hang": "",
    })
    proc = start_sweep(project, "app:task", "--config-path", "conf", "--config-name", "config",
                       "hydra/sweeper=random", "x=interval(0,1)", "hydra.sweeper.max_iter=5", "-j", "2")
    try:
        wait_for(lambda: count(project, Status.SUCCEEDED) == 2 and count(project, Status.RUNNING) == 2)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    with journal_of(project) as journal:
        planned = {job.num: job.overrides for job in journal.jobs()}
    (project.root / "hang").unlink()
    r = project.cli("resume")
    assert r.code == 0, r.err
    with journal_of(project) as journal:
        jobs = {job.num: job for job in journal.jobs()}
    assert {n: j.status for n, j in jobs.items()} == {n: Status.SUCCEEDED for n in range(5)}
    assert all(jobs[n].overrides == planned[n] for n in planned)  # same draws after the kill
    done = [line.split()[0] for line in (project.root / "done.log").read_text().splitlines()]
    assert sorted(done) == ["0", "1", "2", "3", "4"]  # nothing ran twice to its end


MODELS = {
    "app.py": """
        def task(cfg):
            return cfg.model.size
        """,
    "conf/config.yaml": "defaults:\n  - model: alpha\n  - _self_\nname: run\n",
    "conf/model/alpha.yaml": "size: 1\n",
    "conf/model/beta.yaml": "size: 2\n",
    "conf/model/gamma.yaml": "size: 3\n",
    "conf/search.yaml": """
        defaults:
          - config
          - _self_
        hydra:
          sweeper:
            params:
              model: glob(*,exclude=beta)
        """,
}


def test_glob_searches_the_matching_options_of_a_config_group(project: Project) -> None:
    project.write(MODELS)
    r = project.cli("multirun", "app:task", "--config-path", "conf", "--config-name", "search", "hydra/sweeper=random",
                    "hydra.sweeper.max_iter=8", "hydra.sweeper.seed=0", "hydra.sweep.dir=out", "-j", "2")
    assert r.code == 0, r.err
    jobs = [project.root / f"out/{n}/.hydra" for n in range(8)]
    drawn = [yaml.safe_load((job / "overrides.yaml").read_text()) for job in jobs]
    assert {tuple(overrides) for overrides in drawn} == {("model=alpha",), ("model=gamma",)}
    sizes = [yaml.safe_load((job / "config.yaml").read_text())["model"]["size"] for job in jobs]
    assert sizes == [{"model=alpha": 1, "model=gamma": 3}[overrides[0]] for overrides in drawn]
    assert "Best value: 1" in r.out


@pytest.mark.parametrize("override, message", [
    ("name=glob(r*)", "'name' is not a config group"),
    ("model=glob(z*)", "matches none of the options of 'model': alpha, beta, gamma"),
])
def test_a_glob_that_selects_nothing_is_refused(project: Project, override: str, message: str) -> None:
    project.write(MODELS)
    r = project.cli("multirun", "app:task", "--config-path", "conf", "--config-name", "config",
                    "hydra/sweeper=random", override)
    assert r.code == 2, r.err
    assert message in r.err and "fix:" in r.err and "Traceback" not in r.err
    assert not (project.root / "multirun").exists()
