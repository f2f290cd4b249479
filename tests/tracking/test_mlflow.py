"""MLflow tracking end to end, read back through ``MlflowClient``: real stores, real sweeps."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
from mlflow.tracking import MlflowClient

from hydra_runner.journal import Status

from ..conftest import Project
from ..sweep_helpers import count, start_sweep, statuses, wait_for

TASK = """
    import hydra_runner

    def task(cfg):
        if cfg.x == 1:
            raise ValueError(f"x={cfg.x} is bad\\nsecond line")
        for step in range(3):
            hydra_runner.log_metrics({"loss": cfg.x * 10 - step}, step=step)
        print("training done")
        return {"score": float(cfg.x) * 2, "name": "not a number"}
"""

CONFIG = """
    x: 0
    db:
      password: hunter2
    notes: LONG
"""


@pytest.fixture
def app(project: Project) -> Project:
    return project.write({"app.py": TASK, "conf/config.yaml": CONFIG.replace("LONG", "n" * 7000)})


def _store(project: Project) -> str:
    return f"sqlite:///{project.root / 'tracking.db'}"


def _runs(uri: str, experiment: str) -> tuple[Any, list[Any]]:
    client = MlflowClient(uri)
    exp = client.get_experiment_by_name(experiment)
    assert exp is not None, f"no experiment {experiment}"
    runs = client.search_runs([exp.experiment_id])
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = sorted((r for r in runs if "mlflow.parentRunId" in r.data.tags),
                      key=lambda r: int(r.data.tags["hydra_runner.job"]))
    return (parents[0] if len(parents) == 1 else parents), children


def _sweep(app: Project, uri: str, *args: str, code: int = 1) -> str:
    r = app.cli("multirun", "app:task", "--config-path", "conf", "--config-name", "config", "x=0,1,2",
                "--mlflow", "--mlflow-uri", uri, "--mlflow-experiment", "exp", *args)
    assert r.code == code, r.err
    return r.out + r.err


def _check_sweep(uri: str) -> None:
    client = MlflowClient(uri)
    parent, children = _runs(uri, "exp")
    assert [c.data.tags["mlflow.parentRunId"] for c in children] == [parent.info.run_id] * 3
    assert parent.data.tags["sweep_dir"].endswith(parent.info.run_name)
    assert "multirun" in parent.data.tags["command"] and parent.data.tags["hydra_runner_version"]
    assert {a.path for a in client.list_artifacts(parent.info.run_id)} >= {"results.csv"}
    ok, bad, ok2 = children
    assert [c.info.status for c in children] == ["FINISHED", "FAILED", "FINISHED"]
    assert bad.data.tags["error"] == "ValueError: x=1 is bad"
    assert ok2.data.params["x"] == "2" and ok2.data.tags["override.x"] == "2"
    assert ok2.data.params["db.password"] == "***"
    assert ok2.data.params["notes"].endswith("...[truncated]") and len(ok2.data.params["notes"]) == 6000
    assert ok2.data.metrics["score"] == 4.0 and "name" not in ok2.data.metrics
    history = client.get_metric_history(ok2.info.run_id, "loss")
    assert sorted((m.step, m.value) for m in history) == [(0, 20.0), (1, 19.0), (2, 18.0)]
    artifacts = {a.path for a in client.list_artifacts(ok2.info.run_id)}
    assert ".hydra" in artifacts and any(p.endswith(".log") for p in artifacts)
    assert {a.path for a in client.list_artifacts(ok2.info.run_id, ".hydra")} >= {
        ".hydra/config.yaml", ".hydra/overrides.yaml"}


@pytest.mark.parametrize("jobs", [[], ["-j", "2"]], ids=["in-process", "pool"])
def test_a_sweep_is_a_parent_run_with_a_nested_run_per_job(app: Project, jobs: list[str]) -> None:
    _sweep(app, _store(app), *jobs)
    _check_sweep(_store(app))


def test_an_optuna_study_logs_best_value_params_and_its_files_on_the_parent(project: Project) -> None:
    project.write({
        "app.py": """
            import hydra_runner

            def task(cfg):
                for step in range(5):
                    hydra_runner.report(abs(cfg.x - 2) + 1.0 / (step + 1), step)
                return abs(cfg.x - 2)
            """,
        "conf/config.yaml": "x: 0.0\n",
    })
    uri = _store(project)
    r = project.cli("multirun", "app:task", "--config-path", "conf", "--config-name", "config",
                    "hydra/sweeper=optuna", "hydra.sweeper.n_trials=10", "x=interval(-10,10)",
                    "+hydra.sweeper.enqueue=[{x: 2.0}, {x: 2.5}]", "+hydra/sweeper/pruner=median",
                    "hydra.sweeper.pruner.n_startup_trials=2", "-j", "2", "--mlflow", "--mlflow-uri", uri)
    assert r.code == 0, r.err
    parent, children = _runs(uri, "task")  # the experiment defaults to the task's name
    assert len(children) == 10
    values = [c.data.metrics["value"] for c in children if "value" in c.data.metrics]
    assert parent.data.metrics["best_value"] == pytest.approx(min(values))
    assert "best.x" in parent.data.params
    client = MlflowClient(uri)
    assert {a.path for a in client.list_artifacts(parent.info.run_id)} >= {
        "optimization_results.yaml", "trials.csv", "results.csv"}
    pruned = [c for c in children if c.data.tags.get("pruned") == "true"]
    assert pruned and all(c.info.status == "FINISHED" and "value" not in c.data.metrics for c in pruned)
    steps = client.get_metric_history(children[0].info.run_id, "intermediate_value")
    assert [m.step for m in sorted(steps, key=lambda m: m.step)] == [0, 1, 2, 3, 4]


def test_a_single_run_is_one_run(app: Project) -> None:
    uri = _store(app)
    r = app.cli("run", "app:task", "--config-path", "conf", "--config-name", "config", "x=3",
                "--mlflow", "--mlflow-uri", uri)
    assert r.code == 0, r.err
    client = MlflowClient(uri)
    (run,) = client.search_runs([client.get_experiment_by_name("task").experiment_id])
    assert "mlflow.parentRunId" not in run.data.tags and run.info.status == "FINISHED"
    assert run.data.params["x"] == "3" and run.data.metrics["score"] == 6.0
    assert len(client.get_metric_history(run.info.run_id, "loss")) == 3


def test_a_plain_hydra_main_app_turns_tracking_on_with_the_callback(project: Project) -> None:
    project.write({"main.py": """
        import hydra
        import hydra_runner

        @hydra.main(version_base="1.3", config_path=None, config_name=None)
        def main(cfg):
            hydra_runner.log_metrics({"seen": cfg.x}, step=1)
            return cfg.x * 1.5

        if __name__ == "__main__":
            main()
        """})
    uri = _store(project)
    r = project.python("main.py", "--multirun", "+x=1,2",
                       "+hydra.callbacks.mlflow._target_=hydra_runner.tracking.callback.MlflowCallback",
                       f"+hydra.callbacks.mlflow.tracking_uri={uri}", "+hydra.callbacks.mlflow.experiment=plain")
    assert r.code == 0, r.err
    parent, children = _runs(uri, "plain")
    assert [c.data.metrics["value"] for c in children] == [1.5, 3.0]
    assert [c.data.metrics["seen"] for c in children] == [1.0, 2.0]
    assert all(c.data.tags["mlflow.parentRunId"] == parent.info.run_id for c in children)
    assert parent.info.status == "FINISHED"


def test_an_unreachable_store_never_stops_the_jobs(app: Project) -> None:
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    output = _sweep(app, f"http://127.0.0.1:{port}", "-j", "2")
    assert "MLflow at http://127.0.0.1" in output and "results stay in the sweep journal" in output
    assert statuses(app) == {0: Status.SUCCEEDED, 1: Status.FAILED, 2: Status.SUCCEEDED}


@pytest.fixture(scope="module")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``mlflow server`` on a loopback port, for the module's tests."""
    root = tmp_path_factory.mktemp("mlflow-server")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
         "--backend-store-uri", f"sqlite:///{root / 'server.db'}", "--artifacts-destination", str(root / "art"),
         "--workers", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    uri = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("mlflow server did not start") from None
                time.sleep(0.2)
        yield uri
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)


def test_a_pool_sweep_is_tracked_on_a_real_mlflow_server(app: Project, mlflow_server: str) -> None:
    _sweep(app, mlflow_server, "-j", "2")
    _check_sweep(mlflow_server)
    assert Path(app.root / "tracking.db").exists() is False  # nothing went to a local store


def test_resume_reuses_the_sweeps_parent_run(app: Project) -> None:
    uri = _store(app)
    _sweep(app, uri, "-j", "2")
    (app.root / "app.py").write_text((app.root / "app.py").read_text().replace("cfg.x == 1", "cfg.x == 99"))
    r = app.cli("resume")
    assert r.code == 0, r.err
    parent, children = _runs(uri, "exp")  # still one parent run
    assert parent.info.status == "FINISHED"
    rerun = [c for c in children if c.data.tags["hydra_runner.job"] == "1"]
    assert sorted(c.info.status for c in rerun) == ["FAILED", "FINISHED"]
    assert all(c.data.tags["mlflow.parentRunId"] == parent.info.run_id for c in children)


EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "optuna_search"


def test_seed_002_study_with_mlflow_needs_no_mlflow_code_in_the_task(project: Project) -> None:
    shutil.copytree(EXAMPLE, project.root, dirs_exist_ok=True)
    assert "mlflow" not in (project.root / "objective.py").read_text()
    uri = _store(project)
    r = project.cli("multirun", "objective.py:accuracy", "--config-path", "conf", "--config-name", "config",
                    "-j", "2", "--mlflow", "--mlflow-uri", uri, timeout=600)
    assert r.code == 0, r.err
    parent, children = _runs(uri, "accuracy")
    assert len(children) == 20 and all(c.info.status == "FINISHED" for c in children)
    accuracies = [c.data.metrics["value"] for c in children]
    assert all(0.85 < a <= 1.0 for a in accuracies)
    assert parent.data.metrics["best_value"] == max(accuracies)
    best = children[accuracies.index(max(accuracies))]
    for key in ("model.n_estimators", "model.max_depth", "model.min_samples_split"):
        assert parent.data.params[f"best.{key}"] == best.data.params[key]
    client = MlflowClient(uri)
    assert {a.path for a in client.list_artifacts(parent.info.run_id)} >= {
        "optimization_results.yaml", "trials.csv", "results.csv"}


def test_sync_logs_what_an_unreachable_store_missed_and_never_twice(app: Project) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _sweep(app, f"http://127.0.0.1:{port}", "-j", "2")
    uri = _store(app)
    r = app.cli("sync", "--mlflow-uri", uri, "--mlflow-experiment", "exp")
    assert r.code == 0, r.err
    assert "logged 3 job(s)" in r.err and "(0 already there)" in r.err
    parent, children = _runs(uri, "exp")
    assert [c.info.status for c in children] == ["FINISHED", "FAILED", "FINISHED"]
    assert children[2].data.metrics["score"] == 4.0 and children[2].data.params["db.password"] == "***"
    assert children[1].data.tags["error"].startswith("ValueError: x=1 is bad")
    assert parent.data.tags["sweep_dir"].endswith(parent.info.run_name)
    r = app.cli("sync", "--mlflow-uri", uri, "--mlflow-experiment", "exp")
    assert r.code == 0 and "logged 0 job(s)" in r.err and "(3 already there)" in r.err
    assert len(_runs(uri, "exp")[1]) == 3


def test_sync_to_an_unreachable_store_is_an_error_with_a_fix(app: Project) -> None:
    _sweep(app, _store(app))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = app.cli("sync", "--mlflow-uri", f"http://127.0.0.1:{port}")
    assert r.code == 2 and "could not log to MLflow" in r.err and "fix:" in r.err and "Traceback" not in r.err


def test_a_sweep_stopped_by_two_ctrl_c_leaves_its_runs_killed(project: Project) -> None:
    project.write({"app.py": "import time\n\ndef task(cfg):\n    time.sleep(cfg.sleep)\n    return cfg.x\n",
                   "conf/config.yaml": "x: 0\nsleep: 60\n"})
    uri = _store(project)
    proc = start_sweep(project, "app:task", "--config-path", "conf", "--config-name", "config", "x=0,1,2",
                       "-j", "2", "--mlflow", "--mlflow-uri", uri, "--mlflow-experiment", "exp")
    wait_for(lambda: count(project, Status.RUNNING) == 2, timeout=120)
    os.killpg(proc.pid, signal.SIGINT)
    time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGINT)
    proc.communicate(timeout=60)
    assert proc.returncode == 130
    parent, children = _runs(uri, "exp")
    assert parent.info.status == "KILLED"
    assert [c.info.status for c in children] == ["KILLED", "KILLED"]  # job 2 never started


def test_mlflow_settings_without_mlflow_are_a_usage_error(app: Project) -> None:
    r = app.cli("multirun", "app:task", "--config-path", "conf", "--config-name", "config", "x=0",
                "--mlflow-uri", _store(app))
    assert r.code == 2 and "configure --mlflow" in r.err and "fix: add --mlflow" in r.err
    assert "Traceback" not in r.err and not (app.root / "tracking.db").exists()
