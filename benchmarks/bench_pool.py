"""Parallel sweeps: Hydra's BasicLauncher, the joblib launcher and hydra-runner's pool.

Generates a throw-away project (``conf/config.yaml`` with ``x: 0`` and
``iters: 0``; an ``app.py`` whose ``@hydra.main`` task spins a pure-Python busy
loop of ``cfg.iters`` iterations, then returns ``cfg.x``) and measures, all with
the same interpreter from that project:

a. a CPU-bound sweep: ``--cpu-jobs`` jobs (20) of ~``--job-seconds`` (0.5 s)
   of CPU each on 2 workers, with plain Hydra (``python app.py -m``, the
   BasicLauncher runs them one after the other), the joblib launcher
   (``hydra/launcher=joblib hydra.launcher.n_jobs=2``) and
   ``hydra-runner multirun ... -j 2``. The loop's iteration count is calibrated
   once at start (CPU time of the loop alone, in a separate process) and passed
   as ``iters=N`` to every tool, so all do identical work. The computed limit is
   jobs x calibrated job time / 2 workers; the measured limit is the same spins run by
   a bare ``multiprocessing`` pool of 2 (``bare.py``), timed in the same rounds;
b. per-job overhead of trivial jobs (``iters=0``) with 2 workers:
   (T(N jobs) - T(1 job)) / (N - 1), N = ``--jobs`` (1000) for hydra-runner
   ``-j 2`` and ``--joblib-jobs`` (200; 100 with ``--quick``) for the joblib
   launcher, whose 1000-job total is extrapolated from it;
c. the memory of hydra-runner's parent process over a ``--memory-jobs`` (5000)
   trivial-job sweep with ``-j 2``: VmRSS read from ``/proc/<pid>/status`` by this
   script while it runs, when the parent reports job 1, job ``--memory-early``
   (100) and the last job done (its per-job progress lines on stderr).

Usage (from the repository root)::

    python benchmarks/bench_pool.py                  # everything (~4-5 min on 2 cores)
    python benchmarks/bench_pool.py --quick          # one run per sweep (~2 min)
    python benchmarks/bench_pool.py --quick --markdown docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
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
    progress,
    publish,
    runner_broken,
    time_command,
    write_project,
)

SECTION = "bench_pool"
PLAIN, JOBLIB, RUNNER, BARE = "plain", "joblib", "runner", "bare"
NAMES = {PLAIN: "Hydra (BasicLauncher)", JOBLIB: "joblib launcher, n_jobs=2", RUNNER: "hydra-runner -j 2",
         BARE: "physical limit, measured: the spins alone in 2 processes"}
WORKERS = 2
FLAT_MB = 20.0  # (c): "flat" means the parent grows by less than this between job --memory-early and the end

# The busy loop, shared verbatim by the app and the calibration so both spin the same code.
SPIN_SRC = '''\
def spin(n):
    """Pure-Python CPU work: ``n`` loop iterations, no sleeping, no I/O."""
    acc = 0
    for i in range(n):
        acc ^= i * i
    return acc
'''

CONFIG = "x: 0\niters: 0\n"
SPIN_LOG_ENV = "BENCH_POOL_SPIN_LOG"
APP = f'''\
import os
import time

import hydra
from omegaconf import DictConfig


{SPIN_SRC}

@hydra.main(version_base=None, config_path="conf", config_name="config")
def main(cfg: DictConfig) -> int:
    start = time.process_time()
    spin(int(cfg.iters))
    log = os.environ.get("{SPIN_LOG_ENV}")
    if log:  # the CPU seconds of this job's spin, one line, appended at once
        with open(log, "a") as f:
            f.write(f"{{time.process_time() - start!r}}\\n")
    return cfg.x


if __name__ == "__main__":
    main()
'''

CALIBRATE = SPIN_SRC + '''
import json, statistics, sys, time

def cpu(n):
    start = time.process_time()
    spin(n)
    return time.process_time() - start

target = float(sys.argv[1])
cpu(100_000)  # warm up
n = 100_000
while (t := cpu(n)) < 0.1:
    n *= 2
for _ in range(2):  # scale from the probe, then once more from a run of the full length
    n = max(1, round(n * target / t))
    t = statistics.median(cpu(n) for _ in range(3))
print(json.dumps({"iters": n, "seconds": t}))
'''

# The same spins with no Hydra and no launcher: a forked multiprocessing pool of 2, handing out one
# job at a time as hydra-runner does. What the machine itself takes for the work, two at a time.
BARE_SRC = SPIN_SRC + '''
import multiprocessing, sys

if __name__ == "__main__":
    iters, jobs = int(sys.argv[1]), int(sys.argv[2])
    with multiprocessing.get_context("fork").Pool(2) as pool:
        for _ in pool.imap_unordered(spin, [iters] * jobs, chunksize=1):
            pass
'''

PROGRESS = re.compile(r"^\[(\d+)/(\d+)\]")


def make_pool_project(root: Path) -> Path:
    return write_project(root, {"conf/config.yaml": CONFIG, "app.py": APP, "bare.py": BARE_SRC})


# -- timing with a note of how busy the rest of the machine was --------------------------------

@dataclass
class Timing:
    wall: float
    cpu: float  # CPU seconds of the command and the descendants it waited for
    others: Optional[float]  # mean cores busy with anything else during the run

    @staticmethod
    def median(timings: Sequence[Timing]) -> Timing:
        others = [t.others for t in timings if t.others is not None]
        return Timing(statistics.median(t.wall for t in timings), statistics.median(t.cpu for t in timings),
                      statistics.median(others) if others else None)


def timed(cmd: Sequence[str], cwd: Path, env: Mapping[str, str]) -> Timing:
    clean_outputs(cwd)
    with LoadMeter() as meter:
        wall = time_command(cmd, cwd, env)
    return Timing(wall, meter.cpu, meter.others())


def interleaved(cmds: Mapping[str, Sequence[str]], cwd: Path, env: Mapping[str, str], runs: int,
                label: str, extra_env: Optional[Mapping[str, Mapping[str, str]]] = None) -> dict[str, Timing]:
    """Median timing of each command over ``runs`` rounds, each round running every command once."""
    times: dict[str, list[Timing]] = {key: [] for key in cmds}
    for i in range(max(1, runs)):
        for key, cmd in cmds.items():
            progress(f"{label}: {NAMES.get(key, key)}, run {i + 1}/{runs}")
            times[key].append(timed(cmd, cwd, {**env, **(extra_env or {}).get(key, {})}))
    return {key: Timing.median(values) for key, values in times.items()}


# -- (c) the parent's memory, read from outside ------------------------------------------------

def _rss_kb(pid: int) -> tuple[Optional[int], Optional[int]]:
    """(VmRSS, VmHWM) of ``pid`` in kB, None where unreadable (e.g. the process is gone)."""
    rss = hwm = None
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
    except (OSError, ValueError):
        pass
    return rss, hwm


@dataclass
class MemoryRun:
    jobs: int
    early: int
    wall: float
    marks: dict[int, int] = field(default_factory=dict)  # jobs done -> parent VmRSS (kB) then
    last_rss: Optional[int] = None  # last successful sample of the polling thread
    peak: Optional[int] = None  # highest VmHWM (or VmRSS) seen

    def sampled(self, rss: int, hwm: Optional[int]) -> None:
        self.last_rss = rss
        self.peak = max(v for v in (self.peak, rss, hwm) if v is not None)

    def rss(self, done: int) -> Optional[int]:
        return self.marks.get(done)

    @property
    def end(self) -> Optional[int]:
        return self.marks.get(self.jobs, self.last_rss)

    @property
    def growth_mb(self) -> Optional[float]:
        early, end = self.rss(self.early), self.end
        return None if early is None or end is None else (end - early) / 1024


def measure_memory(cmd: Sequence[str], cwd: Path, env: Mapping[str, str], jobs: int, early: int) -> MemoryRun:
    """Run ``cmd`` and read its VmRSS when its progress lines say job 1, ``early`` and ``jobs`` are done.

    A thread also polls every 0.1 s, so the last value before exit is known even if the
    progress lines are not recognised.
    """
    clean_outputs(cwd)
    run = MemoryRun(jobs=jobs, early=early, wall=0.0)
    wanted = {1, early, jobs}
    tail: list[str] = []
    start = time.perf_counter()
    proc = subprocess.Popen(list(cmd), cwd=cwd, env=dict(env), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, errors="replace")
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            rss, hwm = _rss_kb(proc.pid)
            if rss is not None:
                run.sampled(rss, hwm)
            stop.wait(0.1)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    assert proc.stderr is not None
    for line in proc.stderr:
        tail = (tail + [line])[-40:]
        match = PROGRESS.match(line)
        if match and int(match.group(1)) in wanted and int(match.group(1)) not in run.marks:
            rss, hwm = _rss_kb(proc.pid)
            if rss is not None:
                run.marks[int(match.group(1))] = rss
                run.sampled(rss, hwm)
    code = proc.wait()
    run.wall = time.perf_counter() - start
    stop.set()
    poller.join()
    if code != 0:
        raise CommandFailed(cmd, cwd, code, "".join(tail))
    return run


# -- the benchmark -------------------------------------------------------------------------------

@dataclass
class Results:
    job_iters: int
    job_seconds: float
    runner_spin: float  # mean CPU seconds of a job's spin in hydra-runner's sweeps (two at a time)
    plain_run: float  # wall time of one plain `python app.py` run
    cpu: dict[str, Timing]
    one: dict[str, float]
    many: dict[str, float]
    many_jobs: dict[str, int]
    many_others: dict[str, Optional[float]]
    memory: MemoryRun
    used: list[str]
    runs: int
    short_runs: int


def calibrate(tools: Tools, seconds: float) -> tuple[int, float]:
    out = subprocess.run(tools.plain("-c", CALIBRATE, str(seconds)), capture_output=True, text=True, check=True)
    found = json.loads(out.stdout)
    return int(found["iters"]), float(found["seconds"])


def joblib_available(tools: Tools) -> bool:
    probe = tools.plain("-c", "import hydra_plugins.hydra_joblib_launcher")
    return subprocess.run(probe, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0


def sweep_commands(tools: Tools, which: Sequence[str], *overrides: str) -> dict[str, list[str]]:
    cmds = {
        PLAIN: tools.plain("app.py", "-m", *overrides),
        JOBLIB: tools.plain("app.py", "-m", *overrides, "hydra/launcher=joblib", f"hydra.launcher.n_jobs={WORKERS}"),
        RUNNER: tools.hydra_runner("multirun", "app.py", *overrides, "-j", str(WORKERS)),
    }
    return {tool: cmds[tool] for tool in which}


def run_benchmarks(tools: Tools, project: Path, args: argparse.Namespace, with_joblib: bool) -> Results:
    env = bench_env()
    used: list[str] = []
    runs = args.runs if args.runs is not None else (1 if args.quick else 3)
    short_runs = max(3, runs)  # 1-job sweeps are cheap
    joblib = [JOBLIB] if with_joblib else []

    def note(cmds: dict[str, list[str]]) -> dict[str, list[str]]:
        used.extend(shlex.join(cmd) for cmd in cmds.values())
        return cmds

    progress(f"calibrating the busy loop to {args.job_seconds:g} s of CPU")
    iters, job_seconds = calibrate(tools, args.job_seconds)
    progress(f"{iters} iterations = {job_seconds:.3f} s of CPU")

    progress("warming up")
    interleaved(sweep_commands(tools, [PLAIN, *joblib, RUNNER], "x=0"), project, env, 1, "warm-up")

    n = args.cpu_jobs
    cpu_cmds = note(sweep_commands(tools, [PLAIN, *joblib, RUNNER], f"x=range(0,{n})", f"iters={iters}"))
    cpu_cmds[BARE] = tools.plain("bare.py", str(iters), str(n))
    note({BARE: cpu_cmds[BARE]})
    spin_log = project / "runner-spins.log"
    cpu = interleaved(cpu_cmds, project, env, runs, f"(a) {n} CPU-bound jobs", {RUNNER: {SPIN_LOG_ENV: str(spin_log)}})
    runner_spin = statistics.mean(float(line) for line in spin_log.read_text().split())
    plain_run = interleaved({"plain run": note({"run": tools.plain("app.py")})["run"]}, project, env, short_runs,
                            "(a) floor: one plain run")["plain run"]

    pool = [*joblib, RUNNER]
    one_t = interleaved(note(sweep_commands(tools, pool, "x=0")), project, env, short_runs, "(b) 1 trivial job")
    many_jobs = {RUNNER: args.jobs, JOBLIB: args.joblib_jobs}
    many_t: dict[str, list[Timing]] = {tool: [] for tool in pool}
    many_cmds = {tool: sweep_commands(tools, [tool], f"x=range(0,{many_jobs[tool]})")[tool] for tool in pool}
    note(many_cmds)
    for i in range(runs):
        for tool in pool:
            progress(f"(b) {many_jobs[tool]} trivial jobs: {NAMES[tool]}, run {i + 1}/{runs}")
            many_t[tool].append(timed(many_cmds[tool], project, env))

    mem_cmd = note(sweep_commands(tools, [RUNNER], f"x=range(0,{args.memory_jobs})"))[RUNNER]
    progress(f"(c) parent memory over {args.memory_jobs} trivial jobs: {NAMES[RUNNER]}")
    memory = measure_memory(mem_cmd, project, env, args.memory_jobs, args.memory_early)
    clean_outputs(project)

    return Results(
        job_iters=iters, job_seconds=job_seconds, runner_spin=runner_spin, plain_run=plain_run.wall, cpu=cpu,
        one={tool: t.wall for tool, t in one_t.items()},
        many={tool: Timing.median(ts).wall for tool, ts in many_t.items()},
        many_jobs={tool: many_jobs[tool] for tool in pool},
        many_others={tool: Timing.median(ts).others for tool, ts in many_t.items()},
        memory=memory, used=used, runs=runs, short_runs=short_runs,
    )


# -- the report -----------------------------------------------------------------------------------

def _ratio(a: float, b: float, better: str = "faster", worse: str = "slower") -> str:
    """How ``a`` (hydra-runner) compares with ``b``: "2.5x faster" when a < b."""
    if a <= 0 or b <= 0:
        return "n/a"
    return f"{b / a:.1f}x {better}" if b >= a else f"{a / b:.2f}x {worse}"


def _mb(kb: Optional[int]) -> str:
    return "—" if kb is None else f"{kb / 1024:.1f} MB"


def table_cpu(res: Results, args: argparse.Namespace) -> tuple[str, float]:
    limit = args.cpu_jobs * res.job_seconds / WORKERS
    runner = res.cpu[RUNNER].wall
    measured = max(limit, res.cpu[BARE].wall)
    rows = []
    for tool in (BARE, PLAIN, JOBLIB, RUNNER):
        t = res.cpu.get(tool)
        if t is None:
            rows.append([NAMES[tool], "not installed", "—", "—", "—", "—", "—", "—", "—"])
            continue
        goal, met = "—", "—"
        if tool == RUNNER:
            goal = f"<= {args.cpu_goal:g}x of the measured limit"
            met = "yes" if t.wall / measured <= args.cpu_goal else "no"
        others = load_text(t.others)
        vs_runner = "—" if tool == RUNNER else _ratio(runner, t.wall)
        rows.append([NAMES[tool], fmt_seconds(t.wall), f"{t.wall / limit:.2f}x", f"{t.wall / measured:.2f}x", goal,
                     met, vs_runner, fmt_seconds(t.cpu), others])
    floor = res.plain_run + args.cpu_jobs * res.runner_spin / WORKERS
    rows.append([f"floor: one plain run + the jobs {WORKERS} at a time", fmt_seconds(floor), f"{floor / limit:.2f}x",
                 f"{floor / measured:.2f}x", "—", "—", _ratio(runner, floor), "—", "—"])
    headers = ["Tool", "Wall time", f"vs computed limit ({fmt_seconds(limit)})",
               f"vs measured limit ({fmt_seconds(measured)})", "Goal", "Met", "hydra-runner vs this", "CPU time",
               "Other load (cores)"]
    return markdown_table(headers, rows), limit


def table_overhead(res: Results, args: argparse.Namespace) -> str:
    per_job = {tool: (res.many[tool] - res.one[tool]) / (res.many_jobs[tool] - 1) for tool in res.many}
    n = args.jobs
    total = {tool: res.one[tool] + (n - 1) * per_job[tool] for tool in res.many}
    j = res.many_jobs.get(JOBLIB)
    est = JOBLIB in res.many and j != n

    def cell(tool: str, value: Optional[float], estimated: bool = False) -> str:
        if tool not in res.many:
            return "—"
        return fmt_seconds(value) + (" (est.)" if estimated else "")

    rows = [
        ["1 job (`x=0`)", cell(JOBLIB, res.one.get(JOBLIB)), fmt_seconds(res.one[RUNNER]),
         _ratio(res.one[RUNNER], res.one[JOBLIB]) if JOBLIB in res.one else "—", "—", "—"],
    ]
    if est:
        rows.append([f"{j} jobs", cell(JOBLIB, res.many[JOBLIB]), "—", "—", "—", "—"])
    ok = per_job[RUNNER] <= args.overhead_goal / 1e3
    rows += [
        [f"{n} jobs", cell(JOBLIB, total.get(JOBLIB), est), fmt_seconds(res.many[RUNNER]),
         (_ratio(res.many[RUNNER], total[JOBLIB]) + (" (est.)" if est else "")) if JOBLIB in total else "—",
         "—", "—"],
        ["other load in the N-job runs (cores)",
         load_text(res.many_others.get(JOBLIB)) if JOBLIB in res.many else "—", load_text(res.many_others[RUNNER]),
         "—", "—", "—"],
        ["per-job overhead", cell(JOBLIB, per_job.get(JOBLIB)) + (f" (from {j} jobs)" if est else ""),
         fmt_seconds(per_job[RUNNER]),
         _ratio(per_job[RUNNER], per_job[JOBLIB], "lower", "higher") if JOBLIB in per_job else "—",
         f"<= {args.overhead_goal:g} ms", "yes" if ok else "no"],
    ]
    return markdown_table(["Trivial jobs, 2 workers", NAMES[JOBLIB], NAMES[RUNNER], "hydra-runner vs joblib",
                           "Goal (hydra-runner)", "Met"], rows)


def table_memory(res: Results) -> str:
    mem = res.memory
    growth = mem.growth_mb
    met = "—" if growth is None else ("yes" if growth < FLAT_MB else "no")
    rows = [
        ["after job 1", _mb(mem.rss(1)), "—", "—"],
        [f"after job {mem.early}", _mb(mem.rss(mem.early)), "—", "—"],
        [f"after job {mem.jobs} (end)", _mb(mem.end), "—", "—"],
        [f"growth, job {mem.early} -> end", "—" if growth is None else f"{growth:+.1f} MB",
         f"< {FLAT_MB:g} MB (flat)", met],
        ["peak (VmHWM)", _mb(mem.peak), "—", "—"],
        ["wall time of the sweep", fmt_seconds(mem.wall), "—", "—"],
    ]
    return markdown_table([f"Parent RSS, {mem.jobs} trivial jobs, -j 2", "VmRSS", "Goal", "Met"], rows)


def report(tools: Tools, res: Results, args: argparse.Namespace, with_joblib: bool) -> str:
    facts = "\n".join(f"- {key}: {value}" for key, value in machine_facts(tools))
    cpu_table, limit = table_cpu(res, args)
    j = res.many_jobs.get(JOBLIB)
    notes_a = [
        f"Each job spins `spin({res.job_iters})`, calibrated once at start to {res.job_seconds:.3f} s of CPU "
        f"(`time.process_time`, median of 3, in a separate process); computed limit = {args.cpu_jobs} x "
        f"{res.job_seconds:.3f} s / {WORKERS} workers = {fmt_seconds(limit)}.",
        f"Measured limit: `python bare.py` in the same rounds, the same {args.cpu_jobs} spins in a forked "
        f"`multiprocessing` pool of {WORKERS} (one job at a time, no Hydra), or the computed limit if that is "
        "higher. The computed limit assumes two spins at once each run as fast as one alone; on this "
        "machine they do not, so the goal is read against what the machine measurably does with the same work.",
        f"Floor: what no launcher can beat with these jobs. A plain single run of the app (`python app.py`, "
        f"{fmt_seconds(res.plain_run)}, median of {res.short_runs}: the interpreter, Hydra and one composition) "
        f"plus the CPU time of the jobs' spins as they ran in hydra-runner's sweeps, {WORKERS} at a time, / "
        f"{WORKERS} workers: each job wrote its `time.process_time()` around `spin`, {res.runner_spin:.3f} s "
        f"on average, {res.runner_spin / res.job_seconds:.2f}x the calibrated time.",
        f"Wall times are medians of {res.runs} interleaved run(s). CPU time: user + system time of the "
        "command and the processes it waited for (`getrusage(RUSAGE_CHILDREN)`; workers nobody waits "
        "for are missed). Other load: mean number of cores busy with anything else during the run "
        "(`/proc/stat` busy time minus that CPU time, over the wall time); the machine has "
        f"{os.cpu_count()} cores, so any other load slows all tools.",
    ]
    notes_b = [
        f"Per-job overhead = (T(N jobs) - T(1 job)) / (N - 1) with `iters=0`; T(1 job) median of "
        f"{res.short_runs} interleaved runs, T(N jobs) median of {res.runs} run(s). Other load as in (a).",
    ]
    if with_joblib and j != args.jobs:
        notes_b.append(f"joblib launcher run with N = {j} jobs only (to keep the run short); its {args.jobs}-job "
                       f"total is extrapolated as T(1 job) + {args.jobs - 1} x its per-job overhead (est.).")
    notes_c = [
        "VmRSS of the hydra-runner parent process (not its workers), read by this script from "
        "`/proc/<pid>/status` when the parent's per-job progress line on stderr (`[N/total] ...`) "
        f"reports job 1, job {res.memory.early} and job {res.memory.jobs} done; nothing in hydra-runner "
        "is changed for it. Peak: the parent's VmHWM (high-water mark) at the last reading.",
        f"Goal: flat, i.e. less than {FLAT_MB:g} MB growth between job {res.memory.early} and the end.",
    ]
    if not with_joblib:
        notes_b.append("hydra-joblib-launcher is not installed: joblib columns left empty.")
    cmds = "\n".join(f"    {cmd}" for cmd in res.used)

    def bullets(items: list[str]) -> str:
        return "\n".join(f"- {n}" for n in items)

    return (
        "## Parallel sweeps: BasicLauncher, joblib launcher and hydra-runner -j 2\n\n"
        f"Machine:\n\n{facts}\n\n"
        f"Command (from the repository root):\n\n    {invocation()}\n\n"
        f"### (a) {args.cpu_jobs} CPU-bound jobs of ~{args.job_seconds:g} s on {WORKERS} workers\n\n"
        f"{cpu_table}\n\n{bullets(notes_a)}\n\n"
        f"### (b) Per-job overhead of trivial jobs on {WORKERS} workers\n\n"
        f"{table_overhead(res, args)}\n\n{bullets(notes_b)}\n\n"
        f"### (c) Memory of hydra-runner's parent process\n\n"
        f"{table_memory(res)}\n\n{bullets(notes_c)}\n\n"
        "Wall-clock times (`time.perf_counter`) of whole processes started from the generated project, "
        "stdout discarded; `outputs/` and `multirun/` removed before each run.\n\n"
        f"Commands timed (in the generated project):\n\n{cmds}\n"
    )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", "-n", type=int,
                        help="runs per median of the (a) and (b) sweeps (default: 3, 1 with --quick; "
                        "1-job sweeps use at least 3)")
    parser.add_argument("--quick", action="store_true",
                        help="one run per sweep and fewer jobs for the joblib launcher in (b)")
    parser.add_argument("--cpu-jobs", type=int, default=20, help="jobs in the CPU-bound sweep (a) (default: 20)")
    parser.add_argument("--job-seconds", type=float, default=0.5,
                        help="CPU seconds per job in (a), calibrated at start (default: 0.5)")
    parser.add_argument("--jobs", type=int, default=1000,
                        help="trivial jobs in (b) for hydra-runner (default: 1000)")
    parser.add_argument("--joblib-jobs", type=int,
                        help="trivial jobs in (b) for the joblib launcher (default: 200, 100 with --quick)")
    parser.add_argument("--memory-jobs", type=int, default=5000, help="trivial jobs in (c) (default: 5000)")
    parser.add_argument("--memory-early", type=int, default=100,
                        help="job after which (c) takes the early RSS reading (default: 100)")
    parser.add_argument("--cpu-goal", type=float, default=1.1, help=argparse.SUPPRESS)
    parser.add_argument("--overhead-goal", type=float, default=5.0, help=argparse.SUPPRESS)
    parser.add_argument("--python", help="interpreter for plain Hydra and joblib; hydra-runner is the console "
                        "script beside it (default: the project's .venv)")
    parser.add_argument("--markdown", type=Path, metavar="PATH",
                        help=f"write/replace the {SECTION} section of this markdown file")
    args = parser.parse_args(argv)
    if args.joblib_jobs is None:
        args.joblib_jobs = 100 if args.quick else 200
    if args.runs is not None and args.runs < 1:
        parser.error("--runs must be >= 1")
    if args.cpu_jobs < 1 or args.job_seconds <= 0:
        parser.error("--cpu-jobs must be >= 1 and --job-seconds > 0")
    if args.jobs < 2 or args.joblib_jobs < 2:
        parser.error("--jobs and --joblib-jobs must be >= 2")
    if not 1 <= args.memory_early < args.memory_jobs:
        parser.error("need 1 <= --memory-early < --memory-jobs")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    tools = Tools.find(args.python)
    if runner_broken(tools):
        return 1
    with_joblib = joblib_available(tools)
    if not with_joblib:
        progress("hydra-joblib-launcher is not installed: measuring without it")
    try:
        with tempfile.TemporaryDirectory(prefix="bench-pool-") as tmp:
            res = run_benchmarks(tools, make_pool_project(Path(tmp)), args, with_joblib)
    except CommandFailed as exc:
        return command_failed(exc)
    text = report(tools, res, args, with_joblib)
    publish(text, args.markdown, SECTION)
    return 0


if __name__ == "__main__":
    sys.exit(main())
