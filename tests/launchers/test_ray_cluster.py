"""Sweeps on a real two-node Ray cluster: per-job resources, node loss, fake GPUs, timeouts.

The cluster (see :mod:`.ray_cluster`) has a head with 2 CPUs and 2 (fake) GPUs and a node
``side`` with 1 CPU and a custom resource ``side``. All tests here share it, on one xdist
worker.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Iterator, Optional

import pytest

from hydra_runner.journal import Status

from ..conftest import Project
from ..sweep_helpers import journal_of, start_sweep, statuses, wait_for
from .ray_cluster import RayCluster

pytestmark = pytest.mark.xdist_group("ray_cluster")

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "quickstart"

TASK = """
    import json, os, time
    import ray

    def task(cfg):
        if cfg.get("fail") == cfg.x:
            raise ValueError(f"x={cfg.x} fails")
        started = time.time()
        node = os.environ["TEST_RAY_NODE"]
        os.makedirs("marks", exist_ok=True)
        open(f"marks/start-{cfg.x}-{node}", "w").close()
        time.sleep(cfg.get("spare_sleep", cfg.sleep) if node == "spare" else cfg.sleep)
        with open(f"marks/done-{cfg.x}", "a") as f:
            f.write(node + "\\n")
        return {"node": node, "cuda": os.environ.get("CUDA_VISIBLE_DEVICES"), "secret": os.environ.get("SECRET"),
                "cwd": os.getcwd(),
                "gpu_ids": [str(i) for i in ray.get_gpu_ids()], "started": started, "ended": time.time()}
"""


@pytest.fixture(scope="module")
def cluster() -> Iterator[RayCluster]:
    cluster = RayCluster()
    try:
        cluster.start_head(num_cpus=2, num_gpus=2)
        cluster.add_node("side", num_cpus=1, resources={"side": 2})
        yield cluster
    finally:
        cluster.stop()
    assert cluster.leftover_processes() == []


@pytest.fixture
def app(project: Project) -> Project:
    return project.write({
        "app.py": TASK,
        "conf/config.yaml": "x: 0\nsleep: 0\n",
        "conf/task_env/side.yaml": "# @package task_env\nresources: {side: 1}\n",
        "conf/task_env/gpu.yaml": "# @package task_env\nresources: {gpu: 1, cpu: 0.5}\n",
        "conf/task_env/wide.yaml": "# @package task_env\nresources: {cpu: 3}\n",
    })


def _sweep(app: Project, cluster: RayCluster, *args: str, extra_env: Optional[dict[str, str]] = None
           ) -> tuple[int, str]:
    r = app.cli("multirun", "app:task", "--config-path", "conf", "--config-name", "config", *args,
                "--launcher", "ray", "--ray-address", cluster.address, env={**cluster.env, **(extra_env or {})},
                timeout=600)
    return r.code, r.err


def _values(app: Project) -> dict[int, dict]:
    with journal_of(app) as journal:
        return {job.num: job.value for job in journal.jobs()}


def test_the_demo_sweep_runs_on_the_cluster_with_task_env_resources(project: Project, cluster: RayCluster) -> None:
    shutil.copytree(EXAMPLE, project.root, dirs_exist_ok=True, ignore=shutil.ignore_patterns("multirun", "outputs"))
    project.write({"conf/task_env/side.yaml": "# @package task_env\nresources: {side: 1}\n"})
    r = project.cli("multirun", "src.train", "model=linear,mlp", "optimizer.lr=0.01,0.05,0.1", "+task_env=side",
                    "--launcher", "ray", "--ray-address", cluster.address, env=cluster.env, timeout=600)
    assert r.code == 0, r.err
    assert set(statuses(project).values()) == {Status.SUCCEEDED} and len(statuses(project)) == 6
    with journal_of(project) as journal:
        workers = {job.num: job.worker for job in journal.jobs()}
    # Only the node with the custom resource ran them; the journal says where each ran.
    assert all(str(worker).startswith("side/") for worker in workers.values()), workers


def test_jobs_get_the_variables_named_by_forward_env_and_run_in_the_project(app: Project,
                                                                           cluster: RayCluster) -> None:
    code, err = _sweep(app, cluster, "x=range(2)", "--forward-env", "SECRET", extra_env={"SECRET": "s3"})
    assert code == 0, err
    for value in _values(app).values():
        assert value["secret"] == "s3"
        assert value["cwd"] == str(app.root)  # this machine has the project: jobs run in it, as locally
    code, err = _sweep(app, cluster, "x=0", "--forward-env", "NOT_SET_ANYWHERE")
    assert code == 2 and "NOT_SET_ANYWHERE: asked to be passed to the jobs but not set here" in err


def test_jobs_asking_for_a_custom_resource_run_only_on_the_node_that_has_it(app: Project, cluster: RayCluster) -> None:
    code, err = _sweep(app, cluster, "x=range(4)", "+task_env=side")
    assert code == 0, err
    assert {value["node"] for value in _values(app).values()} == {"side"}
    code, err = _sweep(app, cluster, "x=range(6)", "sleep=0.5")  # without it, both nodes take jobs
    assert code == 0, err


def test_a_job_no_node_can_hold_fails_at_once_and_the_others_run(app: Project, cluster: RayCluster) -> None:
    # 3 CPUs exist in the cluster, but on no single node.
    code, err = _sweep(app, cluster, "x=1", "+task_env=side,wide")
    assert code == 1
    assert statuses(app) == {0: Status.SUCCEEDED, 1: Status.FAILED}
    assert "asks for CPU=3, which no node of the Ray cluster has" in err
    assert "lower the job's task_env resources" in err


def test_jobs_lost_with_a_node_run_again_elsewhere_and_each_succeeds_once(app: Project, cluster: RayCluster) -> None:
    cluster.add_node("spare", num_cpus=1, resources={"spare": 1})
    # A job on the spare node outlasts its killing, however slow the machine: it is lost, never done.
    sweep = start_sweep(app, "app:task", "--config-path", "conf", "--config-name", "config", "x=range(6)",
                        "sleep=3", "+spare_sleep=600", "--retries", "2", "--launcher", "ray",
                        "--ray-address", cluster.address, env=cluster.env)
    try:
        wait_for(lambda: bool(list(app.root.glob("marks/start-*-spare"))) or sweep.poll() is not None, 300)
        cluster.kill_node("spare")
        out, err = sweep.communicate(timeout=600)
    finally:
        if sweep.poll() is None:
            sweep.kill()
    assert sweep.returncode == 0, err
    lost = [int(p.name.split("-")[1]) for p in app.root.glob("marks/start-*-spare")]
    assert lost and f"#{lost[0]} NodeDiedError" in out and "retrying" in out, out
    assert statuses(app) == {n: Status.SUCCEEDED for n in range(6)}
    for n in range(6):  # each finished exactly once, the lost ones elsewhere
        finished_on = (app.root / "marks" / f"done-{n}").read_text().split()
        assert len(finished_on) == 1 and finished_on[0] in ("head", "side"), (n, finished_on)
    with journal_of(app) as journal:
        attempts = {job.num: job.attempts for job in journal.jobs()}
    assert all(attempts[n] == 2 for n in lost) and sum(attempts.values()) == 6 + len(lost)


def test_each_gpu_job_sees_exactly_the_devices_ray_gave_it(app: Project, cluster: RayCluster) -> None:
    code, err = _sweep(app, cluster, "x=range(4)", "sleep=1", "+task_env=gpu")
    assert code == 0, err
    jobs = list(_values(app).values())
    for job in jobs:
        assert job["node"] == "head"  # the only node with GPUs
        assert job["cuda"] is not None and job["cuda"].split(",") == job["gpu_ids"] and len(job["gpu_ids"]) == 1
    for a in jobs:
        for b in jobs:
            overlap = a is not b and a["started"] < b["ended"] and b["started"] < a["ended"]
            assert not overlap or a["gpu_ids"] != b["gpu_ids"]
    assert {job["cuda"] for job in jobs} <= {"0", "1"}


def test_the_timeout_counts_from_a_jobs_start_not_from_its_wait_for_a_worker(app: Project,
                                                                             cluster: RayCluster) -> None:
    # The side node runs one job at a time: the fourth waits about 3 s before it starts.
    code, err = _sweep(app, cluster, "x=range(4)", "sleep=1", "+task_env=side", "--timeout", "2.5")
    assert code == 0, err
    assert statuses(app) == {n: Status.SUCCEEDED for n in range(4)}
    code, err = _sweep(app, cluster, "x=0", "sleep=30", "+task_env=side", "--timeout", "1")
    assert code == 1 and "timed out after 1 s" in err
    assert statuses(app) == {0: Status.TIMEOUT}
    json.dumps(err)  # the error reached the terminal as text


def test_no_wait_submits_ray_jobs_returns_and_status_and_results_collect_them(app: Project,
                                                                             cluster: RayCluster) -> None:
    app.write({".gitignore": "*.pkl\n.*\n"})  # Ray's packaging honours it: the sweep's setup must still go
    r = app.cli("multirun", "app:task", "--config-path", "conf", "--config-name", "config", "x=range(3)",
                "sleep=4", "+fail=1", "+task_env=side", "--launcher", "ray", "--ray-address", cluster.dashboard,
                "--no-wait", env=cluster.env, timeout=600)
    assert r.code == 0, r.err
    log = r.out + r.err
    assert "3 jobs submitted to Ray" in log and cluster.dashboard in log and "hydra-runner status" in log
    ray_jobs = {n: f"task-{log.split('Ray job task-')[1].split('-')[0]}-{n}" for n in range(3)}
    assert all(f"Ray job {ray_jobs[n]}" in log for n in range(3))
    # It returned before the jobs ended: each sleeps 4 s once started, and none had ended yet.
    assert not list(app.root.glob("marks/done-*"))
    assert set(statuses(app).values()) == {Status.SUBMITTED}
    early = app.cli("resume", env=cluster.env, timeout=300)  # would submit them a second time
    assert early.code == 2 and "still on the Ray cluster" in early.err, early.err

    def all_ended() -> bool:
        status = app.cli("status", env=cluster.env, timeout=300)
        assert status.code == 0, status.err
        return "0 still on the cluster" in status.out

    wait_for(all_ended, timeout=300)
    status = app.cli("status", env={**cluster.env, "COLUMNS": "200"}, timeout=300)
    assert all(ray_jobs[n] in status.out for n in range(3)) and "FAILED" in status.out
    results = app.cli("results", "--json", env=cluster.env, timeout=300)
    assert results.code == 0, results.err
    rows = {row["job"]: row for row in json.loads(results.out)["jobs"]}
    assert {n: rows[n]["status"] for n in range(3)} == {0: "succeeded", 1: "failed", 2: "succeeded"}
    assert "ValueError: x=1 fails" in rows[1]["error"]
    values = _values(app)
    assert values[0]["node"] == values[2]["node"] == "side"  # the task_env resource held for Ray jobs too
    assert sorted(p.name for p in app.root.glob("marks/done-*")) == ["done-0", "done-2"]
