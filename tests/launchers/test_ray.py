"""The Ray launcher on a real, embedded Ray: started for the sweep and gone after it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import tempfile
import uuid
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from hydra_runner.errors import UsageError
from hydra_runner.journal import Status
from hydra_runner.launchers.ray.resources import task_options
from hydra_runner.launchers.task_env import parse_memory

from ..conftest import Project
from ..sweep_helpers import count, journal_of, start_sweep, statuses, wait_for

TASK = """
    import json, os
    from hydra.core.hydra_config import HydraConfig

    def task(cfg):
        if cfg.x == 1:
            raise ValueError("x=1 fails")
        out = HydraConfig.get().runtime.output_dir
        with open(os.path.join(out, "seen.json"), "w") as f:
            json.dump({"pid": os.getpid(), "cwd": os.getcwd(), "A": os.environ.get("A")}, f)
        print("hello from", cfg.x)
        return cfg.x * 10
"""


@pytest.fixture
def app(project: Project) -> Project:
    return project.write({"app.py": TASK, "conf/config.yaml": "x: 0\n"})


def _processes_marked(mark: str) -> list[int]:
    """Live processes whose environment holds ``mark`` (everything a command started inherits it)."""
    pids = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if mark.encode() in environ.read_bytes():
                pids.append(int(environ.parent.name))
        except OSError:
            pass
    return pids


def test_an_embedded_ray_runs_the_sweep_and_goes_away(app: Project) -> None:
    mark = f"HYDRA_RUNNER_TEST_RUN={uuid.uuid4().hex}"
    r = app.cli("multirun", "app:task", "--config-path", "conf", "--config-name", "config", "x=0,1,2,3",
                "--launcher", "ray", timeout=300, env=dict([mark.split("=")]))
    assert r.code == 1, r.err  # job 1 failed, the others ran
    assert statuses(app) == {0: Status.SUCCEEDED, 1: Status.FAILED, 2: Status.SUCCEEDED, 3: Status.SUCCEEDED}
    assert "x=1 fails" in r.err and "1 of 4 jobs did not succeed" in r.err
    with journal_of(app) as journal:
        jobs = {job.num: job for job in journal.jobs()}
    assert [jobs[n].value for n in (0, 2, 3)] == [0, 20, 30]
    for n in (0, 2, 3):
        job_dir = app.root / (jobs[n].directory or "")
        seen = json.loads((job_dir / "seen.json").read_text())
        assert seen["cwd"] == str(app.root)  # the project's dir, as for a local run
        assert (job_dir / ".hydra" / "config.yaml").exists()
        assert f"hello from {n}" in (job_dir / "console.log").read_text()
    assert _processes_marked(mark) == []  # nothing of the embedded Ray is left


def test_task_env_resources_and_env_vars_reach_the_job(app: Project) -> None:
    app.write({"conf/config.yaml": """
        x: 0
        task_env:
          resources: {cpu: 1}
          env_vars: {A: from-task-env}
        """})
    r = app.cli("multirun", "app:task", "--config-path", "conf", "--config-name", "config", "x=0,2",
                "--launcher", "ray", "+task_env.resources.special=1,0", timeout=300)
    # The job asking for a resource no node has fails at once, with the reason; the other runs.
    assert r.code == 1, r.err
    assert "asks for" in r.err and "special=1" in r.err and "no node of the Ray cluster has" in r.err
    seen = statuses(app)
    assert sorted(s.value for s in seen.values()) == ["failed", "failed", "succeeded", "succeeded"]
    with journal_of(app) as journal:
        ok = [j for j in journal.jobs() if j.status is Status.SUCCEEDED]
    assert all(json.loads((app.root / (j.directory or "") / "seen.json").read_text())["A"] == "from-task-env"
               for j in ok)


def test_an_optuna_study_runs_its_trials_on_ray(app: Project) -> None:
    r = app.cli("multirun", "app:task", "--config-path", "conf", "--config-name", "config",
                "hydra/sweeper=optuna", "hydra.sweeper.n_trials=6", "x=int(interval(2,9))", "hydra.sweeper.n_jobs=2",
                "--launcher", "ray", timeout=300)
    assert r.code == 0, r.err
    assert statuses(app) == {n: Status.SUCCEEDED for n in range(6)}
    (sweep_dir,) = [p.parent for p in app.root.glob("multirun/*/*/multirun.yaml")]
    best = OmegaConf.load(sweep_dir / "optimization_results.yaml")
    assert best.best_value == 10 * best.best_params["x"]


@pytest.mark.parametrize(
    "flags, message",
    [(["--gpus-per-job", "1"], ["--gpus-per-job applies to --launcher pool, not to --launcher ray", "task_env"]),
     (["-j", "auto"], ["-j is how many jobs are submitted"]),
     (["--no-wait"], ["--no-wait submits the jobs to a running Ray cluster", "--ray-address http://"]),
     (["--no-wait", "--ray-address", "http://127.0.0.1:1", "--timeout", "5", "-j", "2"],
      ["--timeout, -j need the sweep to wait for its jobs"])],
)
def test_flags_that_do_not_fit_ray_are_refused(app: Project, flags: list[str], message: list[str]) -> None:
    r = app.cli("multirun", "app:task", "--config-path", "conf", "--config-name", "config", "x=0,2",
                "--launcher", "ray", *flags)
    assert r.code == 2 and all(m in r.err for m in message) and "fix:" in r.err and "Traceback" not in r.err


def test_no_wait_refuses_a_sweeper_that_needs_the_jobs_values(app: Project) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listening:  # an address that answers; no Ray is needed
        r = app.cli("multirun", "app:task", "--config-path", "conf", "--config-name", "config", "x=range(0,9)",
                    "hydra/sweeper=random", "hydra.sweeper.max_iter=3", "--launcher", "ray",
                    "--ray-address", f"http://127.0.0.1:{listening.getsockname()[1]}", "--no-wait")
    assert r.code == 2 and "--no-wait returns before any job has a value" in r.err, r.err
    assert "Traceback" not in r.err and statuses(app) == {}  # no trial was asked for


def test_an_address_that_does_not_answer_is_refused_before_the_sweep_writes_anything(app: Project) -> None:
    with socket.create_server(("127.0.0.1", 0)) as closed:
        port = closed.getsockname()[1]
    r = app.cli("multirun", "app:task", "--config-path", "conf", "--config-name", "config", "x=range(0,3)",
                "--launcher", "ray", "--ray-address", f"127.0.0.1:{port}")
    assert r.code == 2 and f"cannot reach Ray at 127.0.0.1:{port}" in r.err and "fix:" in r.err, r.err
    assert not (app.root / "multirun").exists()


def test_task_options_read_the_task_env_node() -> None:
    cfg = OmegaConf.create({"task_env": {"train": {"resources": {"cpu": 2, "gpu": 0.5, "memory": "8Gi", "a100": 1},
                                                   "env_vars": {"A": 1}, "runtime_env": {"pip": ["x"]}}}})
    options = task_options(cfg, "train")
    assert options == {"num_cpus": 2.0, "num_gpus": 0.5, "memory": 8 * 2**30, "resources": {"a100": 1.0},
                       "max_retries": 0, "runtime_env": {"pip": ["x"], "env_vars": {"A": "1"}}}
    assert task_options(OmegaConf.create({"x": 1}), "train") == {"num_cpus": 1.0, "max_retries": 0}
    renamed = OmegaConf.create({"hw": {"resources": {"cpu": 4}}})
    assert task_options(renamed, "train", key="hw")["num_cpus"] == 4.0


@pytest.mark.parametrize("text, size", [("8Gi", 8 * 2**30), ("512Mi", 512 * 2**20), ("2G", 2 * 10**9), (1024, 1024),
                                        ("1.5Gi", int(1.5 * 2**30))])
def test_memory_sizes(text: object, size: int) -> None:
    assert parse_memory(text) == size


def test_a_bad_memory_size_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="not a size"):
        parse_memory("lots")


def test_jobs_on_ray_report_to_the_pruner_and_log_metrics_to_their_runs(project: Project) -> None:
    from mlflow.tracking import MlflowClient

    project.write({
        "app.py": """
            import hydra_runner

            def task(cfg):
                for step in range(6):
                    hydra_runner.report(abs(cfg.x - 2) + 1.0 / (step + 1), step)
                    hydra_runner.log_metrics({"step_seen": step}, step=step)
                return abs(cfg.x - 2)
            """,
        "conf/config.yaml": "x: 0.0\n",
    })
    uri = f"sqlite:///{project.root / 'tracking.db'}"
    r = project.cli("multirun", "app:task", "--config-path", "conf", "--config-name", "config",
                    "hydra/sweeper=optuna", "hydra.sweeper.n_trials=8", "x=interval(-10,10)",
                    "+hydra.sweeper.enqueue=[{x: 2.0}, {x: 2.2}, {x: 2.4}]", "+hydra/sweeper/pruner=median",
                    "hydra.sweeper.pruner.n_startup_trials=3", "hydra.sweeper.n_jobs=1",
                    "--launcher", "ray", "--mlflow", "--mlflow-uri", uri, timeout=300)
    assert r.code == 0, r.err
    seen = statuses(project)
    assert Status.PRUNED in seen.values()
    assert all(seen[n] is Status.SUCCEEDED for n in (0, 1, 2))
    client = MlflowClient(uri)
    runs = client.search_runs([client.get_experiment_by_name("task").experiment_id],
                              filter_string="tags.`hydra_runner.job` = '0'")
    history = client.get_metric_history(runs[0].info.run_id, "step_seen")
    assert sorted(m.step for m in history) == list(range(6))
    assert len(client.get_metric_history(runs[0].info.run_id, "intermediate_value")) == 6


def test_apply_task_env_gives_a_jobs_child_task_the_jobs_environment(project: Project) -> None:
    project.write({
        "app.py": """
            import os
            import ray
            import hydra_runner

            def child():
                return os.environ.get("A")

            def task(cfg):
                return ray.get(hydra_runner.apply_task_env(child, cfg).remote())
            """,
        "conf/config.yaml": "x: 0\ntask_env:\n  resources: {cpu: 0.5}\n  env_vars: {A: child-sees-this}\n",
    })
    r = project.cli("multirun", "app:task", "--config-path", "conf", "--config-name", "config", "x=0",
                    "--launcher", "ray", timeout=300)
    assert r.code == 0, r.err
    with journal_of(project) as journal:
        (job,) = journal.jobs()
    assert job.value == "child-sees-this"


def test_a_plain_hydra_main_app_uses_the_runner_ray_plugin(project: Project) -> None:
    project.write({"main.py": """
        import hydra

        @hydra.main(version_base="1.3", config_path=None, config_name=None)
        def main(cfg):
            with open(f"done-{cfg.x}", "w") as f:
                f.write("ok")
            return cfg.x

        if __name__ == "__main__":
            main()
        """})
    r = project.python("main.py", "--multirun", "hydra/launcher=runner_ray", "+x=1,2", "hydra.sweep.dir=out",
                       timeout=300)
    assert r.code == 0, r.err
    assert sorted(p.name for p in project.root.glob("done-*")) == ["done-1", "done-2"]
    assert statuses(project) == {0: Status.SUCCEEDED, 1: Status.SUCCEEDED}


def test_the_embedded_ray_ignores_a_cluster_this_machine_started_before(app: Project) -> None:
    # Ray records the last cluster started here; a plain ray.init() would try to join it,
    # and hang when it has died. The embedded Ray starts its own.
    temp = Path(tempfile.mkdtemp(prefix="rt", dir="/tmp"))  # short: Ray's socket paths must fit
    try:
        (temp / "ray").mkdir()
        (temp / "ray" / "ray_current_cluster").write_text("127.0.0.1:1")
        r = app.cli("multirun", "app:task", "--config-path", "conf", "--config-name", "config", "x=0,2",
                    "--launcher", "ray", env={"RAY_TMPDIR": str(temp)}, timeout=300)
        assert r.code == 0, r.err
        assert statuses(app) == {0: Status.SUCCEEDED, 1: Status.SUCCEEDED}
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def test_resume_runs_again_on_ray_only_what_did_not_succeed(project: Project) -> None:
    project.write({
        "flaky.py": """
            import os

            def task(cfg):
                if cfg.x == 1 and os.path.exists("broken"):
                    raise RuntimeError("x=1 is broken")
                with open(f"ran-{cfg.x}", "a") as f:
                    f.write("ran\\n")
                return cfg.x
            """,
        "conf/config.yaml": "x: 0\n",
        "broken": "",
    })
    r = project.cli("multirun", "flaky:task", "--config-path", "conf", "--config-name", "config", "x=0,1,2",
                    "--launcher", "ray", timeout=300)
    assert r.code == 1 and statuses(project)[1] is Status.FAILED
    (project.root / "broken").unlink()
    r = project.cli("resume", timeout=300)
    assert r.code == 0, r.err
    assert "on Ray" in r.out  # the recorded command, launcher included
    assert statuses(project) == {n: Status.SUCCEEDED for n in range(3)}
    with journal_of(project) as journal:
        assert {job.num: job.attempts for job in journal.jobs()} == {0: 1, 1: 2, 2: 1}
    assert [(project.root / f"ran-{n}").read_text().count("ran") for n in range(3)] == [1, 1, 1]


def test_sigterm_stops_the_jobs_on_ray_as_interrupted_and_resume_finishes_them(project: Project) -> None:
    project.write({
        "hang.py": """
            import os, time

            def task(cfg):
                while not os.path.exists("release"):
                    time.sleep(0.05)
                with open(f"ran-{cfg.x}", "a") as f:
                    f.write("ran\\n")
                return cfg.x
            """,
        "conf/config.yaml": "x: 0\n",
    })
    proc = start_sweep(project, "hang:task", "--config-path", "conf", "--config-name", "config", "x=0,1,2",
                       "--launcher", "ray", "-j", "2")
    wait_for(lambda: count(project, Status.RUNNING) == 2, timeout=240)
    os.kill(proc.pid, signal.SIGTERM)  # Ray's own handlers, installed as it starts, must not take it
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert sorted(s.value for s in statuses(project).values()) == ["interrupted", "interrupted", "pending"]
    assert "Finish them with: hydra-runner resume" in err
    (project.root / "release").touch()
    r = project.cli("resume", timeout=300)
    assert r.code == 0, r.err
    assert statuses(project) == {n: Status.SUCCEEDED for n in range(3)}
    assert [(project.root / f"ran-{n}").read_text().count("ran") for n in range(3)] == [1, 1, 1]
