"""MLflow tracking: what ``--mlflow`` costs per job, side by side with tracking off.

Generates a throw-away project (``conf.yaml``: 20 params once flattened, with
nested dicts and lists like a training config; ``app.py`` with a plain
``task(cfg)`` returning ``cfg.x * 2``) and times, in the same run on the same
machine, ``hydra-runner multirun app:task --config-path . --config-name conf``
with and without ``--mlflow --mlflow-uri sqlite:///<project>/mlflow.db
--mlflow-experiment bench``:

a. in-process (no ``-j``), 1 job (``x=0``) and N = ``--jobs`` (100) trivial
   jobs (``x=range(0,N)``);
b. the same with the process pool, ``-j 2``.

With tracking on, each job gets a nested MLflow run (params = the flattened
config, tags, the return value as metric ``value``, the job's ``.hydra/`` and
``*.log`` files as artifacts, its status) and the sweep a parent run. The
first use of a SQLite store creates its tables (seconds), so the store is
created in an untimed warm-up run and copied aside; every timed tracked run
starts from that copy (and no ``mlruns/``), so none pays for the creation and
none finds the runs of earlier repeats. The per-job cost of tracking is

    ((T_on(N) - T_on(1)) - (T_off(N) - T_off(1))) / (N - 1)

(T the wall time of the whole command), in which fixed costs (importing
MLflow, opening the store, the parent run) cancel out; the all-in wall times,
(T_on(N) - T_off(N)) / N and the one-off cost of a fresh store are reported
too. After the last tracked N-job sweep of each scenario, the store is read
back (N nested runs, FINISHED, their params, metric and artifacts), so a
tracker that failed quietly cannot pass for a fast one.

Usage (from the repository root)::

    python benchmarks/bench_tracking.py --quick      # one run per N-job sweep (~1 min on 2 cores)
    python benchmarks/bench_tracking.py              # medians of 5 runs (~3 min)
    python benchmarks/bench_tracking.py --quick --markdown docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    CommandFailed,
    LoadMeter,
    Tools,
    bench_env,
    clean_outputs,
    command_failed,
    fmt_seconds,
    invocation,
    load_text,
    machine_facts,
    markdown_table,
    median_or_none,
    progress,
    publish,
    runner_broken,
    write_project,
)

SECTION = "bench_tracking"
INPROC, POOL = "inproc", "pool"
WORKERS = 2
SCENARIOS = {INPROC: "in-process", POOL: f"-j {WORKERS}"}
OFF, ON = "off", "on"
EXPERIMENT = "bench"
STORE = "mlflow.db"  # the store every timed tracked run uses, restored from TEMPLATE before each
TEMPLATE = "mlflow.template.db"  # the store as the warm-up left it (tables and experiment created)
FRESH_STORE = "mlflow.fresh.db"  # deleted before each run of the fresh-store row
ARTIFACTS = "mlruns"  # MLflow's default artifact root, in the cwd

CONFIG = """\
x: 0
seed: 0
epochs: 10
batch_size: 32
lr: 0.001
model:
  name: resnet
  depth: 18
  dropout: 0.1
  widths: [64, 128, 256]
optimizer:
  name: adam
  betas: [0.9, 0.999]
  weight_decay: 0.0
data:
  path: /data/train
  shuffle: true
  workers: 4
tags: [bench, trivial]
"""
PARAMS = 20  # keys of CONFIG once flattened (lists item by item), what each nested run should hold
APP = '''\
def task(cfg):
    return cfg.x * 2
'''

# What hydra-runner logs when the store fails: the job goes on, nothing more is logged.
TRACKER_FAILED = re.compile(r"MLflow at .* failed while logging")

# Reads the store back after a tracked sweep: the newest parent run and its nested runs.
CHECK = '''\
import json, os, sys
from urllib.parse import urlparse
from mlflow.tracking import MlflowClient

uri, experiment, jobs, params = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
client = MlflowClient(uri)
problems = []
exp = client.get_experiment_by_name(experiment)
runs = client.search_runs([exp.experiment_id], max_results=50000) if exp else []
parents = sorted((r for r in runs if "hydra_runner.sweep" in r.data.tags), key=lambda r: r.info.start_time)
if not parents:
    problems.append("no parent run")
children = []
if parents:
    parent = parents[-1]
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    if parent.info.status != "FINISHED":
        problems.append(f"parent run {parent.info.status}")
    if len(children) != jobs:
        problems.append(f"{len(children)} nested runs, expected {jobs}")


def local(run):
    parsed = urlparse(run.info.artifact_uri)
    return parsed.path if parsed.scheme in ("", "file") else None


bad = {"status": 0, "params": 0, "metric": 0, "artifacts": 0}
for run in children:
    if run.info.status != "FINISHED":
        bad["status"] += 1
    if len(run.data.params) != params:
        bad["params"] += 1
    x = run.data.params.get("x")
    if x is None or run.data.metrics.get("value") != 2 * float(x):
        bad["metric"] += 1
    root = local(run)
    names = (".hydra/config.yaml", ".hydra/hydra.yaml", ".hydra/overrides.yaml", "task.log")
    if root is None or not all(os.path.isfile(os.path.join(root, n)) for n in names):
        bad["artifacts"] += 1
for what, count in bad.items():
    if count:
        problems.append(f"{count} nested run(s) with wrong {what}")
print(json.dumps({"runs": len(runs), "nested": len(children), "problems": problems}))
'''

VERSIONS = '''\
import importlib.metadata as m, json, sqlite3
out = {}
for d in ("mlflow", "mlflow-skinny", "sqlalchemy"):
    try:
        out[d] = m.version(d)
    except m.PackageNotFoundError:
        pass
out["sqlite"] = sqlite3.sqlite_version
print(json.dumps(out))
'''


def make_tracking_project(root: Path) -> Path:
    return write_project(root, {"conf.yaml": CONFIG, "app.py": APP})


# -- timing with a note of how busy the rest of the machine was --------------------------------

@dataclass
class Run:
    wall: float
    cpu: float  # CPU seconds of the command and the descendants it waited for
    others: Optional[float]  # mean cores busy with anything else during the run
    output: str  # stdout + stderr, read once the command ended


def run_command(cmd: Sequence[str], cwd: Path, env: Mapping[str, str]) -> Run:
    """Run ``cmd``; its output goes to unread temporary files while it runs, and is returned."""
    with tempfile.TemporaryFile() as out:
        with LoadMeter() as meter:
            code = subprocess.call(list(cmd), cwd=cwd, env=dict(env), stdout=out, stderr=subprocess.STDOUT)
        out.seek(0)
        output = out.read().decode(errors="replace")
    if code != 0:
        raise CommandFailed(cmd, cwd, code, output[-6000:])
    return Run(meter.wall, meter.cpu, meter.others(), output)


# -- the sweeps -----------------------------------------------------------------------------------

@dataclass
class Bench:
    tools: Tools
    project: Path
    env: dict[str, str]
    used: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def sweep(self, scenario: str, tracking: str, jobs: int, store: str = STORE) -> list[str]:
        sweep = "x=0" if jobs == 1 else f"x=range(0,{jobs})"
        cmd = ["multirun", "app:task", "--config-path", ".", "--config-name", "conf", sweep]
        if scenario == POOL:
            cmd += ["-j", str(WORKERS)]
        if tracking == ON:
            cmd += ["--mlflow", "--mlflow-uri", self.uri(store), "--mlflow-experiment", EXPERIMENT]
        return self.tools.hydra_runner(*cmd)

    def uri(self, store: str) -> str:
        return f"sqlite:///{(self.project / store).absolute()}"

    def run(self, cmd: list[str], *, store: Optional[str] = None, fresh: bool = False) -> Run:
        """Run a sweep from a clean project; a tracked one from the template store (or none if ``fresh``)."""
        clean_outputs(self.project)
        shutil.rmtree(self.project / ARTIFACTS, ignore_errors=True)
        if store is not None:
            (self.project / store).unlink(missing_ok=True)
            if not fresh:
                shutil.copyfile(self.project / TEMPLATE, self.project / store)
        text = shlex.join(cmd)
        if text not in self.used:
            self.used.append(text)
        run = self.run_raw(cmd)
        if store is not None:
            for line in run.output.splitlines():
                if TRACKER_FAILED.search(line) and line.strip() not in self.problems:
                    self.problems.append(line.strip())
        return run

    def run_raw(self, cmd: list[str]) -> Run:
        return run_command(cmd, self.project, self.env)

    def check_store(self, label: str, jobs: int) -> dict:
        cmd = self.tools.plain("-c", CHECK, self.uri(STORE), EXPERIMENT, str(jobs), str(PARAMS))
        done = subprocess.run(cmd, cwd=self.project, capture_output=True, text=True)
        if done.returncode != 0:
            raise CommandFailed(cmd, self.project, done.returncode, done.stderr[-4000:])
        found = json.loads(done.stdout.strip().splitlines()[-1])
        self.problems.extend(f"{label}: {p}" for p in found["problems"])
        return found


@dataclass
class Results:
    # (scenario, tracking, jobs) -> runs
    runs: dict[tuple[str, str, int], list[Run]] = field(default_factory=dict)
    fresh: list[Run] = field(default_factory=list)
    checks: dict[str, dict] = field(default_factory=dict)
    used: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    n_runs: int = 1
    short_runs: int = 3
    fresh_runs: int = 1

    def wall(self, scenario: str, tracking: str, jobs: int) -> float:
        return statistics.median(r.wall for r in self.runs[(scenario, tracking, jobs)])

    def cpu(self, scenario: str, tracking: str, jobs: int) -> float:
        return statistics.median(r.cpu for r in self.runs[(scenario, tracking, jobs)])

    def others(self, scenario: str, tracking: str, jobs: int) -> Optional[float]:
        return median_or_none([r.others for r in self.runs[(scenario, tracking, jobs)]])


def run_benchmarks(bench: Bench, args: argparse.Namespace) -> Results:
    res = Results()
    res.n_runs = args.runs if args.runs is not None else (1 if args.quick else 5)
    res.short_runs = max(3, res.n_runs)
    res.fresh_runs = 1 if args.quick else 3
    n = args.jobs
    scenarios = [INPROC, POOL]

    progress("warming up (the first tracked run creates the store's tables)")
    for scenario in scenarios:
        bench.run_raw(bench.sweep(scenario, OFF, 1))
        clean_outputs(bench.project)
        bench.run_raw(bench.sweep(scenario, ON, 1))
    shutil.copyfile(bench.project / STORE, bench.project / TEMPLATE)

    for scenario in scenarios:
        for tracking in (OFF, ON):
            for jobs in (1, n):
                res.runs[(scenario, tracking, jobs)] = []
    for i in range(max(res.short_runs, res.n_runs)):
        for jobs, count in ((1, res.short_runs), (n, res.n_runs)):
            if i >= count:
                continue
            for scenario in scenarios:
                for tracking in (OFF, ON):
                    progress(f"{SCENARIOS[scenario]}, tracking {tracking}, {jobs} job(s), run {i + 1}/{count}")
                    cmd = bench.sweep(scenario, tracking, jobs)
                    run = bench.run(cmd, store=STORE if tracking == ON else None)
                    res.runs[(scenario, tracking, jobs)].append(run)
                    if tracking == ON and jobs == n and i == count - 1:
                        res.checks[scenario] = bench.check_store(f"{SCENARIOS[scenario]}, {n} jobs", n)

    for i in range(res.fresh_runs):
        progress(f"in-process, tracking on, 1 job, fresh store, run {i + 1}/{res.fresh_runs}")
        res.fresh.append(bench.run(bench.sweep(INPROC, ON, 1, FRESH_STORE), store=FRESH_STORE, fresh=True))

    clean_outputs(bench.project)
    res.used, res.problems = bench.used, bench.problems
    return res


# -- the report -----------------------------------------------------------------------------------

def _ratio(on: float, off: float) -> str:
    return "n/a" if on <= 0 or off <= 0 else f"{on / off:.2f}x"


def _diff(seconds: float) -> str:
    return ("+" if seconds >= 0 else "") + fmt_seconds(seconds)


@dataclass
class Cost:
    per_job: float  # ((T_on(N) - T_on(1)) - (T_off(N) - T_off(1))) / (N - 1)
    cpu_per_job: float  # the same with CPU seconds
    all_in: float  # (T_on(N) - T_off(N)) / N
    fixed: float  # T_on(1) - T_off(1)


def costs(res: Results, n: int) -> dict[str, Cost]:
    out = {}
    for s in (INPROC, POOL):
        w = {(t, j): res.wall(s, t, j) for t in (OFF, ON) for j in (1, n)}
        c = {(t, j): res.cpu(s, t, j) for t in (OFF, ON) for j in (1, n)}
        out[s] = Cost(
            per_job=((w[ON, n] - w[ON, 1]) - (w[OFF, n] - w[OFF, 1])) / (n - 1),
            cpu_per_job=((c[ON, n] - c[ON, 1]) - (c[OFF, n] - c[OFF, 1])) / (n - 1),
            all_in=(w[ON, n] - w[OFF, n]) / n,
            fixed=w[ON, 1] - w[OFF, 1],
        )
    return out


def table_walls(res: Results, n: int) -> str:
    rows = []
    for s in (INPROC, POOL):
        name = SCENARIOS[s]
        for jobs in (1, n):
            off, on = res.wall(s, OFF, jobs), res.wall(s, ON, jobs)
            rows.append([f"{name}, {jobs} job{'s' if jobs > 1 else ''}, T({jobs})", fmt_seconds(off),
                         fmt_seconds(on), _ratio(on, off), _diff(on - off),
                         f"{load_text(res.others(s, OFF, jobs))} / {load_text(res.others(s, ON, jobs))}"])
        per = {t: (res.wall(s, t, n) - res.wall(s, t, 1)) / (n - 1) for t in (OFF, ON)}
        rows.append([f"{name}, per job, (T({n}) - T(1)) / {n - 1}", fmt_seconds(per[OFF]), fmt_seconds(per[ON]),
                     _ratio(per[ON], per[OFF]), _diff(per[ON] - per[OFF]), "—"])
    fresh = statistics.median(r.wall for r in res.fresh)
    existing = res.wall(INPROC, ON, 1)
    rows.append([f"{SCENARIOS[INPROC]}, 1 job, fresh store (creates its tables)", "—", fmt_seconds(fresh),
                 _ratio(fresh, res.wall(INPROC, OFF, 1)), f"{_diff(fresh - existing)} vs existing store",
                 f"— / {load_text(median_or_none([r.others for r in res.fresh]))}"])
    return markdown_table(["Sweep", "Tracking off", "Tracking on", "on / off", "on - off",
                           "Other load, off / on (cores)"], rows)


def table_costs(res: Results, args: argparse.Namespace) -> str:
    n, goal = args.jobs, args.goal / 1e3
    rows = []
    for s, c in costs(res, n).items():
        rows.append([SCENARIOS[s], f"**{fmt_seconds(c.per_job)}**", f"<= {args.goal:g} ms",
                     "yes" if c.per_job <= goal else "no", fmt_seconds(c.cpu_per_job), fmt_seconds(c.all_in),
                     fmt_seconds(c.fixed)])
    return markdown_table(["Scenario", f"Tracking cost per job, ((T_on({n}) - T_on(1)) - (T_off({n}) - T_off(1))) "
                           f"/ {n - 1}", "Goal", "Met", "CPU per job (same formula)",
                           f"All-in per job, (T_on({n}) - T_off({n})) / {n}", "Fixed, T_on(1) - T_off(1)"], rows)


def report(tools: Tools, versions: Mapping[str, str], res: Results, args: argparse.Namespace) -> str:
    facts = machine_facts(tools)
    facts.append(("mlflow", versions.get("mlflow") or versions.get("mlflow-skinny", "not installed")))
    facts.append(("SQLAlchemy / SQLite", f"{versions.get('sqlalchemy', '?')} / {versions.get('sqlite', '?')}"))
    facts_text = "\n".join(f"- {key}: {value}" for key, value in facts)
    n = args.jobs
    checks = "; ".join(f"{SCENARIOS[s]}: {c['nested']} nested runs" for s, c in res.checks.items())
    notes = [
        f"`app.py`'s `task(cfg)` returns `cfg.x * 2`; `conf.yaml` flattens to {PARAMS} params (nested dicts, "
        "lists). Tracking on: `--mlflow --mlflow-uri sqlite:///<project>/mlflow.db --mlflow-experiment "
        f"{EXPERIMENT}`; each job gets a nested run (params, tags, metric `value`, `.hydra/` and `task.log` as "
        "artifacts under `./mlruns`, status), the sweep a parent run (with `results.csv`).",
        f"T: wall time of the whole command, median of {res.n_runs} run(s) for {n} jobs and {res.short_runs} for "
        "1 job, all commands interleaved round by round. Every tracked run starts from a copy of the store an "
        "untimed warm-up created (tables and experiment exist, warm-up runs only) and without `mlruns/`; the "
        f"fresh-store row deletes the store first (median of {res.fresh_runs}).",
        "Tracking cost per job: fixed costs (importing MLflow, opening the store, the parent run, the sweep's "
        "summary) cancel out. All-in charges them to the jobs; fixed is what they add to a 1-job sweep. CPU: "
        "user + system time of the command and the processes it waited for (`getrusage(RUSAGE_CHILDREN)`). "
        "Other load: mean number of cores busy with anything else during the run (`/proc/stat`); the machine "
        f"has {os.cpu_count()} cores.",
        f"With `-j {WORKERS}` the parent process records every job (composing its config for the params, then "
        "the MLflow calls) while the workers run jobs, so tracking is on the scheduling path.",
        f"Read back after the last tracked {n}-job sweep of each scenario ({checks or 'not run'}): all FINISHED, "
        f"{PARAMS} params each, `value` = 2x, artifacts on disk"
        + (" — see the problems below." if res.problems else ": as expected."),
    ]
    problems = ""
    if res.problems:
        problems = "Problems found:\n\n" + "\n".join(f"- {p}" for p in res.problems) + "\n\n"
    cmds = "\n".join(f"    {cmd}" for cmd in res.used)
    return (
        "## MLflow tracking: cost per job\n\n"
        f"Machine:\n\n{facts_text}\n\n"
        f"Command (from the repository root):\n\n    {invocation()}\n\n"
        f"### Wall times, tracking off and on, {n} trivial jobs\n\n{table_walls(res, n)}\n\n"
        f"### Cost of tracking per job (SQLite store)\n\n{table_costs(res, args)}\n\n"
        + "\n".join(f"- {item}" for item in notes) + "\n\n" + problems
        + "Wall-clock times (`time.perf_counter`) of whole processes started from the generated project, "
        "output kept in unread temporary files while they run; `outputs/`, `multirun/` and `mlruns/` removed "
        "before each run.\n\n"
        f"Commands timed (in the generated project):\n\n{cmds}\n"
    )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", "-n", type=int,
                        help="runs per median of the N-job sweeps (default: 5, 1 with --quick; 1-job sweeps use "
                        "at least 3)")
    parser.add_argument("--quick", action="store_true",
                        help="one run per N-job sweep, one of the fresh store")
    parser.add_argument("--jobs", type=int, default=100, help="trivial jobs per sweep (default: 100)")
    parser.add_argument("--goal", type=float, default=30.0, help=argparse.SUPPRESS)  # ms per job
    parser.add_argument("--python", help="interpreter with hydra-runner and mlflow; hydra-runner is the console "
                        "script beside it (default: the project's .venv)")
    parser.add_argument("--markdown", type=Path, metavar="PATH",
                        help=f"write/replace the {SECTION} section of this markdown file")
    args = parser.parse_args(argv)
    if args.runs is not None and args.runs < 1:
        parser.error("--runs must be >= 1")
    if args.jobs < 2:
        parser.error("--jobs must be >= 2")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    tools = Tools.find(args.python)
    if runner_broken(tools):
        return 1
    done = subprocess.run(tools.plain("-c", VERSIONS), capture_output=True, text=True)
    versions = json.loads(done.stdout) if done.returncode == 0 else {}
    if "mlflow" not in versions and "mlflow-skinny" not in versions:
        print(f"mlflow is not installed in {tools.python} (pip install 'hydra-runner[mlflow]' or mlflow)",
              file=sys.stderr)
        return 1
    try:
        with tempfile.TemporaryDirectory(prefix="bench-tracking-") as tmp:
            project = make_tracking_project(Path(tmp))
            env = bench_env()
            for name in ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_EXPERIMENT_ID", "MLFLOW_RUN_ID"):
                env.pop(name, None)
            res = run_benchmarks(Bench(tools, project, env), args)
    except CommandFailed as exc:
        return command_failed(exc)
    text = report(tools, versions, res, args)
    publish(text, args.markdown, SECTION)
    if res.problems:
        print("error: tracking did not record every job as expected (see 'Problems found')", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
