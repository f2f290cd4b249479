"""Slurm: hydra-submitit-launcher against ``--launcher slurm``, with and without packing, on a local Slurm.

Starts a real single-node Slurm on this machine (``hydra_runner.testing.slurm``: Debian's
slurm-wlm and munge, as the tests use it) and, in the same run, sweeps N (``--jobs``, 200)
trivial jobs (``x=range(0,N)``; the task returns ``cfg.x * 2``) three ways:

a. hydra-submitit-launcher: ``python app.py -m hydra/launcher=submitit_slurm`` (a plain
   ``@hydra.main`` app; one array of N tasks, the plugin waits for them);
b. ``hydra-runner multirun app:task --launcher slurm`` (one array of N tasks);
c. the same with ``--jobs-per-allocation 50`` (N/50 array tasks, each running 50 jobs).

For each it measures, from the outside:

    submit        command start -> the last of its Slurm jobs appears in squeue
    to results    that moment -> the command's exit, every job's result in (checked)
    allocations   Slurm jobs (array tasks) the sweep used

squeue is polled every 0.1 s from a thread. Every run is checked: N results with value 2x
(hydra-runner: its journal; hydra-submitit-launcher: the jobs' return values it pickled).

Usage (from the repository root, as root on a machine where slurm-wlm can be installed)::

    python benchmarks/bench_slurm.py --quick      # N = 40 (~1.5 min on 2 cores)
    python benchmarks/bench_slurm.py              # N = 200 (~6 min on 2 cores)
"""

from __future__ import annotations

import argparse
import pickle
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import fmt_seconds, markdown_table, progress, publish, write_project  # noqa: E402

SECTION = "bench_slurm"
PACK = 50

APP = """
import hydra


def task(cfg):
    return cfg.x * 2


@hydra.main(version_base=None, config_path=".", config_name="conf")
def main(cfg):
    return task(cfg)


if __name__ == "__main__":
    main()
"""


@dataclass
class Measure:
    name: str
    submit: Optional[float]
    to_results: Optional[float]
    allocations: int


class SqueueWatch(threading.Thread):
    """The Slurm jobs (array tasks) that appear after ``first_id``, and when each first did."""

    def __init__(self, cluster: object, first_id: int) -> None:
        super().__init__(daemon=True)
        self.cluster = cluster
        self.first_id = first_id
        self.seen: dict[str, float] = {}
        self.stop = False

    def run(self) -> None:
        while not self.stop:
            out = self.cluster.run("squeue", "-h", "-r", "-t", "all", "-o", "%i", check=False).stdout  # type: ignore[attr-defined]
            now = time.monotonic()
            for slurm_id in out.split():
                if int(slurm_id.split("_")[0]) >= self.first_id:
                    self.seen.setdefault(slurm_id, now)
            time.sleep(0.1)


def _last_id(cluster: object) -> int:
    out = cluster.run("squeue", "-h", "-t", "all", "-o", "%i", check=False).stdout  # type: ignore[attr-defined]
    return max((int(i.split("_")[0]) for i in out.split()), default=0)


def measure(name: str, cmd: list[str], cwd: Path, cluster: object, expect_allocations: int) -> Measure:
    watch = SqueueWatch(cluster, _last_id(cluster) + 1)
    watch.start()
    started = time.monotonic()
    done = subprocess.run(cmd, cwd=cwd, env=cluster.client_env(), capture_output=True, text=True)  # type: ignore[attr-defined]
    ended = time.monotonic()
    time.sleep(0.3)
    watch.stop = True
    watch.join()
    if done.returncode != 0:
        raise SystemExit(f"{name} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    submitted = max(watch.seen.values()) if len(watch.seen) >= expect_allocations else None
    return Measure(name, None if submitted is None else submitted - started,
                   None if submitted is None else ended - submitted, len(watch.seen))


def check_runner(project: Path, n: int) -> None:
    from hydra_runner.journal import SweepJournal, latest_sweep

    sweep = latest_sweep(project)
    assert sweep is not None
    with SweepJournal.open(sweep) as journal:
        values = {job.num: job.value for job in journal.jobs()}
    if values != {x: 2 * x for x in range(n)}:
        raise SystemExit(f"hydra-runner's results are wrong: {values}")


def check_submitit(sweep: Path, n: int) -> None:
    values = []
    for path in (sweep / ".submitit").rglob("*_result.pkl"):
        outcome, value = pickle.loads(path.read_bytes())
        values.append(value.return_value if outcome == "success" else None)
    if sorted(v for v in values if v is not None) != [2 * x for x in range(n)]:
        raise SystemExit(f"hydra-submitit-launcher's results are wrong ({len(values)} results)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="40 jobs")
    parser.add_argument("--markdown", type=Path, default=None)
    args = parser.parse_args()
    n = 40 if args.quick else args.jobs

    from hydra_runner.testing.slurm import SlurmCluster, missing_daemons

    if missing_daemons():
        raise SystemExit(f"no local Slurm: {', '.join(missing_daemons())} missing (python3 dev.py test installs "
                         "slurm-wlm and munge as root)")
    python = sys.executable
    runner = str(Path(python).with_name("hydra-runner"))
    cluster = SlurmCluster().start()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-slurm-") as tmp:
            project = write_project(Path(tmp), {"app.py": APP, "conf.yaml": "x: 0\n"})
            sweep = ["x=range(0,%d)" % n]
            progress(f"a. hydra-submitit-launcher, {n} jobs")
            a = measure("hydra-submitit-launcher", [python, "app.py", "-m", "hydra/launcher=submitit_slurm",
                                                    "hydra.sweep.dir=submitit", *sweep], project, cluster, n)
            check_submitit(project / "submitit", n)
            progress(f"b. --launcher slurm, {n} jobs")
            b = measure("--launcher slurm", [runner, "multirun", "app:task", "--config-path", ".", "--config-name",
                                             "conf", *sweep, "--launcher", "slurm"], project, cluster, n)
            check_runner(project, n)
            packs = -(-n // PACK)
            progress(f"c. --launcher slurm --jobs-per-allocation {PACK}, {n} jobs")
            c = measure(f"--launcher slurm --jobs-per-allocation {PACK}",
                        [runner, "multirun", "app:task", "--config-path", ".", "--config-name", "conf", *sweep,
                         "--launcher", "slurm", "--jobs-per-allocation", str(PACK)], project, cluster, packs)
            check_runner(project, n)
    finally:
        cluster.stop()
    rows = []
    for m in (a, b, c):
        ratio_submit = f"{a.submit / m.submit:.1f}x" if a.submit and m.submit else "-"
        ratio_results = f"{a.to_results / m.to_results:.1f}x" if a.to_results and m.to_results else "-"
        rows.append([m.name, fmt_seconds(m.submit), ratio_submit, fmt_seconds(m.to_results), ratio_results,
                     str(m.allocations)])
    text = (f"{n} trivial jobs on a local single-node Slurm ({cluster.cpus} CPUs), one run each:\n\n"
            + markdown_table(["way", "submit", "vs submitit", "submission to all results", "vs submitit",
                              "allocations"], rows))
    publish(text, args.markdown, SECTION)
    return 0


if __name__ == "__main__":
    sys.exit(main())
