"""The Optuna sweeper end to end: real studies, real worker processes, a real SIGKILL."""

from __future__ import annotations

import csv
import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest
import yaml

from hydra_runner.journal import Status

from ..conftest import Project
from ..sweep_helpers import count, journal_of, start_sweep, statuses, wait_for

TASK = """
    import json, math, os, time
    import hydra_runner
    from hydra.core.hydra_config import HydraConfig

    def loss(cfg):
        return (cfg.x - 2) ** 2 + (cfg.y + 3) ** 2

    def task(cfg):
        num = HydraConfig.get().job.num
        call = {"num": num, "x": cfg.x, "y": cfg.y, "pid": os.getpid(), "start": time.time(), "steps": 0}
        try:
            if cfg.mode == "hang_after_3" and num >= 3 and os.path.exists("hang"):
                time.sleep(600)
            if cfg.mode == "fail_negative" and cfg.x < 0:
                raise ValueError(f"negative x={cfg.x}")
            if cfg.mode == "nan_negative" and cfg.x < 0:
                return float("nan")
            if cfg.mode == "none":
                return None
            if cfg.mode == "dict":
                return {"loss": loss(cfg), "x_out": cfg.x}
            if cfg.mode == "pair":
                return [(cfg.x - 2) ** 2, (cfg.x + 2) ** 2]
            if cfg.mode == "steps":
                for step in range(10):
                    call["steps"] = step + 1
                    hydra_runner.report(abs(cfg.x - 2) + 1.0 / (step + 1), step)
                    time.sleep(0.01)
                return abs(cfg.x - 2)
            time.sleep(cfg.slow if cfg.x > 11 else cfg.sleep)
            return loss(cfg)
        finally:
            call["end"] = time.time()
            with open("calls.log", "a") as f:
                f.write(json.dumps(call) + "\\n")
"""

CONFIG = """
    x: 0.0
    y: 0.0
    mode: plain
    sleep: 0.0
    slow: 0.0
"""

SEARCH = ["hydra/sweeper=optuna", "x=interval(-12,12)", "y=interval(-12,12)",
          "hydra/sweeper/sampler=random", "hydra.sweeper.sampler.seed=7"]


@pytest.fixture
def app(project: Project) -> Project:
    return project.write({"app.py": TASK, "conf/config.yaml": CONFIG})


def _sweep(app: Project, *args: str, code: int = 0) -> Path:
    r = app.cli("multirun", "app:task", "--config-path", "conf", "--config-name", "config", *args)
    assert r.code == code, r.err
    (sweep_dir,) = [p.parent for p in app.root.glob("multirun/*/*/multirun.yaml")]
    return sweep_dir


def _calls(app: Project) -> list[dict[str, Any]]:
    path = app.root / "calls.log"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _trials(sweep_dir: Path) -> list[dict[str, str]]:
    with open(sweep_dir / "trials.csv", newline="") as f:
        return list(csv.DictReader(f))


def _results(sweep_dir: Path) -> dict[str, Any]:
    return yaml.safe_load((sweep_dir / "optimization_results.yaml").read_text())


def test_seed_004_command_runs_the_study_and_writes_its_results(project: Project) -> None:
    project.write({
        "train.py": """
            def train(cfg):
                return (cfg.optimizer.lr - 0.01) ** 2
            """,
        "conf/training.yaml": """
            optimizer:
              lr: 0.001
            """,
    })
    r = project.cli("multirun", "train:train", "--config-path", "conf", "--config-name", "training",
                    "hydra/sweeper=optuna", "hydra.sweeper.n_trials=20", "hydra.sweeper.n_jobs=4",
                    "optimizer.lr=interval(1e-4,1e-1)", "-j", "2")
    assert r.code == 0, r.err
    (sweep_dir,) = [p.parent for p in project.root.glob("multirun/*/*/multirun.yaml")]
    trials = _trials(sweep_dir)
    assert len(trials) == 20 and {t["state"] for t in trials} == {"COMPLETE"}
    lrs = [float(t["params_optimizer.lr"]) for t in trials]
    assert all(1e-4 <= lr <= 1e-1 for lr in lrs)
    best = _results(sweep_dir)
    values = [float(t["value"]) for t in trials]
    assert best["name"] == "optuna" and best["best_value"] == pytest.approx(min(values))
    assert best["best_params"]["optimizer.lr"] == pytest.approx(lrs[values.index(min(values))])
    # Every trial is a job of the sweep journal, with the job's own return value.
    with journal_of(project) as journal:
        jobs = journal.jobs()
    assert [j.status for j in jobs] == [Status.SUCCEEDED] * 20
    assert sorted(j.value for j in jobs) == pytest.approx(sorted(values))
    assert "Best value" in r.out


@pytest.mark.parametrize("jobs", [[], ["-j", "2"]], ids=["in-process", "pool"])
def test_trials_are_asked_when_a_slot_frees_up_not_in_batches(app: Project, jobs: list[str]) -> None:
    # The first trial (enqueued at x=11.5) runs 2.5 s; with two slots the other keeps going meanwhile.
    sweep_dir = _sweep(app, *SEARCH, "hydra.sweeper.n_trials=8", "slow=2.5", "sleep=0.05",
                       "+hydra.sweeper.enqueue=[{x: 11.5, y: 0}]", "x=interval(-12,11)", *jobs)
    calls = sorted(_calls(app), key=lambda c: c["num"])
    assert calls[0]["x"] == 11.5
    slow = calls[0]
    during = [c for c in calls[1:] if c["start"] > slow["start"] and c["end"] < slow["end"]]
    if jobs:
        assert len(during) >= 4  # no barrier: trials kept coming while the slow one ran
        assert len({c["pid"] for c in calls}) == 2
    else:
        assert during == []  # one slot
    assert len(_trials(sweep_dir)) == 8


@pytest.mark.parametrize("jobs", [[], ["-j", "2"]], ids=["in-process", "pool"])
def test_a_pruner_stops_bad_trials_early(app: Project, jobs: list[str]) -> None:
    sweep_dir = _sweep(
        app, *SEARCH, "hydra.sweeper.n_trials=12", "mode=steps",
        "+hydra.sweeper.enqueue=[{x: 2.0, y: 0}, {x: 2.5, y: 0}, {x: 3.0, y: 0}]",
        "+hydra/sweeper/pruner=median", "hydra.sweeper.pruner.n_startup_trials=3", *jobs,
    )
    trials = {int(t["user_attrs_hydra_runner.job"]): t for t in _trials(sweep_dir)}
    calls = {c["num"]: c for c in _calls(app)}
    pruned = [n for n, t in trials.items() if t["state"] == "PRUNED"]
    assert pruned, "no trial was pruned"
    assert all(abs(calls[num]["x"] - 2) > 1 for num in pruned)  # bad trials only
    # Stopped early (a trial may also be pruned at its last step: the median it is compared
    # with depends on which trials have reported by then).
    assert min(calls[num]["steps"] for num in pruned) < 10
    assert all(calls[n]["steps"] == 10 for n in (0, 1, 2))  # the good start-up trials ran to the end
    seen = statuses(app)
    assert {seen[n] for n in pruned} == {Status.PRUNED}
    assert all(seen[n] is Status.SUCCEEDED for n in trials if n not in pruned)
    r = app.cli("results", "--csv")
    rows = {int(row["job"]): row for row in csv.DictReader(r.out.splitlines())}
    assert all(rows[n]["status"] == "pruned" and rows[n]["error"].startswith("pruned at step") for n in pruned)


def test_failed_nan_and_none_trials_become_fail_trials_and_the_study_goes_on(app: Project) -> None:
    sweep_dir = _sweep(app, *SEARCH, "hydra.sweeper.n_trials=10", "mode=fail_negative", "-j", "2")
    trials = _trials(sweep_dir)
    failed = [t for t in trials if t["state"] == "FAIL"]
    assert failed and all(float(t["params_x"]) < 0 for t in failed)
    assert all("negative x" in t["user_attrs_fail_reason"] for t in failed)
    assert len(trials) == 10 and all(t["state"] == "COMPLETE" for t in trials if float(t["params_x"]) >= 0)

    for path in app.root.glob("multirun"):
        import shutil

        shutil.rmtree(path)
    sweep_dir = _sweep(app, *SEARCH, "hydra.sweeper.n_trials=10", "mode=nan_negative")
    trials = _trials(sweep_dir)
    assert {t["user_attrs_fail_reason"] for t in trials if t["state"] == "FAIL"} == {"value is NaN"}
    assert all(float(t["params_x"]) >= 0 for t in trials if t["state"] == "COMPLETE")


def test_a_study_where_no_trial_gives_a_value_fails(app: Project) -> None:
    sweep_dir = _sweep(app, *SEARCH, "hydra.sweeper.n_trials=3", "mode=none", code=1)
    assert {t["user_attrs_fail_reason"] for t in _trials(sweep_dir)} == {"the job returned None"}


def test_a_dict_result_is_optimised_by_its_objective_key(app: Project) -> None:
    sweep_dir = _sweep(app, *SEARCH, "hydra.sweeper.n_trials=6", "mode=dict", "hydra.sweeper.objective=x_out",
                       "hydra.sweeper.direction=maximize")
    xs = [float(t["params_x"]) for t in _trials(sweep_dir)]
    assert _results(sweep_dir)["best_value"] == pytest.approx(max(xs))


def test_a_multi_objective_study_reports_its_pareto_front(app: Project) -> None:
    sweep_dir = _sweep(app, *SEARCH, "hydra.sweeper.n_trials=10", "mode=pair",
                       "hydra.sweeper.direction=[minimize,minimize]", "-j", "2")
    trials = _trials(sweep_dir)
    points = [(float(t["values_0"]), float(t["values_1"])) for t in trials]
    front = _results(sweep_dir)["solutions"]
    front_points = {tuple(s["values"]) for s in front}

    def dominated(p: tuple[float, float]) -> bool:
        return any(q[0] <= p[0] and q[1] <= p[1] and q != p for q in points)

    assert front_points == {p for p in points if not dominated(p)}
    assert all(set(s["params"]) == {"x", "y"} for s in front)


def test_sigkill_then_resume_finishes_the_study_without_rerunning_finished_trials(app: Project) -> None:
    (app.root / "hang").touch()
    proc = start_sweep(app, "app:task", "--config-path", "conf", "--config-name", "config", *SEARCH,
                       "hydra.sweeper.n_trials=8", "mode=hang_after_3", "-j", "2")
    try:
        wait_for(lambda: count(app, Status.SUCCEEDED) == 3 and count(app, Status.RUNNING) == 2)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    (app.root / "hang").unlink()
    r = app.cli("resume")
    assert r.code == 0, r.err
    assert statuses(app) == {n: Status.SUCCEEDED for n in range(8)}
    finished_calls = [c for c in _calls(app) if "end" in c and c["end"] - c["start"] < 300]
    by_num: dict[int, list[dict[str, Any]]] = {}
    for call in _calls(app):
        by_num.setdefault(call["num"], []).append(call)
    assert all(len(by_num[n]) == 1 for n in (0, 1, 2))  # finished before the kill: never run again
    assert len(finished_calls) == len(_calls(app))
    (sweep_dir,) = [p.parent for p in app.root.glob("multirun/*/*/multirun.yaml")]
    trials = _trials(sweep_dir)
    interrupted = [t for t in trials if t["state"] == "FAIL"]
    assert len(interrupted) == 2 and {t["user_attrs_fail_reason"] for t in interrupted} == {"interrupted"}
    complete = [t for t in trials if t["state"] == "COMPLETE"]
    assert len(complete) == 8
    # The interrupted trials ran again with the params they had.
    for trial in interrupted:
        num = trial["user_attrs_hydra_runner.job"]
        rerun = [t for t in complete if t["user_attrs_hydra_runner.job"] == num]
        assert len(rerun) == 1 and rerun[0]["params_x"] == trial["params_x"]


def test_any_optuna_storage_url_holds_the_study(app: Project) -> None:
    import optuna

    _sweep(app, *SEARCH, "hydra.sweeper.n_trials=4", "hydra.sweeper.storage=sqlite:///study.db",
           "hydra.sweeper.study_name=mine")
    study = optuna.load_study(study_name="mine", storage=f"sqlite:///{app.root / 'study.db'}")
    assert len(study.trials) == 4 and all(t.state.name == "COMPLETE" for t in study.trials)


def test_a_custom_search_space_adds_params_and_overrides(app: Project) -> None:
    app.write({"space.py": """
        def extend(cfg, trial):
            y = trial.suggest_float("y", -1.0, 1.0)
            trial.set_user_attr("+tag", f"y{y:.3f}")
        """})
    sweep_dir = _sweep(app, "hydra/sweeper=optuna", "x=interval(0,1)", "hydra.sweeper.n_trials=3",
                       "hydra.sweeper.custom_search_space=space.extend")
    calls = _calls(app)
    assert len(calls) == 3 and all(-1 <= c["y"] <= 1 for c in calls)
    tags = [yaml.safe_load((p / ".hydra/config.yaml").read_text())["tag"] for p in sorted(sweep_dir.glob("[0-9]*"))]
    assert tags == [f"y{c['y']:.3f}" for c in sorted(calls, key=lambda c: c["num"])]


@pytest.mark.parametrize(
    "override, message",
    [
        ("hydra.sweeper.direction=upward", "unknown direction"),
        ("hydra.sweeper.objective=[a,b]", "objective key(s)"),
        ("x=tag(log,interval(0,1))", "positive lower bound"),
    ],
)
def test_bad_sweeper_settings_are_usage_errors(app: Project, override: str, message: str) -> None:
    r = app.cli("multirun", "app:task", "--config-path", "conf", "--config-name", "config",
                "hydra/sweeper=optuna", "hydra.sweeper.n_trials=2", override)
    assert r.code == 2, r.err
    assert message in r.err and "fix:" in r.err and "Traceback" not in r.err
    assert not (app.root / "calls.log").exists()


@pytest.mark.parametrize("space", [["x=interval(-1,1)", "modle=choice(plain,none)"], ["x=choice(0,1,zero)"]])
def test_a_search_space_that_does_not_compose_is_refused_before_the_study_exists(app: Project,
                                                                                 space: list[str]) -> None:
    app.write({"conf/config.yaml": "defaults:\n  - schema\n  - _self_\n",
               "app.py": TASK + """
    from dataclasses import dataclass
    from hydra.core.config_store import ConfigStore

    @dataclass
    class Schema:
        x: float = 0.0
        y: float = 0.0
        mode: str = "plain"
        sleep: float = 0.0
        slow: float = 0.0

    ConfigStore.instance().store(name="schema", node=Schema)
    """})
    r = app.cli("multirun", "app:task", "--config-path", "conf", "--config-name", "config", "hydra/sweeper=optuna",
                "hydra.sweeper.n_trials=2", "hydra.sweeper.storage=sqlite:///study.db", *space)
    assert r.code == 2, r.err
    assert "fix:" in r.err and "Traceback" not in r.err
    assert not (app.root / "calls.log").exists() and not (app.root / "study.db").exists()
    assert not (app.root / "multirun").exists()


def test_plain_hydra_main_app_uses_the_runner_optuna_plugin(project: Project) -> None:
    project.write({"main.py": """
        import hydra

        @hydra.main(version_base="1.3", config_path=None, config_name=None)
        def main(cfg):
            return (cfg.x - 1) ** 2

        if __name__ == "__main__":
            main()
        """})
    r = project.python("main.py", "--multirun", "hydra/sweeper=runner_optuna", "hydra.sweeper.n_trials=5",
                       "+x=interval(-3,3)", "hydra.sweep.dir=out")
    assert r.code == 0, r.err
    result = yaml.safe_load((project.root / "out/optimization_results.yaml").read_text())
    assert -3 <= result["best_params"]["+x"] <= 3
    assert len(_trials(project.root / "out")) == 5


EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "optuna_search"


def test_seed_002_random_forest_study_runs_as_a_sweep_and_plots(project: Project) -> None:
    import shutil

    shutil.copytree(EXAMPLE, project.root, dirs_exist_ok=True)
    r = project.cli("multirun", "objective.py:accuracy", "--config-path", "conf", "--config-name", "config",
                    "-j", "2", timeout=600)
    assert r.code == 0, r.err
    (sweep_dir,) = [p.parent for p in project.root.glob("multirun/*/*/multirun.yaml")]
    trials = _trials(sweep_dir)
    assert len(trials) == 20 and {t["state"] for t in trials} == {"COMPLETE"}
    accuracies = [float(t["value"]) for t in trials]
    assert all(0.85 < a <= 1.0 for a in accuracies)
    best = _results(sweep_dir)
    assert best["best_value"] == max(accuracies)  # direction: maximize
    assert 50 <= best["best_params"]["model.n_estimators"] <= 300
    r = project.cli("results", "--plot")
    assert r.code == 0, r.err
    for name in ("value", "optimization_history", "param_importances"):
        assert (sweep_dir / f"{name}.png").stat().st_size > 1000


def test_a_launcher_from_another_plugin_runs_trials_in_batches(app: Project) -> None:
    # hydra-joblib-launcher only knows Hydra's launch(): trials go to it n_jobs at a time.
    sweep_dir = _sweep(app, *SEARCH, "hydra.sweeper.n_trials=5", "hydra.sweeper.n_jobs=2",
                       "hydra/launcher=joblib", "hydra.launcher.n_jobs=2")
    trials = _trials(sweep_dir)
    assert len(trials) == 5 and {t["state"] for t in trials} == {"COMPLETE"}
    assert sorted(c["num"] for c in _calls(app)) == [0, 1, 2, 3, 4]
    assert _results(sweep_dir)["best_value"] == pytest.approx(min(float(t["value"]) for t in trials))


def test_glob_over_a_config_group_is_a_categorical_param(project: Project) -> None:
    project.write({
        "app.py": """
            def task(cfg):
                return cfg.model.size
            """,
        "conf/config.yaml": "defaults:\n  - model: small\n  - _self_\n",
        **{f"conf/model/{name}.yaml": f"size: {size}\n" for name, size in [("small", 1), ("medium", 2), ("large", 3)]},
    })
    r = project.cli("multirun", "app:task", "--config-path", "conf", "--config-name", "config", "hydra/sweeper=optuna",
                    "hydra.sweeper.n_trials=6", "hydra/sweeper/sampler=random", "hydra.sweeper.sampler.seed=1",
                    "model=glob([l*,m*])", "hydra.sweep.dir=out")
    assert r.code == 0, r.err
    trials = _trials(project.root / "out")
    assert len(trials) == 6 and {t["params_model"] for t in trials} == {"large", "medium"}
    assert [float(t["value"]) for t in trials] == [{"medium": 2.0, "large": 3.0}[t["params_model"]] for t in trials]
    assert _results(project.root / "out")["best_params"] == {"model": "medium"}
