"""The process-pool launcher, end to end: real worker processes, real crashes, real signals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from hydra_runner.journal import Status

from ..conftest import Project
from ..sweep_helpers import count, journal_of, start_sweep, statuses, wait_for

APP = """
    import ctypes, json, os, signal, sys, time
    import hydra
    from hydra.core.hydra_config import HydraConfig
    from omegaconf import DictConfig

    # Written once per import: how many times workers imported the task module.
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "imports.log"), "a") as f:
        f.write(f"{os.getpid()} {os.environ.get('CUDA_VISIBLE_DEVICES')}\\n")

    @hydra.main(version_base="1.3", config_path="conf", config_name="config")
    def main(cfg: DictConfig) -> float:
        print(f"job {cfg.x} says hello")
        hc = HydraConfig.get()
        record = {
            "x": cfg.x, "pid": os.getpid(), "num": hc.job.num, "output_dir": hc.runtime.output_dir,
            "cuda": os.environ.get("CUDA_VISIBLE_DEVICES"), "start": time.time(),
        }
        action = cfg.actions.get(f"x{cfg.x}", "ok")
        if action == "raise":
            raise ValueError(f"bad x={cfg.x}")
        if action == "exit":
            os._exit(3)
        if action == "sigkill":
            os.kill(os.getpid(), signal.SIGKILL)
        if action == "segfault":
            ctypes.string_at(0)
        if action == "hang":
            time.sleep(600)
        if action == "crash_once" and not os.path.exists("crashed_once"):
            open("crashed_once", "w").close()
            os._exit(5)
        time.sleep(cfg.sleep)
        record["end"] = time.time()
        with open(os.path.join(hc.runtime.output_dir, "record.json"), "w") as f:
            json.dump(record, f)
        with open("successes.log", "a") as f:
            f.write(f"{cfg.x}\\n")
        return cfg.x * 10

    if __name__ == "__main__":
        main()
"""

CONFIG = """
    x: 0
    sleep: 0.0
    actions: {}
"""


@pytest.fixture
def app(project: Project) -> Project:
    return project.write({"app.py": APP, "conf/config.yaml": CONFIG})






def _records(project: Project) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(project.root.glob("multirun/*/*/*/record.json"))]




def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purpose.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def test_jobs_run_on_warm_workers_with_hydra_outputs(app: Project) -> None:
    r = app.cli("multirun", "app.py", "x=range(0,6)", "-j", "2")
    assert r.code == 0, r.err
    records = _records(app)
    assert sorted(rec["x"] for rec in records) == list(range(6))
    assert all(rec["num"] == rec["x"] for rec in records)
    pids = {rec["pid"] for rec in records}
    assert 1 <= len(pids) <= 2 and os.getpid() not in pids
    # Imported once by the parent (to find the task) and once by each of the 2 workers
    # (even one that got no job), not once per job.
    imports = [line.split()[0] for line in (app.root / "imports.log").read_text().splitlines()]
    assert len(imports) == 3 and pids <= {int(pid) for pid in imports[1:]}
    for rec in records:
        out = Path(rec["output_dir"])
        assert (out / ".hydra" / "config.yaml").exists() and (out / ".hydra" / "hydra.yaml").exists()
        assert f"job {rec['x']} says hello" in (out / "console.log").read_text()
    with journal_of(app) as journal:
        jobs = journal.jobs()
        assert [j.status for j in jobs] == [Status.SUCCEEDED] * 6
        assert [j.value for j in jobs] == [x * 10 for x in range(6)]
        assert journal.meta["command"][-3:] == ["x=range(0,6)", "-j", "2"]
    # Not a terminal: one plain progress line per job on stderr.
    assert r.err.count("succeeded in") == 6


@pytest.mark.parametrize(
    "action, status, message",
    [
        ("raise", Status.FAILED, "ValueError: bad x=1"),
        ("exit", Status.CRASHED, "exited with code 3"),
        ("sigkill", Status.CRASHED, "killed by SIGKILL"),
        ("segfault", Status.CRASHED, "killed by SIGSEGV"),
    ],
)
def test_a_failing_job_does_not_stop_the_sweep(app: Project, action: str, status: Status, message: str) -> None:
    r = app.cli("multirun", "app.py", "x=range(0,4)", "-j", "2", f"+actions.x1={action}")
    assert r.code == 1
    assert statuses(app) == {0: Status.SUCCEEDED, 1: status, 2: Status.SUCCEEDED, 3: Status.SUCCEEDED}
    assert "1 of 4 jobs did not succeed" in r.err
    summary = r.err[r.err.index("1 of 4 jobs did not succeed"):]
    assert "#1" in summary and "x=1" in summary and message in summary
    assert "multirun/" in summary  # the job's directory
    with journal_of(app) as journal:
        assert message in (journal.job(1).error or "")
    assert "Traceback" not in r.err.split("jobs did not succeed")[-1]


def test_timeout_kills_the_job_and_its_children(app: Project) -> None:
    r = app.cli("multirun", "app.py", "x=0,1", "-j", "2", "--timeout", "2", "+actions.x1=hang")
    assert r.code == 1
    assert statuses(app) == {0: Status.SUCCEEDED, 1: Status.TIMEOUT}
    assert "timed out after 2 s" in r.err


def test_retries_run_a_crashed_job_again(app: Project) -> None:
    r = app.cli("multirun", "app.py", "x=0,1", "-j", "1", "--retries", "1", "+actions.x1=crash_once")
    assert r.code == 0, r.err
    with journal_of(app) as journal:
        job = journal.job(1)
        assert job is not None and job.status is Status.SUCCEEDED and job.attempts == 2


def test_fail_fast_stops_scheduling(app: Project) -> None:
    r = app.cli("multirun", "app.py", "x=range(0,4)", "-j", "1", "--fail-fast", "+actions.x0=raise")
    assert r.code == 1
    seen = statuses(app)
    assert seen[0] is Status.FAILED
    assert [seen[n] for n in (1, 2, 3)] == [Status.PENDING] * 3


def test_fail_fast_also_stops_later_batches(app: Project) -> None:
    r = app.cli("multirun", "app.py", "x=range(0,6)", "-j", "2", "--fail-fast", "+actions.x0=raise",
                "hydra.sweeper.max_batch_size=2")
    assert r.code == 1
    seen = statuses(app)
    assert seen[0] is Status.FAILED and set(seen) == {0, 1}  # later batches were never entered, ...
    with journal_of(app) as journal:
        assert journal.counts()[Status.PENDING] == 4  # ... yet the journal counts them pending
    assert "4 were not started (--fail-fast)" in r.err


def test_fail_fast_counts_the_failed_and_the_not_started_then_resume_runs_them(project: Project) -> None:
    project.write({
        "flaky.py": """
            import os

            def task(cfg):
                if cfg.x == 0 and os.path.exists("broken"):
                    raise RuntimeError("x=0 is broken")
                return cfg.x
            """,
        "conf/config.yaml": "x: 0\n",
        "broken": "",
    })
    r = project.cli("multirun", "flaky:task", "--config-path", "conf", "--config-name", "config",
                    "x=range(5)", "-j", "1", "--fail-fast")
    assert r.code == 1
    assert "1 of 5 jobs did not succeed:" in r.err
    assert "error: 1 of 5 jobs failed (summary above); 4 were not started (--fail-fast)" in r.err
    assert "runs the failed and the not started ones" in r.err
    assert statuses(project) == {0: Status.FAILED, **{n: Status.PENDING for n in range(1, 5)}}
    (project.root / "broken").unlink()
    r = project.cli("resume")
    assert r.code == 0, r.err
    assert "Launching 5 jobs on 1 worker process\n" in r.out
    assert statuses(project) == {n: Status.SUCCEEDED for n in range(5)}


def test_launching_line_says_job_and_process_for_one(app: Project) -> None:
    r = app.cli("multirun", "app.py", "x=0", "-j", "2")
    assert r.code == 0, r.err
    assert "Launching 1 job on 1 worker process\n" in r.out
    r = app.cli("multirun", "app.py", "x=0,1", "-j", "1")
    assert r.code == 0, r.err
    assert "Launching 2 jobs on 1 worker process\n" in r.out
    r = app.cli("multirun", "app.py", "x=0")
    assert r.code == 0, r.err
    assert "Launching 1 job locally\n" in r.out


def test_gpu_slots_never_share_a_gpu(app: Project) -> None:
    r = app.cli(
        "multirun", "app.py", "x=range(0,9)", "sleep=0.3", "-j", "auto", "--gpus", "0,1,3", "--gpus-per-job", "1"
    )
    assert r.code == 0, r.err
    records = _records(app)
    assert {rec["cuda"] for rec in records} <= {"0", "1", "3"}
    assert len({rec["pid"] for rec in records}) <= 3
    for a in records:
        for b in records:
            overlap = a["start"] < b["end"] and b["start"] < a["end"]
            if a is not b and overlap:
                assert a["cuda"] != b["cuda"], (a, b)
    # Set before the task module was imported, in every worker.
    imports = [line.split() for line in (app.root / "imports.log").read_text().splitlines()]
    assert {cuda for _, cuda in imports[1:]} <= {"0", "1", "3"}


def test_gpus_come_from_cuda_visible_devices(app: Project) -> None:
    r = app.cli("multirun", "app.py", "x=range(0,4)", "--gpus-per-job", "1", "-j", "auto",
                env={"CUDA_VISIBLE_DEVICES": "5,7"})
    assert r.code == 0, r.err
    assert {rec["cuda"] for rec in _records(app)} <= {"5", "7"}


def test_the_pool_sizes_its_slots_from_the_task_env(app: Project) -> None:
    # The same task_env a Ray sweep reads: two GPUs a job, so four fake GPUs make two slots.
    r = app.cli("multirun", "app.py", "x=range(0,4)", "-j", "auto", "--gpus", "0,1,2,3",
                "+task_env.resources.gpu=2")
    assert r.code == 0, r.err
    seen = {rec["cuda"] for rec in _records(app)}
    assert seen <= {"0,1", "2,3"} and seen
    assert "on 2 worker processes" in r.out


def test_cpu_only_machine_needs_no_flag(app: Project) -> None:
    env = {k: v for k, v in os.environ.items() if k != "CUDA_VISIBLE_DEVICES"}
    proc = subprocess.run([sys.executable, "-m", "hydra_runner", "multirun", "app.py", "x=0,1", "-j", "auto"],
                          cwd=app.root, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert {rec["cuda"] for rec in _records(app)} == {None}


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--gpus", "0,zero"], "invalid GPU list '0,zero'"),
        (["--gpus", "0,0"], "a GPU is listed twice"),
        (["--gpus", "0", "--gpus-per-job", "2"], "asks for 2 GPU(s) but 1 is available"),
        (["--gpus", "0,1", "--gpus-per-job", "1", "-j", "3"], "need 3 GPUs"),
        (["-j", "0"], "--jobs 0: is not a number of parallel jobs"),
    ],
)
def test_bad_slot_requests_are_usage_errors(app: Project, args: list[str], expected: str) -> None:
    r = app.cli("multirun", "app.py", "x=0,1", *args)
    assert r.code == 2, r.err
    assert expected in r.err and "fix:" in r.err
    assert "Traceback" not in r.err
    assert not (app.root / "successes.log").exists()






def test_sigkill_then_resume_runs_each_job_to_success_once(app: Project) -> None:
    # Jobs 3..7 hang until the runner is killed; after that they no longer do.
    hang = ",".join(f"+actions.x{x}=hang" for x in range(3, 8))
    proc = start_sweep(app, "app.py", "x=range(0,8)", "-j", "2", *hang.split(","))
    try:
        wait_for(lambda: count(app, Status.SUCCEEDED) == 3 and count(app, Status.RUNNING) == 2)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    seen = statuses(app)
    assert [seen[n] for n in range(3)] == [Status.SUCCEEDED] * 3
    assert sorted(seen.values()).count(Status.RUNNING) == 2  # what the killed runner last wrote
    with journal_of(app) as journal:
        command = journal.meta["command"]
    # The same sweep, minus the hanging: resume re-runs the recorded command; edit the
    # config the hang comes from instead (the overrides must stay the same for resume).
    (app.root / "app.py").write_text((app.root / "app.py").read_text().replace('== "hang"', '== "never"'))
    r = app.cli("resume")
    assert r.code == 0, r.err
    assert command[-1] in " ".join(journal_of(app).meta["command"])
    assert statuses(app) == {n: Status.SUCCEEDED for n in range(8)}
    successes = (app.root / "successes.log").read_text().split()
    assert sorted(successes) == [str(x) for x in range(8)]  # each job succeeded exactly once
    records = _records(app)
    assert sorted(rec["num"] for rec in records) == list(range(8))


def test_first_ctrl_c_lets_running_jobs_finish(app: Project) -> None:
    proc = start_sweep(app, "app.py", "x=range(0,6)", "sleep=3", "-j", "2")
    wait_for(lambda: count(app, Status.RUNNING) == 2)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    seen = statuses(app)
    assert sorted(s.value for s in seen.values()) == ["pending"] * 4 + ["succeeded"] * 2
    pids = {rec["pid"] for rec in _records(app)}
    assert pids and not any(_alive(pid) for pid in pids)
    r = app.cli("resume")
    assert r.code == 0, r.err
    assert statuses(app) == {n: Status.SUCCEEDED for n in range(6)}


def test_second_ctrl_c_stops_running_jobs(app: Project) -> None:
    proc = start_sweep(app, "app.py", "x=range(0,4)", "sleep=60", "-j", "2")
    wait_for(lambda: count(app, Status.RUNNING) == 2)
    os.killpg(proc.pid, signal.SIGINT)
    time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGINT)
    proc.communicate(timeout=60)
    assert proc.returncode == 130
    seen = statuses(app)
    assert sorted(s.value for s in seen.values()) == ["interrupted"] * 2 + ["pending"] * 2
    worker_pids = [int(line.split()[0]) for line in (app.root / "imports.log").read_text().splitlines()[1:]]
    assert worker_pids and not any(_alive(pid) for pid in worker_pids)


def test_stream_prefixes_job_output(app: Project) -> None:
    r = app.cli("multirun", "app.py", "x=0,1", "-j", "2", "--stream")
    assert r.code == 0, r.err
    assert "[#0] job 0 says hello" in r.out and "[#1] job 1 says hello" in r.out


def test_plain_hydra_app_with_runner_pool(app: Project) -> None:
    r = app.python("app.py", "-m", "x=0,1,2", "hydra/launcher=runner_pool", "hydra.launcher.n_jobs=2")
    assert r.code == 0, r.err
    assert sorted(rec["x"] for rec in _records(app)) == [0, 1, 2]
    assert "Launching 3 jobs on 2 worker processes" in r.out


def _workers_in(root: Path) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes()
            cwd = os.readlink(proc / "cwd")
        except OSError:
            continue
        if b"pool._worker" in cmdline and cwd == str(root):
            pids.append(int(proc.name))
    return [pid for pid in pids if _alive(pid)]


def test_workers_started_ahead_for_other_slots_are_discarded(app: Project) -> None:
    # -j auto plans one slot per core from the flags; the config then asks 2 cores per job.
    app.write({"conf/config.yaml": "x: 0\nsleep: 0.0\nactions: {}\nhydra:\n  launcher:\n    cpus_per_job: 2\n"})
    r = app.cli("multirun", "app.py", "x=range(0,3)", "-j", "auto")
    assert r.code == 0, r.err
    expected_workers = max(1, (os.cpu_count() or 1) // 2)
    imports = (app.root / "imports.log").read_text().splitlines()
    assert len(imports) == 1 + expected_workers  # only adopted workers import the task
    assert len({rec["pid"] for rec in _records(app)}) <= expected_workers
    assert _workers_in(app.root) == []


def test_pool_flags_on_a_single_run_are_a_usage_error(app: Project) -> None:
    r = app.cli("run", "app.py", "-j", "2", "--timeout", "5")
    assert r.code == 2
    assert "-j, --timeout only apply to sweeps" in r.err and "fix: use hydra-runner multirun" in r.err
    assert "Traceback" not in r.err and not (app.root / "outputs").exists()


def test_resume_without_a_sweep_is_a_usage_error(app: Project) -> None:
    r = app.cli("resume")
    assert r.code == 2 and "no sweep recorded" in r.err and "fix:" in r.err
    r = app.cli("resume", "conf")
    assert r.code == 2 and "has no sweep journal" in r.err


def test_resume_of_a_sweep_still_running_is_refused(app: Project) -> None:
    proc = start_sweep(app, "app.py", "x=0,1", "-j", "2", "+actions.x1=hang")
    try:
        wait_for(lambda: count(app, Status.RUNNING) == 1 and count(app, Status.SUCCEEDED) == 1)
        r = app.cli("resume")
        assert r.code == 2 and "still running in another process" in r.err and "fix:" in r.err
        assert statuses(app)[1] is Status.RUNNING  # nothing touched
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def test_a_second_sweep_into_a_running_sweeps_dir_is_refused(app: Project) -> None:
    proc = start_sweep(app, "app.py", "x=0,1", "-j", "2", "+actions.x1=hang", "hydra.sweep.dir=out/shared")
    try:
        wait_for(lambda: count(app, Status.RUNNING) == 1 and count(app, Status.SUCCEEDED) == 1)
        r = app.cli("multirun", "app.py", "x=5", "hydra.sweep.dir=out/shared")
        assert r.code == 2 and "is being run by another process" in r.err and "fix:" in r.err
        assert "5" not in (app.root / "successes.log").read_text().split()
        assert statuses(app) == {0: Status.SUCCEEDED, 1: Status.RUNNING}  # the running sweep's journal is intact
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


# -- a sweeper's hint: idle workers compose what its trials will need ------------------------------

EXPECTING = {
    "app.py": """
        import os
        from hydra.core.hydra_config import HydraConfig

        def task(cfg):
            num = HydraConfig.get().job.num
            with open("seen.log", "a") as f:
                f.write(f"{num} {cfg.db.name} {cfg.db.version}\\n")
            if num == 0:  # a config file changes on disk once the sweep has begun
                with open("conf/db/a.yaml", "w") as f:
                    f.write("name: a\\nversion: edited\\n")
            return 0.0
        """,
    "conf/config.yaml": "defaults:\n  - db: a\n  - _self_\n",
    "conf/db/a.yaml": "name: a\nversion: original\n",
    "conf/db/b.yaml": "name: b\nversion: original\n",
}


def test_a_worker_composes_the_trials_config_before_the_first_trial_comes(project: Project) -> None:
    # The random sweeper tells the pool that trials look like db=a (the first choice). With one
    # worker, that is composed before trial 0 (db=b with this seed, then a) runs and edits db/a.yaml, so
    # every db=a trial sees the file as the sweep found it. Without the hint, the db=a trials
    # would compose after the edit and see it.
    project.write(EXPECTING)
    r = project.cli("multirun", "app:task", "--config-path", "conf", "--config-name", "config",
                    "hydra/sweeper=random", "db=choice(a,b)", "hydra.sweeper.seed=7",
                    "hydra.sweeper.max_iter=6", "-j", "1")
    assert r.code == 0, r.err
    seen = [line.split() for line in (project.root / "seen.log").read_text().splitlines()]
    assert seen[0][:2] == ["0", "b"], seen  # the seed's first draw: the edit comes before any db=a trial
    assert [version for _, name, version in seen if name == "a"] == ["original"] * sum(1 for s in seen if s[1] == "a")
    assert any(name == "a" for _, name, _ in seen)


PROJECT_PLUGIN = """
    from hydra._internal.core_plugins.file_config_source import FileConfigSource
    from hydra.core.config_search_path import ConfigSearchPath
    from hydra.plugins.search_path_plugin import SearchPathPlugin

    class ProjectFiles(FileConfigSource):  # a scheme of its own: workers must know it too
        @staticmethod
        def scheme() -> str:
            return "projectfile"

    class ExtraConfigs(SearchPathPlugin):
        def manipulate_search_path(self, search_path: ConfigSearchPath) -> None:
            search_path.append(provider="project", path="projectfile://extra_conf")
"""


def test_plugins_kept_beside_the_app_are_found_though_workers_start_before_its_import(project: Project) -> None:
    # The pool scans Hydra's plugins before it forks its workers, before the task's import
    # puts the app's directory on sys.path (as `python sub/app.py` would): the plugins kept
    # there are found by a scan made after it, in the parent (the search path) and in each
    # worker (the config source its repository needs).
    project.write({
        "sub/app.py": APP, "sub/conf/config.yaml": CONFIG,
        "sub/hydra_plugins/project_search_path/__init__.py": PROJECT_PLUGIN,
        "extra_conf/extra/one.yaml": "origin: project plugin\n",
    })
    r = project.cli("multirun", "sub/app.py", "+extra=one", "x=1,2", "-j", "2")
    assert r.code == 0, r.err
    configs = sorted(project.root.glob("multirun/*/*/*/.hydra/config.yaml"))
    assert len(configs) == 2
    assert all("origin: project plugin" in path.read_text() for path in configs)
