"""Optuna sweeps: hydra-runner's Optuna sweeper vs hydra-optuna-sweeper.

Generates a throw-away project (``conf.yaml`` with ``x: 0.0`` and ``y: 0.0``;
``trivial.py`` and ``sleepy.py`` each with a plain ``task(cfg)``, and a
``@hydra.main`` wrapper of each, ``trivial_hydra.py`` and ``sleepy_hydra.py``,
for plain Hydra) and runs, in the same run on the same machine:

- hydra-runner's Optuna sweeper (``hydra-runner multirun trivial:task ...
  hydra/sweeper=optuna``) with the project's interpreter and its Optuna;
- hydra-optuna-sweeper 1.2.0 (``python trivial_hydra.py --multirun
  hydra/sweeper=optuna``), which needs Optuna < 3 and so runs in its own venv,
  ``benchmarks/.venvs/hydra-optuna-sweeper``, created on first use (``uv venv``
  + ``uv pip install`` if ``uv`` is on PATH, else ``python -m venv`` + pip) and
  reused afterwards.

Both search ``x=interval(-12,12) y=interval(-12,12)`` with the TPE sampler
(``hydra/sweeper/sampler=tpe hydra.sweeper.sampler.seed=0``) and minimise
``(x - 2)**2 + (y + 3)**2``:

a. 100 trivial trials, one at a time (hydra-runner in-process, no ``-j``;
   hydra-optuna-sweeper ``n_jobs=1`` on Hydra's BasicLauncher). Per-trial overhead
   beyond Optuna's own sampling: the same objective run by ``study.optimize``
   in a fresh process of each venv (its Optuna, in-memory storage, the sampler
   arguments of the sweepers' ``tpe`` config) is subtracted:
   ((T(N trials) - T(1 trial)) - (O(N) - O(1))) / (N - 1), T the wall time of a
   sweep, O the time of ``study.optimize``;
b. 20 trials that sleep 0.1 + 0.9 * (x + 12) / 24 s (0.1 to 1 s, from their own
   ``x``) with 2 at a time: ``hydra-runner ... -j 2 hydra.sweeper.n_jobs=2`` and
   ``hydra/launcher=joblib hydra.launcher.n_jobs=2 hydra.sweeper.n_jobs=2``. Each
   tool's wall time is compared with the ideal schedule of the trials it ran,
   max(sum(d) / 2, max(d)), the durations d recomputed from the ``x`` of each
   trial in the sweep's outputs (hydra-runner: ``trials.csv``;
   hydra-optuna-sweeper: each job's ``.hydra/overrides.yaml``). A floor row adds
   to that ideal the start-up no sweep avoids: a plain Hydra run of the app and
   the import of Optuna, each measured in hydra-runner's venv.

Usage (from the repository root)::

    python benchmarks/bench_optuna.py --quick        # one run per sweep (~1.5 min, + ~1 min to build the venv once)
    python benchmarks/bench_optuna.py                # medians of 5 / 3 runs (~3-4 min)
    python benchmarks/bench_optuna.py --quick --markdown docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import csv
import json
import os
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
    REPO_ROOT,
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

SECTION = "bench_optuna"
COMP, RUNNER = "competitor", "runner"
NAMES = {COMP: "hydra-optuna-sweeper", RUNNER: "hydra-runner"}
WORKERS = 2
SEED = 0
SPACE = ("x=interval(-12,12)", "y=interval(-12,12)")
SWEEP_DIR = "sweep"  # hydra.sweep.dir of every sweep, relative to the project
TRIAL_LOG_ENV = "BENCH_OPTUNA_TRIAL_LOG"

COMPETITOR_VENV = REPO_ROOT / "benchmarks" / ".venvs" / "hydra-optuna-sweeper"
# Optuna 2.x (what hydra-optuna-sweeper 1.2.0 allows) predates SQLAlchemy 2; pinning it keeps the
# resolver on releases that work together (alembic included), though the in-memory storage used
# here never touches it.
COMPETITOR_REQUIREMENTS = (
    "hydra-core==1.3.2",
    "hydra-optuna-sweeper==1.2.0",
    "hydra-joblib-launcher==1.2.0",
    "sqlalchemy<2",
)
STAMP = ".bench-requirements"  # written into the venv once the install succeeded

CONFIG = "x: 0.0\ny: 0.0\n"
TRIVIAL = '''\
def task(cfg):
    return (cfg.x - 2) ** 2 + (cfg.y + 3) ** 2
'''
SLEEPY = f'''\
import os
import time


def duration(x):
    """Seconds a trial sleeps: 0.1 s at x = -12 up to 1 s at x = 12."""
    return 0.1 + 0.9 * (x + 12) / 24


def task(cfg):
    start = time.time()
    time.sleep(duration(cfg.x))
    log = os.environ.get("{TRIAL_LOG_ENV}")
    if log:  # one line per trial, appended at once: start, end, x
        with open(log, "a") as f:
            f.write(f"{{start!r}} {{time.time()!r}} {{cfg.x!r}}\\n")
    return (cfg.x - 2) ** 2 + (cfg.y + 3) ** 2
'''


def hydra_main(module: str) -> str:
    return f'''\
import hydra

from {module} import task


@hydra.main(version_base=None, config_path=".", config_name="conf")
def main(cfg):
    return task(cfg)


if __name__ == "__main__":
    main()
'''


# Optuna alone: the same objective and search space through ``study.optimize``, in-memory
# storage unless a journal file is asked for, the sampler built with the arguments of the
# sweepers' ``tpe`` config. Prints the seconds of create_study + optimize for each study size, after
# an untimed warm-up study.
OPTUNA_ONLY = '''\
import json, os, sys, tempfile, time
started = time.perf_counter()
import optuna
imported = time.perf_counter() - started

optuna.logging.set_verbosity(optuna.logging.WARNING)
sizes, seed, storage_kind = [int(n) for n in sys.argv[1].split(",")], int(sys.argv[2]), sys.argv[3]


def objective(trial):
    x = trial.suggest_float("x", -12, 12)
    y = trial.suggest_float("y", -12, 12)
    return (x - 2) ** 2 + (y + 3) ** 2


def storage(folder):
    if storage_kind == "memory":
        return None
    from optuna.storages import JournalStorage
    try:
        from optuna.storages.journal import JournalFileBackend
    except ImportError:  # Optuna 3.x (Optuna 2 has no journal storage)
        from optuna.storages import JournalFileStorage as JournalFileBackend
    return JournalStorage(JournalFileBackend(os.path.join(folder, "optuna.journal")))


def run(n):
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=10, multivariate=False,
                                             constant_liar=False)
        study = optuna.create_study(sampler=sampler, storage=storage(folder), direction="minimize")
        study.optimize(objective, n_trials=n)
        return {"seconds": time.perf_counter() - start, "best": study.best_value}


run(12)  # untimed warm-up: Optuna imports some modules on first use (TPE's included)
out = {"optuna": optuna.__version__, "import": imported}
for n in sizes:
    out[str(n)] = run(n)
print(json.dumps(out))
'''

COMPETITOR_PROBE = '''\
import importlib.metadata as m
import hydra_plugins.hydra_joblib_launcher, hydra_plugins.hydra_optuna_sweeper, optuna
for d in ("hydra-core", "hydra-optuna-sweeper", "hydra-joblib-launcher", "optuna", "sqlalchemy"):
    print(d, m.version(d))
'''


def make_optuna_project(root: Path) -> Path:
    return write_project(root, {
        "conf.yaml": CONFIG,
        "trivial.py": TRIVIAL,
        "sleepy.py": SLEEPY,
        "trivial_hydra.py": hydra_main("trivial"),
        "sleepy_hydra.py": hydra_main("sleepy"),
    })


def duration(x: float) -> float:
    """The sleep of a trial of (b), as in ``sleepy.py``."""
    return 0.1 + 0.9 * (x + 12) / 24


# -- hydra-optuna-sweeper's venv ------------------------------------------------------------------

def _venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def competitor_versions(python: Path) -> Optional[dict[str, str]]:
    """Versions of the competitor's packages in ``python``, None if it cannot import them."""
    try:
        done = subprocess.run([str(python), "-c", COMPETITOR_PROBE], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    return dict(line.split(" ", 1) for line in done.stdout.splitlines() if " " in line)


def ensure_competitor_venv(venv: Path, base_python: Path, recreate: bool) -> Path:
    """The interpreter of ``venv``, with hydra-optuna-sweeper installed; built if missing or stale."""
    python = _venv_python(venv)
    wanted = "\n".join(COMPETITOR_REQUIREMENTS) + "\n"
    stamp = venv / STAMP
    if not recreate and python.exists() and stamp.exists() and stamp.read_text() == wanted \
            and competitor_versions(python) is not None:
        return python
    shutil.rmtree(venv, ignore_errors=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    uv = shutil.which("uv")
    # Both install paths compile bytecode, so imports do not depend on PYTHONDONTWRITEBYTECODE.
    if uv:
        progress(f"creating {venv} with uv")
        steps = [[uv, "venv", "--python", str(base_python), str(venv)],
                 [uv, "pip", "install", "--compile-bytecode", "--python", str(python), *COMPETITOR_REQUIREMENTS]]
    else:
        progress(f"creating {venv} with python -m venv and pip (about a minute)")
        steps = [[str(base_python), "-m", "venv", str(venv)],
                 [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--quiet",
                  *COMPETITOR_REQUIREMENTS]]
    for cmd in steps:
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise CommandFailed(cmd, venv.parent, done.returncode, done.stderr[-4000:])
    if competitor_versions(python) is None:
        raise CommandFailed([str(python), "-c", "import hydra_plugins.hydra_optuna_sweeper"], venv.parent, 1,
                            "the packages were installed but do not import")
    stamp.write_text(wanted)
    return python


# -- timing ---------------------------------------------------------------------------------------

@dataclass
class Run:
    wall: float
    launched: float  # time.time() just before the command started
    others: Optional[float]  # mean cores busy with anything else during the run


def clean(project: Path) -> None:
    clean_outputs(project)
    shutil.rmtree(project / SWEEP_DIR, ignore_errors=True)


def run_command(cmd: Sequence[str], project: Path, env: Mapping[str, str]) -> Run:
    """Run ``cmd`` in ``project`` (after removing earlier outputs); stdout discarded, stderr kept for errors."""
    clean(project)
    with tempfile.TemporaryFile() as err:
        with LoadMeter() as meter:
            code = subprocess.call(list(cmd), cwd=project, env=dict(env), stdout=subprocess.DEVNULL, stderr=err)
        if code != 0:
            err.seek(0)
            raise CommandFailed(cmd, project, code, err.read().decode(errors="replace")[-6000:])
    return Run(meter.wall, meter.started, meter.others())


def _median(values: Sequence[float]) -> float:
    return statistics.median(values)


# -- the sweeps -----------------------------------------------------------------------------------

@dataclass
class Commands:
    runner: Tools
    competitor: Path

    def plain_run(self, tool: str) -> list[str]:
        if tool == RUNNER:
            return self.runner.hydra_runner("run", "trivial:task", "--config-path", ".", "--config-name", "conf")
        return [str(self.competitor), "trivial_hydra.py"]

    def plain_hydra_here(self) -> list[str]:
        """The same app run by plain Hydra in hydra-runner's venv: the start-up any Hydra tool there pays."""
        return [str(self.runner.python), "trivial_hydra.py"]

    def sweep(self, tool: str, module: str, trials: int, parallel: bool) -> list[str]:
        optuna = ["hydra/sweeper=optuna", f"hydra.sweeper.n_trials={trials}", *SPACE,
                  "hydra/sweeper/sampler=tpe", f"hydra.sweeper.sampler.seed={SEED}", f"hydra.sweep.dir={SWEEP_DIR}"]
        if tool == RUNNER:
            extra = [f"hydra.sweeper.n_jobs={WORKERS}", "-j", str(WORKERS)] if parallel else []
            return self.runner.hydra_runner("multirun", f"{module}:task", "--config-path", ".", "--config-name",
                                            "conf", *optuna, *extra)
        extra = ([f"hydra.sweeper.n_jobs={WORKERS}", "hydra/launcher=joblib", f"hydra.launcher.n_jobs={WORKERS}"]
                 if parallel else ["hydra.sweeper.n_jobs=1"])
        return [str(self.competitor), f"{module}_hydra.py", "--multirun", *optuna, *extra]


def best_value(project: Path) -> Optional[float]:
    """``best_value`` from the sweep's ``optimization_results.yaml`` (both tools write it)."""
    path = project / SWEEP_DIR / "optimization_results.yaml"
    try:
        for line in path.read_text().splitlines():
            if line.startswith("best_value:"):
                return float(line.split(":", 1)[1])
    except (OSError, ValueError):
        pass
    return None


def trial_xs(tool: str, project: Path) -> list[float]:
    """The ``x`` of every trial the last sweep ran, from what the tool wrote in its sweep dir."""
    sweep = project / SWEEP_DIR
    xs: list[float] = []
    if tool == RUNNER:
        with open(sweep / "trials.csv", newline="") as f:
            xs = [float(row["params_x"]) for row in csv.DictReader(f) if row.get("params_x")]
    else:
        for overrides in sorted(sweep.glob("*/.hydra/overrides.yaml")):
            for line in overrides.read_text().splitlines():
                item = line.strip().lstrip("-").strip().strip("'\"")
                if item.startswith("x="):
                    xs.append(float(item[2:]))
    return xs


@dataclass
class SleepyRun:
    wall: float
    others: Optional[float]
    ideal: float
    trials: int
    first_start: Optional[float]  # seconds from launch to the first trial's start (the trials' own log)
    span: Optional[float]  # first trial's start to last trial's end

    @property
    def ratio(self) -> float:
        return self.wall / self.ideal

    @property
    def span_ratio(self) -> Optional[float]:
        return None if self.span is None else self.span / self.ideal


@dataclass
class Results:
    plain: dict[str, list[float]] = field(default_factory=dict)
    plain_hydra_here: list[float] = field(default_factory=list)  # plain Hydra, hydra-runner's venv
    one: dict[str, list[float]] = field(default_factory=dict)
    many: dict[str, list[Run]] = field(default_factory=dict)
    best: dict[str, Optional[float]] = field(default_factory=dict)
    optuna: dict[str, list[dict]] = field(default_factory=dict)  # tool or "journal" -> outputs of OPTUNA_ONLY
    sleepy: dict[str, list[SleepyRun]] = field(default_factory=dict)
    used: list[str] = field(default_factory=list)
    runs: int = 1
    short_runs: int = 3
    sleepy_runs: int = 1


def optuna_alone(python: Path, sizes: Sequence[int], storage: str) -> dict:
    cmd = [str(python), "-c", OPTUNA_ONLY, ",".join(map(str, sizes)), str(SEED), storage]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise CommandFailed(cmd, Path.cwd(), done.returncode, done.stderr[-4000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def sleepy_run(tool: str, cmd: Sequence[str], project: Path, env: Mapping[str, str], trials: int) -> SleepyRun:
    log = project / "trial-times.log"
    log.unlink(missing_ok=True)
    run = run_command(cmd, project, {**env, TRIAL_LOG_ENV: str(log)})
    xs = trial_xs(tool, project)
    if len(xs) != trials:
        raise CommandFailed(cmd, project, 0, f"expected {trials} trials in the sweep's outputs, found {len(xs)}")
    durations = [duration(x) for x in xs]
    ideal = max(sum(durations) / WORKERS, max(durations))
    first = span = None
    try:
        stamps = [tuple(map(float, line.split()[:2])) for line in log.read_text().splitlines() if line.strip()]
    except OSError:
        stamps = []
    if stamps:
        first = min(s for s, _ in stamps) - run.launched
        span = max(e for _, e in stamps) - min(s for s, _ in stamps)
    return SleepyRun(run.wall, run.others, ideal, len(xs), first, span)


def run_benchmarks(cmds: Commands, project: Path, args: argparse.Namespace) -> Results:
    env = bench_env()
    res = Results()
    res.runs = args.runs if args.runs is not None else (1 if args.quick else 5)
    res.short_runs = max(3, res.runs)
    res.sleepy_runs = args.sleepy_runs if args.sleepy_runs is not None else (1 if args.quick else 3)
    tools = [COMP, RUNNER]
    n = args.trials

    def note(cmd: list[str]) -> list[str]:
        text = shlex.join(cmd)
        if text not in res.used:
            res.used.append(text)
        return cmd

    progress("warming up")
    for tool in tools:
        run_command(cmds.plain_run(tool), project, env)
        run_command(cmds.sweep(tool, "trivial", 1, False), project, env)

    # (a) start-up, 1-trial and N-trial sweeps, interleaved in the same rounds: the machine's
    # speed drifts over minutes, and T(N) - T(1) must not take that drift for overhead.
    for tool in tools:
        res.plain[tool], res.one[tool], res.many[tool] = [], [], []
    for i in range(max(res.short_runs, res.runs)):
        for tool in tools:
            if i < res.short_runs:
                progress(f"(a) one plain run and a 1-trial sweep: {NAMES[tool]}, run {i + 1}/{res.short_runs}")
                res.plain[tool].append(run_command(note(cmds.plain_run(tool)), project, env).wall)
                res.one[tool].append(run_command(note(cmds.sweep(tool, "trivial", 1, False)), project, env).wall)
            if i < res.runs:
                progress(f"(a) {n} trivial trials: {NAMES[tool]}, run {i + 1}/{res.runs}")
                res.many[tool].append(run_command(note(cmds.sweep(tool, "trivial", n, False)), project, env))
                res.best[tool] = best_value(project)
        if i < res.short_runs:
            res.plain_hydra_here.append(run_command(note(cmds.plain_hydra_here()), project, env).wall)

    # Optuna alone, in each venv; the journal-file variant shows what hydra-runner's default storage costs.
    pythons = {COMP: cmds.competitor, RUNNER: cmds.runner.python}
    res.optuna = {COMP: [], RUNNER: [], "journal": []}
    for i in range(res.short_runs):
        progress(f"(a) Optuna alone, {n} and 1 trial(s), run {i + 1}/{res.short_runs}")
        for tool in tools:
            res.optuna[tool].append(optuna_alone(pythons[tool], [1, n], "memory"))
        res.optuna["journal"].append(optuna_alone(pythons[RUNNER], [1, n], "journal"))

    # (b) sleeping trials on 2 workers.
    m = args.sleepy_trials
    res.sleepy = {tool: [] for tool in tools}
    for i in range(res.sleepy_runs):
        for tool in tools:
            progress(f"(b) {m} sleeping trials, {WORKERS} at a time: {NAMES[tool]}, run {i + 1}/{res.sleepy_runs}")
            cmd = note(cmds.sweep(tool, "sleepy", m, True))
            res.sleepy[tool].append(sleepy_run(tool, cmd, project, env, m))
    clean(project)
    return res


# -- the report -----------------------------------------------------------------------------------

def _ratio(a: Optional[float], b: Optional[float], better: str = "faster", worse: str = "slower") -> str:
    """How ``a`` (hydra-runner) compares with ``b``: "2.5x faster" when a < b."""
    if a is None or b is None or a <= 0 or b <= 0:
        return "n/a"
    return f"{b / a:.1f}x {better}" if b >= a else f"{a / b:.2f}x {worse}"


@dataclass
class Overhead:
    plain: float
    one: float
    many: float
    others: Optional[float]
    optuna_one: float
    optuna_many: float
    per_trial: float  # ((T(N) - T(1)) - (O(N) - O(1))) / (N - 1)
    all_in: float  # (T(N) - T(plain run) - O(N)) / N


def overheads(res: Results, n: int) -> dict[str, Overhead]:
    out = {}
    for tool in (COMP, RUNNER):
        plain, one = _median(res.plain[tool]), _median(res.one[tool])
        many = _median([r.wall for r in res.many[tool]])
        o1 = _median([o["1"]["seconds"] for o in res.optuna[tool]])
        on = _median([o[str(n)]["seconds"] for o in res.optuna[tool]])
        out[tool] = Overhead(plain, one, many, median_or_none([r.others for r in res.many[tool]]), o1, on,
                             ((many - one) - (on - o1)) / (n - 1), (many - plain - on) / n)
    return out


def table_overhead(res: Results, args: argparse.Namespace) -> str:
    n = args.trials
    ov = overheads(res, n)
    c, r = ov[COMP], ov[RUNNER]
    goal_s = args.overhead_goal / 1e3
    journal = _median([o[str(n)]["seconds"] for o in res.optuna["journal"]])
    versions = {tool: res.optuna[tool][0]["optuna"] for tool in (COMP, RUNNER)}
    alone = {tool: res.optuna[tool][0][str(n)]["best"] for tool in (COMP, RUNNER)}

    def best(tool: str) -> str:
        value = res.best.get(tool)
        return ("—" if value is None else f"{value:.4g}") + f" (Optuna alone: {alone[tool]:.4g})"

    rows = [
        ["one plain run (start-up)", fmt_seconds(c.plain), fmt_seconds(r.plain), _ratio(r.plain, c.plain), "—", "—"],
        ["1-trial sweep, T(1)", fmt_seconds(c.one), fmt_seconds(r.one), _ratio(r.one, c.one), "—", "—"],
        [f"{n}-trial sweep, T({n})", fmt_seconds(c.many), fmt_seconds(r.many), _ratio(r.many, c.many), "—", "—"],
        [f"Optuna alone ({versions[COMP]} / {versions[RUNNER]}), O({n})", fmt_seconds(c.optuna_many),
         fmt_seconds(r.optuna_many), "—", "—", "—"],
        ["Optuna alone, O(1)", fmt_seconds(c.optuna_one), fmt_seconds(r.optuna_one), "—", "—", "—"],
        [f"Optuna alone with a journal file, O({n})", "—", fmt_seconds(journal), "—", "—", "—"],
        [f"**per-trial overhead beyond Optuna**, ((T({n}) - T(1)) - (O({n}) - O(1))) / {n - 1}",
         fmt_seconds(c.per_trial), fmt_seconds(r.per_trial), _ratio(r.per_trial, c.per_trial, "lower", "higher"),
         f"<= {args.overhead_goal:g} ms", "yes" if r.per_trial <= goal_s else "no"],
        [f"all-in per-trial overhead, (T({n}) - T(plain run) - O({n})) / {n}", fmt_seconds(c.all_in),
         fmt_seconds(r.all_in), _ratio(r.all_in, c.all_in, "lower", "higher"), f"<= {args.overhead_goal:g} ms",
         "yes" if r.all_in <= goal_s else "no"],
        [f"best value after {n} trials", best(COMP), best(RUNNER), "—", "—", "—"],
        [f"other load in the {n}-trial runs (cores)", load_text(c.others), load_text(r.others), "—", "—", "—"],
    ]
    return markdown_table(["Measure", NAMES[COMP], NAMES[RUNNER], "hydra-runner vs hydra-optuna-sweeper",
                           "Goal (hydra-runner)", "Met"], rows)


def _median_sleepy(runs: Sequence[SleepyRun]) -> SleepyRun:
    """The run with the median wall/ideal ratio (its own figures kept together)."""
    ordered = sorted(runs, key=lambda s: s.ratio)
    return ordered[(len(ordered) - 1) // 2]


def start_up_floor(res: Results) -> float:
    """Seconds no Optuna sweep from hydra-runner's venv starts faster than: a plain Hydra run, then Optuna's import."""
    return _median(res.plain_hydra_here) + _median([o["import"] for o in res.optuna[RUNNER]])


def table_sleepy(res: Results, args: argparse.Namespace) -> str:
    med = {tool: _median_sleepy(runs) for tool, runs in res.sleepy.items()}
    rows = []
    for tool, label in ((COMP, f"{NAMES[COMP]} + joblib launcher, n_jobs={WORKERS}"),
                        (RUNNER, f"{NAMES[RUNNER]} -j {WORKERS}, n_jobs={WORKERS}")):
        s = med[tool]
        goal, met, vs = "—", "—", "—"
        if tool == RUNNER:
            goal = f"<= {args.sleepy_goal:g}x"
            met = "yes" if s.ratio <= args.sleepy_goal else "no"
        else:
            vs = _ratio(med[RUNNER].wall, s.wall)
        span_ratio = "—" if s.span_ratio is None else f"{s.span_ratio:.2f}x"
        rows.append([label, fmt_seconds(s.wall), fmt_seconds(s.ideal), f"{s.ratio:.2f}x", goal, met,
                     fmt_seconds(s.first_start), fmt_seconds(s.span), span_ratio, vs, load_text(s.others)])
    ours = med[RUNNER]
    start_floor = start_up_floor(res)
    floor = start_floor + ours.ideal
    rows.append(["floor: plain Hydra's start-up + importing Optuna, then the ideal", fmt_seconds(floor),
                 fmt_seconds(ours.ideal), f"{floor / ours.ideal:.2f}x", "—", "—", fmt_seconds(start_floor), "—",
                 "—", _ratio(ours.wall, floor), "—"])
    return markdown_table(["Tool", "Wall time", "Ideal", "Wall / ideal", "Goal", "Met", "Launch to 1st trial",
                           "1st trial start to last end", "That / ideal", "hydra-runner vs this",
                           "Other load (cores)"], rows)


def report(tools: Tools, comp_versions: Mapping[str, str], res: Results, args: argparse.Namespace) -> str:
    facts = machine_facts(tools)
    facts.append(("optuna (hydra-runner's venv)", res.optuna[RUNNER][0]["optuna"]))
    facts.append(("competitor venv", f"{COMPETITOR_VENV if args.competitor_python is None else args.competitor_python}"
                  " (" + ", ".join(f"{k} {v}" for k, v in comp_versions.items()) + ")"))
    facts_text = "\n".join(f"- {key}: {value}" for key, value in facts)
    n, m = args.trials, args.sleepy_trials
    notes_a = [
        f"Trials one at a time: hydra-runner without `-j` (in-process), hydra-optuna-sweeper with "
        f"`hydra.sweeper.n_jobs=1` on Hydra's BasicLauncher; both TPE with seed {SEED} and the same search space.",
        f"T: wall time of the whole command; T(1) and the plain run medians of {res.short_runs} runs, "
        f"T({n}) a median of {res.runs}, all interleaved round by round. O: seconds of `create_study` + "
        "`study.optimize` of the same objective in a fresh process of each venv after an untimed warm-up "
        "study (in-memory storage, `TPESampler(seed, "
        f"n_startup_trials=10, multivariate=False, constant_liar=False)` as the sweepers' `tpe` config), "
        f"median of {res.short_runs}.",
        f"Per-trial overhead beyond Optuna = ((T({n}) - T(1)) - (O({n}) - O(1))) / {n - 1}: what each extra trial "
        "costs on top of Optuna's own ask/sample/tell, fixed costs (interpreter, imports, study creation) "
        f"cancelled out. All-in = (T({n}) - T(plain run) - O({n})) / {n}: also charges the sweep's fixed costs "
        "beyond a plain run (importing Optuna, creating the study) to the trials.",
        "The journal-file row is Optuna alone with hydra-runner's default storage (an Optuna journal file in the "
        "sweep dir), for reference; the goal is measured against the in-memory figure.",
        "Best values: each sweeper's, from its `optimization_results.yaml`, next to that of Optuna alone in its "
        "venv; equal values mean the sweeper ran the same trials as `study.optimize`. The two columns differ "
        "because Optuna 2 and Optuna 5 implement TPE differently.",
    ]
    notes_b = [
        f"Each trial sleeps 0.1 + 0.9 * (x + 12) / 24 s, x from `interval(-12,12)`. Ideal = "
        f"max(sum(d) / {WORKERS}, max(d)) over the durations d of the {m} trials that tool ran, recomputed from "
        "their `x` (hydra-runner: `trials.csv`; hydra-optuna-sweeper: each job's `.hydra/overrides.yaml`); "
        "each tool is compared with its own ideal since they sample different trials.",
        "hydra-runner starts a trial as soon as a worker is free; hydra-optuna-sweeper asks n_jobs trials, "
        "waits for all of them, then asks again. hydra-runner's study lives in a process the CLI starts first, "
        "which imports Optuna while the sweep's own process imports Hydra and composes the sweep.",
        f"Figures of the run with the median wall / ideal among {res.sleepy_runs} run(s). Wall time includes "
        "start-up; "
        "\"launch to 1st trial\" and the span of the trials come from a line each trial appends to a log "
        "(`time.time()` at its start and end), so \"that / ideal\" leaves start-up and shutdown out.",
        "Other load: mean number of cores busy with anything else during the run (`/proc/stat` busy time minus "
        f"the CPU time of the command and its waited-for children, over the wall time); the machine has "
        f"{os.cpu_count()} cores.",
        f"Floor: the plain Hydra app in hydra-runner's venv (`python trivial_hydra.py`, "
        f"{fmt_seconds(_median(res.plain_hydra_here))}, median of {res.short_runs}, its exit included) plus "
        f"importing Optuna in a fresh process ({fmt_seconds(_median([o['import'] for o in res.optuna[RUNNER]]))}, "
        f"median of {res.short_runs}), then hydra-runner's ideal: what a sweeper that composes once and "
        "loads Optuna in the same process before sampling cannot beat, even with zero cost per trial. "
        "hydra-runner loads the two at once in two processes, so its first trial may start before this floor's.",
    ]
    cmds = "\n".join(f"    {cmd}" for cmd in res.used)

    def bullets(items: list[str]) -> str:
        return "\n".join(f"- {item}" for item in items)

    return (
        "## Optuna sweeps: hydra-optuna-sweeper vs hydra-runner\n\n"
        f"Machine:\n\n{facts_text}\n\n"
        f"Command (from the repository root):\n\n    {invocation()}\n\n"
        f"### (a) {n} trivial trials of TPE, one at a time\n\n"
        f"{table_overhead(res, args)}\n\n{bullets(notes_a)}\n\n"
        f"### (b) {m} trials of 0.1 s to 1 s, {WORKERS} at a time on {os.cpu_count()} cores\n\n"
        f"{table_sleepy(res, args)}\n\n{bullets(notes_b)}\n\n"
        "Wall-clock times (`time.perf_counter`) of whole processes started from the generated project, "
        "stdout discarded; outputs and the sweep dir removed before each run.\n\n"
        f"Commands timed (in the generated project):\n\n{cmds}\n"
    )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", "-n", type=int,
                        help="runs per median of the N-trial sweeps of (a) (default: 5, 1 with --quick; "
                        "plain runs, 1-trial sweeps and Optuna alone use at least 3)")
    parser.add_argument("--sleepy-runs", type=int, help="runs per median of (b) (default: 3, 1 with --quick)")
    parser.add_argument("--quick", action="store_true", help="one run per sweep")
    parser.add_argument("--trials", type=int, default=100, help="trivial trials in (a) (default: 100)")
    parser.add_argument("--sleepy-trials", type=int, default=20, help="sleeping trials in (b) (default: 20)")
    parser.add_argument("--overhead-goal", type=float, default=10.0, help=argparse.SUPPRESS)  # ms per trial
    parser.add_argument("--sleepy-goal", type=float, default=1.15, help=argparse.SUPPRESS)  # wall / ideal
    parser.add_argument("--python", help="interpreter with hydra-runner; hydra-runner is the console script "
                        "beside it (default: the project's .venv)")
    parser.add_argument("--competitor-python", type=Path, metavar="PATH",
                        help="interpreter with hydra-optuna-sweeper and hydra-joblib-launcher installed "
                        f"(default: build or reuse {COMPETITOR_VENV.relative_to(REPO_ROOT)})")
    parser.add_argument("--recreate-venv", action="store_true",
                        help="delete and rebuild hydra-optuna-sweeper's venv first")
    parser.add_argument("--markdown", type=Path, metavar="PATH",
                        help=f"write/replace the {SECTION} section of this markdown file")
    args = parser.parse_args(argv)
    for name in ("runs", "sleepy_runs"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    if args.trials < 2 or args.sleepy_trials < 1:
        parser.error("--trials must be >= 2 and --sleepy-trials >= 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    tools = Tools.find(args.python)
    if runner_broken(tools):
        return 1
    try:
        if args.competitor_python is not None:
            competitor = args.competitor_python.absolute()
        else:
            competitor = ensure_competitor_venv(COMPETITOR_VENV, tools.python, args.recreate_venv)
        comp_versions = competitor_versions(competitor)
        if comp_versions is None:
            print(f"{competitor} cannot import hydra-optuna-sweeper and hydra-joblib-launcher", file=sys.stderr)
            return 1
        with tempfile.TemporaryDirectory(prefix="bench-optuna-") as tmp:
            res = run_benchmarks(Commands(tools, competitor), make_optuna_project(Path(tmp)), args)
    except CommandFailed as exc:
        return command_failed(exc)
    text = report(tools, comp_versions, res, args)
    publish(text, args.markdown, SECTION)
    return 0


if __name__ == "__main__":
    sys.exit(main())
