"""The Ray launcher: an embedded local Ray against the process pool, on trivial jobs.

Generates a throw-away project (``conf.yaml`` with ``x: 0``; ``app.py`` with a
plain ``task(cfg)`` that appends its ``x``, its process id and ``time.time()``
at its start and end to a job log, then returns ``cfg.x * 2``) and times, in
the same run on the same machine, ``hydra-runner multirun app:task
--config-path . --config-name conf`` for 1 job (``x=0``) and N = ``--jobs``
(100) jobs (``x=range(0,N)``) with

a. ``--launcher ray``: a local Ray is started for the sweep (``ray.init``
   when the first job is submitted) and shut down after it;
b. the process pool, ``-j 2``.

Besides the wall time T of each command, each N-job run is split into phases
from the wall clock (``time.time()``) at the command's start and exit, the
timestamps of the lines hydra-runner logs (``Launching N jobs ...``, printed
before the launcher starts anything, and ``#1 : x=1``, printed once job #0
has been submitted, which for Ray is once Ray is up) and the job log:

    start-up        command start -> "Launching" line
    launcher start  "Launching" line -> "#1" line (Ray: the cluster start)
    first job       "#1" line -> first job's start in a worker
    jobs            first job's start -> last job's end
    wind-down       last job's end -> command exit (Ray: ray.shutdown)

"submission to all results" is "#1" line -> last job's end. The per-job cost
is (T(N) - T(1)) / (N - 1), in which the fixed costs (start-up, the cluster
start, the shutdown) cancel out. Every run is checked: N jobs in the log with
x = 0..N-1, N "succeeded" progress lines with the value 2x.

Usage (from the repository root)::

    python benchmarks/bench_ray.py --quick           # one run per 100-job sweep (~45 s on 2 cores)
    python benchmarks/bench_ray.py                   # medians of 5 runs (~2 min)
    python benchmarks/bench_ray.py --quick --markdown docs/benchmarks.md
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
    median_or_none,
    progress,
    publish,
    runner_broken,
    write_project,
)

SECTION = "bench_ray"
RAY, POOL = "ray", "pool"
WORKERS = 2
NAMES = {RAY: "--launcher ray (embedded)", POOL: f"-j {WORKERS} (process pool)"}
SHORT = {RAY: "Ray", POOL: "pool"}
JOB_LOG = "jobs.log"
RAY_TMP = "ray-tmp"  # RAY_TMPDIR of the timed runs: the embedded Ray's session files stay in the project

CONFIG = "x: 0\n"
APP = '''\
import os
import time

LOG = {log!r}


def task(cfg):
    start = time.time()
    value = cfg.x * 2
    with open(LOG, "a") as log:
        log.write(f"{{cfg.x}} {{os.getpid()}} {{start!r}} {{time.time()!r}}\\n")
    return value
'''

VERSIONS = '''\
import importlib.metadata as m, json
out = {}
for d in ("ray",):
    try:
        out[d] = m.version(d)
    except m.PackageNotFoundError:
        pass
print(json.dumps(out))
'''

# "[2026-01-31 12:00:00,123][HYDRA] Launching 100 jobs on Ray (embedded)": Hydra's default log format.
LOG_LINE = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3})\](?:\[[^\]]*\])*\s*(?:- )?(.*)$")
LAUNCHING = re.compile(r"^Launching (\d+) jobs?\b")
SECOND_JOB = re.compile(r"^#1 : ")
SUCCEEDED = re.compile(r"^\[(\d+)/(\d+)\] #(\d+) succeeded in (\S+?)s? \(x=(-?\d+)\) -> (\S+)")
PROGRESS = re.compile(r"^\[\d+/\d+\]")


def make_ray_project(root: Path) -> Path:
    return write_project(root, {"conf.yaml": CONFIG, "app.py": APP.format(log=str((root / JOB_LOG).absolute()))})


# -- CPU of a command's whole process tree -------------------------------------------------------

class TreeCpu:
    """CPU seconds of a process and all its descendants, sampled from ``/proc`` while it runs.

    Ray's daemons and workers are not all waited for by the command, so
    ``getrusage(RUSAGE_CHILDREN)`` misses them; each descendant's last
    ``utime + stime`` seen here is kept instead (what a process spends after
    the last sample, up to ``interval``, is missed).
    """

    def __init__(self, root: int, interval: float = 0.1) -> None:
        self.root, self.interval = root, interval
        self.seen: dict[int, float] = {}
        self.tick = os.sysconf("SC_CLK_TCK")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> TreeCpu:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def seconds(self) -> float:
        return sum(self.seen.values())

    def _loop(self) -> None:
        while True:
            self.sample()
            if self._stop.wait(self.interval):
                return

    def sample(self) -> None:
        parents: dict[int, int] = {}
        cpu: dict[int, float] = {}
        try:
            names = os.listdir("/proc")
        except OSError:
            return
        for name in names:
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/stat", "rb") as stat:
                    text = stat.read().decode(errors="replace")
            except OSError:
                continue
            fields = text[text.rfind(")") + 2:].split()  # after "pid (comm) "
            try:
                parents[int(name)] = int(fields[1])
                cpu[int(name)] = (int(fields[11]) + int(fields[12])) / self.tick
            except (IndexError, ValueError):
                continue
        tree = {self.root} | {pid for pid in self.seen if pid in parents}
        grew = True
        while grew:
            grew = False
            for pid, parent in parents.items():
                if parent in tree and pid not in tree:
                    tree.add(pid)
                    grew = True
        for pid in tree:
            if pid in cpu:
                self.seen[pid] = max(self.seen.get(pid, 0.0), cpu[pid])


# -- one run --------------------------------------------------------------------------------------

@dataclass
class Run:
    launcher: str
    jobs: int
    wall: float
    cpu: float  # CPU seconds of the command's process tree
    others: Optional[float]  # mean cores busy with anything else during the run
    start: float  # time.time() at the command's start
    launching: Optional[float] = None  # the "Launching N jobs" line's timestamp
    second: Optional[float] = None  # the "#1 : x=1" line's timestamp
    first_job: Optional[float] = None  # the first job's start (job log)
    last_job: Optional[float] = None  # the last job's end (job log)
    workers: int = 0  # distinct processes that ran jobs
    shown: list[float] = field(default_factory=list)  # the durations the progress lines show
    problems: list[str] = field(default_factory=list)
    other_output: list[str] = field(default_factory=list)

    @property
    def end(self) -> float:
        return self.start + self.wall

    def phase(self, name: str) -> Optional[float]:
        points = {
            "startup": (self.start, self.launching),
            "launcher": (self.launching, self.second),
            "first_job": (self.second, self.first_job),
            "jobs": (self.first_job, self.last_job),
            "submission": (self.second, self.last_job),
            "wind_down": (self.last_job, self.end),
            "total": (self.start, self.end),
        }
        a, b = points[name]
        return None if a is None or b is None else b - a


def _log_time(stamp: str, millis: str) -> float:
    return time.mktime(time.strptime(stamp, "%Y-%m-%d %H:%M:%S")) + int(millis) / 1000


def parse_run(run: Run, output: str, job_log: Path) -> None:
    """Fill ``run``'s timestamps from the command's output and the job log; note what is wrong."""
    succeeded: dict[int, str] = {}
    for line in output.splitlines():
        match = LOG_LINE.match(line)
        if match:
            message = match.group(3).strip()
            if run.launching is None and LAUNCHING.match(message):
                run.launching = _log_time(match.group(1), match.group(2))
            elif run.second is None and SECOND_JOB.match(message):
                run.second = _log_time(match.group(1), match.group(2))
            continue
        done = SUCCEEDED.match(line)
        if done:
            succeeded[int(done.group(5))] = done.group(6)
            try:
                run.shown.append(float(done.group(4)))
            except ValueError:
                pass
            continue
        if line.strip() and not PROGRESS.match(line):
            run.other_output.append(line.strip())
    label = f"{NAMES[run.launcher]}, {run.jobs} job(s)"
    if run.launching is None:
        run.problems.append(f"{label}: no 'Launching ... jobs' line in the output")
    if run.jobs > 1 and run.second is None:
        run.problems.append(f"{label}: no '#1 : x=1' line in the output")
    expected = set(range(run.jobs))
    if set(succeeded) != expected:
        run.problems.append(f"{label}: {len(succeeded)} 'succeeded' progress lines, expected {run.jobs}")
    wrong = [x for x, value in succeeded.items() if value != str(2 * x)]
    if wrong:
        run.problems.append(f"{label}: {len(wrong)} job(s) returned something else than 2x (x={wrong[0]}, ...)")
    try:
        rows = [line.split() for line in job_log.read_text().splitlines() if line.strip()]
    except OSError:
        rows = []
    xs = sorted(int(row[0]) for row in rows)
    if xs != sorted(expected):
        run.problems.append(f"{label}: the job log has {len(xs)} entries, expected x = 0..{run.jobs - 1} once each")
    if rows:
        run.first_job = min(float(row[2]) for row in rows)
        run.last_job = max(float(row[3]) for row in rows)
        run.workers = len({row[1] for row in rows})


# -- the sweeps -----------------------------------------------------------------------------------

@dataclass
class Bench:
    tools: Tools
    project: Path
    env: dict[str, str]
    used: list[str] = field(default_factory=list)

    def sweep(self, launcher: str, jobs: int) -> list[str]:
        sweep = "x=0" if jobs == 1 else f"x=range(0,{jobs})"
        cmd = ["multirun", "app:task", "--config-path", ".", "--config-name", "conf", sweep]
        cmd += ["--launcher", "ray"] if launcher == RAY else ["-j", str(WORKERS)]
        return self.tools.hydra_runner(*cmd)

    def run(self, launcher: str, jobs: int, *, note: bool = True) -> Run:
        """Run a sweep from a clean project (no outputs, empty job log); its output goes to an unread file."""
        cmd = self.sweep(launcher, jobs)
        if note and shlex.join(cmd) not in self.used:
            self.used.append(shlex.join(cmd))
        clean_outputs(self.project)
        log = self.project / JOB_LOG
        log.unlink(missing_ok=True)
        with tempfile.TemporaryFile() as out:
            with LoadMeter() as meter:
                proc = subprocess.Popen(cmd, cwd=self.project, env=self.env, stdout=out, stderr=subprocess.STDOUT)
                with TreeCpu(proc.pid) as tree:
                    code = proc.wait()
            out.seek(0)
            output = out.read().decode(errors="replace")
        if code != 0:
            raise CommandFailed(cmd, self.project, code, output[-6000:])
        # Both undercount (rusage: processes nobody waited for; the samples: the last interval of each).
        cpu = max(meter.cpu, tree.seconds)
        run = Run(launcher, jobs, meter.wall, cpu, meter.others(cpu), meter.started)
        parse_run(run, output, log)
        return run


@dataclass
class Results:
    runs: dict[tuple[str, int], list[Run]] = field(default_factory=dict)
    used: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    other_output: dict[str, list[str]] = field(default_factory=dict)
    n_runs: int = 1
    short_runs: int = 3

    def wall(self, launcher: str, jobs: int) -> float:
        return statistics.median(r.wall for r in self.runs[(launcher, jobs)])

    def phase(self, launcher: str, jobs: int, name: str) -> Optional[float]:
        return median_or_none([r.phase(name) for r in self.runs[(launcher, jobs)]])

    def cpu(self, launcher: str, jobs: int) -> float:
        return statistics.median(r.cpu for r in self.runs[(launcher, jobs)])

    def others(self, launcher: str, jobs: int) -> Optional[float]:
        return median_or_none([r.others for r in self.runs[(launcher, jobs)]])

    def shown(self, launcher: str, jobs: int) -> Optional[float]:
        return median_or_none([statistics.median(r.shown) if r.shown else None for r in self.runs[(launcher, jobs)]])

    def workers(self, launcher: str, jobs: int) -> str:
        counts = sorted({r.workers for r in self.runs[(launcher, jobs)]})
        return "/".join(str(c) for c in counts) or "—"


def run_benchmarks(bench: Bench, args: argparse.Namespace) -> Results:
    res = Results()
    res.n_runs = args.runs if args.runs is not None else (1 if args.quick else 5)
    res.short_runs = max(3, res.n_runs)
    n = args.jobs
    launchers = [RAY, POOL]

    progress("warming up (one untimed 1-job sweep with each launcher)")
    for launcher in launchers:
        bench.run(launcher, 1, note=False)

    for launcher in launchers:
        for jobs in (1, n):
            res.runs[(launcher, jobs)] = []
    for i in range(max(res.short_runs, res.n_runs)):
        for jobs, count in ((1, res.short_runs), (n, res.n_runs)):
            if i >= count:
                continue
            for launcher in launchers:
                progress(f"{NAMES[launcher]}, {jobs} job(s), run {i + 1}/{count}")
                run = bench.run(launcher, jobs)
                res.runs[(launcher, jobs)].append(run)
                for problem in run.problems:
                    if problem not in res.problems:
                        res.problems.append(problem)
                seen = res.other_output.setdefault(launcher, [])
                for line in run.other_output:
                    if line not in seen:
                        seen.append(line)

    clean_outputs(bench.project)
    res.used = bench.used
    return res


# -- the report -----------------------------------------------------------------------------------

def _ratio(a: Optional[float], b: Optional[float]) -> str:
    if a is None or b is None or a <= 0 or b <= 0:
        return "—"
    return f"{a / b:.1f}x" if a / b < 100 else "> 100x"


def _diff(a: Optional[float], b: Optional[float]) -> str:
    if a is None or b is None:
        return "—"
    return ("+" if a - b >= 0 else "") + fmt_seconds(a - b)


PHASES = [
    ("startup", 'start-up: command start -> "Launching" line'),
    ("launcher", 'launcher start: "Launching" -> "#1" line (Ray: **cluster start**)'),
    ("first_job", '"#1" line -> first job starts'),
    ("jobs", "jobs: first job's start -> last job's end"),
    ("submission", '**submission to all results**: "#1" line -> last job\'s end'),
    ("wind_down", "wind-down: last job's end -> command exit"),
    ("total", "**total wall time**"),
]


def table_phases(res: Results, n: int) -> str:
    rows = []
    for key, label in PHASES:
        ray, pool = res.phase(RAY, n, key), res.phase(POOL, n, key)
        rows.append([label, fmt_seconds(ray), fmt_seconds(pool), _diff(ray, pool), _ratio(ray, pool)])
    cpu = {launcher: res.cpu(launcher, n) for launcher in (RAY, POOL)}
    rows.append(["CPU time (command's process tree)", fmt_seconds(cpu[RAY]), fmt_seconds(cpu[POOL]),
                 _diff(cpu[RAY], cpu[POOL]), _ratio(cpu[RAY], cpu[POOL])])
    shown = {launcher: res.shown(launcher, n) for launcher in (RAY, POOL)}
    rows.append(["job duration shown by the progress lines (`succeeded in ...`, median)", fmt_seconds(shown[RAY]),
                 fmt_seconds(shown[POOL]), _diff(shown[RAY], shown[POOL]), _ratio(shown[RAY], shown[POOL])])
    rows.append(["worker processes that ran jobs", res.workers(RAY, n), res.workers(POOL, n), "—", "—"])
    rows.append(["other load (cores)", load_text(res.others(RAY, n)), load_text(res.others(POOL, n)), "—", "—"])
    return markdown_table([f"{n} trivial jobs", NAMES[RAY], NAMES[POOL], "Ray - pool", "Ray / pool"], rows)


def table_per_job(res: Results, n: int) -> str:
    rows = []
    one = {launcher: res.wall(launcher, 1) for launcher in (RAY, POOL)}
    many = {launcher: res.wall(launcher, n) for launcher in (RAY, POOL)}
    per = {launcher: (many[launcher] - one[launcher]) / (n - 1) for launcher in (RAY, POOL)}
    span = {launcher: (lambda s: None if s is None else s / (n - 1))(res.phase(launcher, n, "jobs"))
            for launcher in (RAY, POOL)}
    for label, values in (("T(1), 1 job (`x=0`)", one), (f"T({n})", many),
                          (f"**per-job cost, (T({n}) - T(1)) / {n - 1}**", per),
                          (f"jobs phase / {n - 1} (first job's start -> last job's end)", span)):
        rows.append([label, fmt_seconds(values[RAY]), fmt_seconds(values[POOL]), _diff(values[RAY], values[POOL]),
                     _ratio(values[RAY], values[POOL])])
    rows.append(["other load, 1 job / N jobs (cores)",
                 f"{load_text(res.others(RAY, 1))} / {load_text(res.others(RAY, n))}",
                 f"{load_text(res.others(POOL, 1))} / {load_text(res.others(POOL, n))}", "—", "—"])
    return markdown_table(["Per job", NAMES[RAY], NAMES[POOL], "Ray - pool", "Ray / pool"], rows)


def report(tools: Tools, versions: Mapping[str, str], res: Results, args: argparse.Namespace) -> str:
    facts = machine_facts(tools)
    facts.append(("ray", versions.get("ray", "not installed")))
    facts_text = "\n".join(f"- {key}: {value}" for key, value in facts)
    n = args.jobs
    notes = [
        f"`app.py`'s `task(cfg)` appends `x`, its process id and `time.time()` at its start and end to a job log, "
        f"then returns `cfg.x * 2`. Ray: `--launcher ray`, no address, so a local Ray is started for each sweep "
        f"and shut down after it (the machine has {os.cpu_count()} CPUs, so Ray offers {os.cpu_count()} slots; "
        f"all {n} jobs are submitted at once and Ray queues them). Pool: `-j {WORKERS}`.",
        "Phases, from `time.time()` at the command's start and exit, the timestamps (ms) of the lines "
        "hydra-runner logs and the job log. The `Launching N jobs ...` line comes before the launcher starts "
        "anything: the embedded Ray is started (`ray.init`, the task's set-up put in the object store, the "
        "event actor) when job #0 is submitted, and `#1 : x=1` is logged once that submission returned. So "
        "*cluster start* = `Launching` -> `#1` line (for the pool: handing job #0 to the pool), and *submission "
        "to all results* = `#1` line -> the last job's end (all jobs are submitted within it; it includes "
        "starting the worker processes and setting the task up in them, the `#1` line -> first job row). The "
        "pool starts its worker processes while the CLI starts, before the `Launching` line, so part of their "
        "cost is in its start-up row. The durations the progress lines show run from the moment a worker "
        "took the job (for Ray: when its worker reported the start), not from its submission.",
        f"Each row is the median of its own values over {res.n_runs} run(s) ({res.short_runs} for 1 job), all "
        "commands interleaved round by round, so the phases need not add up to the total exactly.",
        "CPU time: user + system time of the command and all its descendants, Ray's daemons and workers "
        "included (the larger of `getrusage(RUSAGE_CHILDREN)` and the processes' last `utime + stime` sampled "
        "from `/proc` every 0.1 s; both undercount a little). Other load: mean number of cores busy with "
        "anything else during the run (`/proc/stat`).",
        f"Per-job cost: the fixed costs (start-up, the cluster start, its shutdown) cancel out in (T({n}) - "
        "T(1)) / (N - 1), T the wall time of the whole command.",
        "Timed runs set `RAY_TMPDIR` to a folder of the generated project, so the embedded Ray's session "
        "files go there (and nothing of another Ray on the machine is shared); an untimed 1-job sweep with "
        "each launcher runs first.",
    ]
    extra = ""
    if res.other_output:
        lines = [f"- {SHORT[launcher]}: " + "; ".join(f"`{line[:200]}`" for line in seen[:5])
                 for launcher, seen in res.other_output.items() if seen]
        if lines:
            extra = "Other lines the commands printed (besides Hydra's log and the progress lines):\n\n" + \
                "\n".join(lines) + "\n\n"
    problems = ""
    if res.problems:
        problems = "Problems found:\n\n" + "\n".join(f"- {p}" for p in res.problems) + "\n\n"
    cmds = "\n".join(f"    {cmd}" for cmd in res.used)
    return (
        "## Ray launcher: embedded Ray vs the process pool\n\n"
        f"Machine:\n\n{facts_text}\n\n"
        f"Command (from the repository root):\n\n    {invocation()}\n\n"
        f"### Where the time of {n} trivial jobs goes\n\n{table_phases(res, n)}\n\n"
        f"### Per-job cost after start-up\n\n{table_per_job(res, n)}\n\n"
        + "\n".join(f"- {item}" for item in notes) + "\n\n"
        + f"Every run checked: {n} (or 1) jobs in the job log with x = 0..N-1, as many `succeeded` progress "
        "lines with the value 2x" + (" — see the problems below." if res.problems else ": as expected.") + "\n\n"
        + extra + problems
        + "Wall-clock times (`time.perf_counter`) of whole processes started from the generated project, "
        "output kept in an unread temporary file while they run; `outputs/`, `multirun/` and the job log "
        "removed before each run.\n\n"
        f"Commands timed (in the generated project):\n\n{cmds}\n"
    )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", "-n", type=int,
                        help="runs per median of the N-job sweeps (default: 5, 1 with --quick; 1-job sweeps use "
                        "at least 3)")
    parser.add_argument("--quick", action="store_true", help="one run per N-job sweep")
    parser.add_argument("--jobs", type=int, default=100, help="trivial jobs per sweep (default: 100)")
    parser.add_argument("--python", help="interpreter with hydra-runner and ray; hydra-runner is the console "
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
    if "ray" not in versions:
        print(f"ray is not installed in {tools.python} (pip install 'hydra-runner[ray]')", file=sys.stderr)
        return 1
    try:
        with tempfile.TemporaryDirectory(prefix="bench-ray-") as tmp:
            project = make_ray_project(Path(tmp))
            (project / RAY_TMP).mkdir()
            env = bench_env(RAY_TMPDIR=str((project / RAY_TMP).absolute()))
            env.pop("RAY_ADDRESS", None)  # the launcher starts its own Ray anyway; keep it that way
            res = run_benchmarks(Bench(tools, project, env), args)
    except CommandFailed as exc:
        return command_failed(exc)
    text = report(tools, versions, res, args)
    publish(text, args.markdown, SECTION)
    if res.problems:
        print("error: some sweeps did not run every job as expected (see 'Problems found')", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
