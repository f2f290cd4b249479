"""Large grids: time to the first job, the parent's memory, and the per-job overhead.

Generates a throw-away project whose task (``x`` and ``y`` in its config) writes the time
it first ran to a stamp file, and measures, with plain Hydra and hydra-runner run from that
project with the same interpreter:

a. time to first job: from starting the command to the first job's task body, for grids
   of 1,000 (``x=range(0,1000)``), 100,000 (``x=range(0,100) y=range(0,1000)``) and
   1,000,000 (``x=range(0,1000) y=range(0,1000)``) jobs, in-process and with ``-j 2``;
   the command is killed once the stamp exists. Plain Hydra is run at 1,000 jobs (and
   1 job); its figure at larger sizes is extrapolated linearly from those two;
b. the parent's memory (VmRSS of /proc/PID/status, sampled every 20 ms) over ``--dry-run``
   of 1,000 and 1,000,000 jobs, and over the 100,000-job ``-j 2`` sweep, which is stopped
   after ``--rss-jobs`` jobs have ended (counted in the sweep's journal);
c. the per-job overhead of trivial in-process jobs: (T(M jobs) - T(1 job)) / (M - 1), as
   ``bench_core.py`` (b) measures it, beside Hydra's BasicLauncher in the same run.

Usage (from the repository root)::

    python benchmarks/bench_first_job.py                       # everything (~3 min)
    python benchmarks/bench_first_job.py --markdown docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    CommandFailed,
    Tools,
    bench_env,
    clean_outputs,
    command_failed,
    fmt_seconds,
    invocation,
    machine_facts,
    markdown_table,
    median_time,
    median_times,
    progress,
    publish,
    runner_broken,
    write_project,
)

SECTION = "bench_first_job"

STAMP_APP = '''\
import os
import time

import hydra
from omegaconf import DictConfig

STAMP = os.environ.get("BENCH_STAMP")


@hydra.main(version_base=None, config_path="conf", config_name="config")
def main(cfg: DictConfig) -> int:
    if STAMP and not os.path.exists(STAMP):
        with open(STAMP + f".{os.getpid()}", "w") as f:
            f.write(repr(time.time()))
        os.replace(STAMP + f".{os.getpid()}", STAMP)
    return cfg.x


if __name__ == "__main__":
    main()
'''

GRIDS = {
    1_000: ["x=range(0,1000)"],
    100_000: ["x=range(0,100)", "y=range(0,1000)"],
    1_000_000: ["x=range(0,1000)", "y=range(0,1000)"],
}


def count(n: int) -> str:
    return f"{n:,}"


def rss_kib(pid: int) -> Optional[int]:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def ended_jobs(journal: Path) -> int:
    """Jobs the sweep's journal records as ended (0 while it does not exist yet)."""
    if not journal.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{journal}?mode=ro", uri=True, timeout=1) as db:
            return int(db.execute("SELECT COUNT(*) FROM jobs WHERE ended IS NOT NULL").fetchone()[0])
    except sqlite3.Error:
        return 0


class Watched:
    """A command started in a session of its own, killed with its workers when done with."""

    def __init__(self, cmd: Sequence[str], cwd: Path, env: dict[str, str]) -> None:
        self.cmd, self.cwd = list(cmd), cwd
        self.err = tempfile.TemporaryFile()
        self.started = time.time()
        self.proc = subprocess.Popen(self.cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=self.err,
                                     start_new_session=True)

    def failed(self) -> Optional[CommandFailed]:
        code = self.proc.poll()
        if code is None or code == 0:
            return None
        self.err.seek(0)
        return CommandFailed(self.cmd, self.cwd, code, self.err.read().decode(errors="replace")[-3000:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.err.close()


def first_job(cmd: Sequence[str], project: Path, timeout: float) -> Optional[float]:
    """Seconds from starting ``cmd`` to its first job's task body; None past ``timeout``."""
    clean_outputs(project)
    stamp = project / "first_job.stamp"
    stamp.unlink(missing_ok=True)
    run = Watched(cmd, project, bench_env(BENCH_STAMP=str(stamp)))
    try:
        while not stamp.exists():
            if (failure := run.failed()) is not None:
                raise failure
            if time.time() - run.started > timeout:
                return None
            time.sleep(0.005)
        return float(stamp.read_text()) - run.started
    finally:
        run.stop()
        clean_outputs(project)


def peak_rss(cmd: Sequence[str], project: Path) -> int:
    """The highest VmRSS (KiB) of ``cmd``'s process while it runs to its end."""
    run = Watched(cmd, project, bench_env())
    peak = 0
    try:
        while run.proc.poll() is None:
            peak = max(peak, rss_kib(run.proc.pid) or 0)
            time.sleep(0.02)
        if (failure := run.failed()) is not None:
            raise failure
    finally:
        run.stop()
    return peak


def sweep_rss(cmd: Sequence[str], project: Path, journal: Path, jobs: int, timeout: float) -> list[tuple[float, int, int]]:
    """(seconds, jobs ended, VmRSS KiB) of ``cmd``'s parent, sampled until ``jobs`` ended."""
    clean_outputs(project)
    run = Watched(cmd, project, bench_env())
    samples: list[tuple[float, int, int]] = []
    try:
        while time.time() - run.started < timeout:
            if (failure := run.failed()) is not None:
                raise failure
            rss, done = rss_kib(run.proc.pid), ended_jobs(journal)
            if rss is not None:
                samples.append((time.time() - run.started, done, rss))
            if done >= jobs or run.proc.poll() is not None:
                break
            time.sleep(0.25)
    finally:
        run.stop()
        clean_outputs(project)
    return samples


def mib(kib: Optional[int]) -> str:
    return "—" if kib is None else f"{kib / 1024:.1f} MiB"


def first_job_table(tools: Tools, project: Path, args: argparse.Namespace, used: list[str]) -> str:
    plain: dict[int, float] = {}
    for n, overrides in ((1, ["x=0"]), (1_000, GRIDS[1_000])):
        cmd = tools.plain("app.py", "-m", *overrides)
        used.append(shlex.join(cmd))
        progress(f"(a) plain Hydra, {n} job(s)")
        measured = first_job(cmd, project, args.timeout * 100)
        assert measured is not None
        plain[n] = measured
    slope = (plain[1_000] - plain[1]) / 999
    rows = []
    for n, overrides in GRIDS.items():
        for label, extra in (("in-process", []), ("-j 2", ["-j", "2"])):
            cmd = tools.hydra_runner("multirun", "app.py", *overrides, *extra)
            used.append(shlex.join(cmd))
            progress(f"(a) hydra-runner, {count(n)} jobs, {label}")
            runner = first_job(cmd, project, args.timeout)
            hydra = plain[1_000] if n == 1_000 else plain[1] + (n - 1) * slope
            hydra_text = fmt_seconds(hydra) + ("" if n == 1_000 else " (est.)")
            runner_text = fmt_seconds(runner) if runner is not None else f"> {args.timeout:g} s (stopped)"
            met = "yes" if runner is not None and runner <= 1.0 else "no"
            rows.append([count(n), label, hydra_text, runner_text, "<= 1 s", met])
    return markdown_table(["Jobs", "hydra-runner launcher", "Hydra", "hydra-runner", "Goal", "Met"], rows)


def memory_table(tools: Tools, project: Path, args: argparse.Namespace, used: list[str]) -> str:
    rows = []
    for n in (1_000, 1_000_000):
        cmd = tools.hydra_runner("multirun", "app.py", *GRIDS[n], "--dry-run")
        used.append(shlex.join(cmd))
        progress(f"(b) --dry-run of {count(n)} jobs")
        rows.append([f"`--dry-run`, {count(n)} jobs", "to its end", mib(peak_rss(cmd, project)), "—", "< 100 MiB"])
    sweep_dir = project / "rss-sweep"
    cmd = tools.hydra_runner("multirun", "app.py", *GRIDS[100_000], "-j", "2", f"hydra.sweep.dir={sweep_dir}")
    used.append(shlex.join(cmd))
    progress(f"(b) 100,000-job -j 2 sweep, until {count(args.rss_jobs)} jobs ended")
    samples = sweep_rss(cmd, project, sweep_dir / "journal.sqlite", args.rss_jobs, args.rss_timeout)
    running = [s for s in samples if s[1] > 0]
    if running:
        first, last = running[0], running[-1]
        peak = max(s[2] for s in samples)
        growth = (last[2] - first[2]) / max(1, last[1] - first[1]) * 1000
        rows.append([
            "100,000-job sweep, `-j 2`",
            f"{count(last[1])} jobs ended in {last[0]:.0f} s, then killed",
            f"{mib(first[2])} at job {count(first[1])}, {mib(last[2])} at job {count(last[1])} (peak {mib(peak)})",
            f"{growth:+.0f} KiB per 1,000 jobs",
            "flat, < 100 MiB",
        ])
    else:
        rows.append(["100,000-job sweep, `-j 2`", f"no job ended within {args.rss_timeout:g} s",
                     mib(max((s[2] for s in samples), default=None)), "—", "flat, < 100 MiB"])
    return markdown_table(["Parent process", "Run", "VmRSS", "Growth", "Goal"], rows)


def overhead_table(tools: Tools, project: Path, args: argparse.Namespace, used: list[str]) -> str:
    m, env = args.sweep_jobs, bench_env()
    one_cmds = {"plain": tools.plain("app.py", "-m", "x=0"), "runner": tools.hydra_runner("multirun", "app.py", "x=0")}
    many_cmds = {"plain": tools.plain("app.py", "-m", f"x=range(0,{m})"),
                 "runner": tools.hydra_runner("multirun", "app.py", f"x=range(0,{m})")}
    used.extend(shlex.join(cmd) for cmd in [*one_cmds.values(), *many_cmds.values()])
    progress(f"(c) 1-job multirun, {args.runs} runs per tool")
    one = median_times(one_cmds, project, args.runs, env, lambda: clean_outputs(project))
    per_job = {}
    for tool, cmd in many_cmds.items():
        progress(f"(c) {m}-job multirun with {tool}")
        per_job[tool] = (median_time(cmd, project, 1, env, lambda: clean_outputs(project)) - one[tool]) / (m - 1)
    clean_outputs(project)
    ratio = per_job["plain"] / per_job["runner"] if per_job["runner"] > 0 else float("inf")
    met = "yes" if per_job["runner"] <= 2.5e-3 and ratio >= 30 else "no"
    rows = [[f"per-job overhead, in-process ({m}-job sweep)", fmt_seconds(per_job["plain"]),
             fmt_seconds(per_job["runner"]), f"{ratio:.1f}x lower", "<= 2.5 ms and >= 30x lower", met]]
    return markdown_table(["Measure", "Hydra", "hydra-runner", "hydra-runner vs Hydra", "Goal", "Met"], rows)


def report(tools: Tools, tables: list[str], used: list[str], args: argparse.Namespace) -> str:
    facts = "\n".join(f"- {key}: {value}" for key, value in machine_facts(tools))
    notes = [
        "(a) one run per row. The clock starts when the command is started (`time.time()` before "
        "`Popen`) and stops at the time the first job's task body wrote to its stamp file; then "
        "the command and its workers are killed (SIGKILL to its session). Hydra's figure at 100,000 "
        "and 1,000,000 jobs is not measured: it is T(1 job) + (N - 1) x (T(1,000) - T(1 job)) / 999, "
        "as Hydra composes every job of a batch before the first runs.",
        f"(b) VmRSS of the command's own process (not its workers), sampled every 20 ms for the dry "
        f"runs and every 250 ms for the sweep, together with the jobs its journal records as ended; "
        f"the sweep is killed after {count(args.rss_jobs)} jobs (or {args.rss_timeout:g} s). Growth: "
        "(VmRSS at the last sample - at the first sample after a job ended) per 1,000 jobs in between.",
        f"(c) (T({args.sweep_jobs} jobs) - T(1 job)) / {args.sweep_jobs - 1}, T(1 job) a median of "
        f"{args.runs} interleaved runs, as in `bench_core.py`.",
    ]
    cmds = "\n".join(f"    {cmd}" for cmd in used)
    return (
        "## Large grids: time to first job and memory\n\n"
        f"Machine:\n\n{facts}\n\n"
        f"Command (from the repository root):\n\n    {invocation()}\n\n"
        + "\n\n".join(tables) + "\n\n" + "\n".join(f"- {n}" for n in notes) + "\n\n"
        f"Commands (in the generated project):\n\n{cmds}\n"
    )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="stop waiting for a hydra-runner first job after this many seconds (default: 60)")
    parser.add_argument("--rss-jobs", type=int, default=10000,
                        help="jobs of the 100,000-job -j 2 sweep to watch before killing it (default: 10000)")
    parser.add_argument("--rss-timeout", type=float, default=180.0,
                        help="kill the 100,000-job sweep after this many seconds at most (default: 180)")
    parser.add_argument("--runs", "-n", type=int, default=3, help="runs of the 1-job sweep in (c) (default: 3)")
    parser.add_argument("--sweep-jobs", type=int, default=301, help="jobs of the (c) sweep (default: 301)")
    parser.add_argument("--python", help="interpreter for plain Hydra; hydra-runner is the console "
                        "script beside it (default: the project's .venv)")
    parser.add_argument("--markdown", type=Path, metavar="PATH",
                        help=f"write/replace the {SECTION} section of this markdown file")
    args = parser.parse_args(argv)
    if args.sweep_jobs < 2 or args.rss_jobs < 1 or args.runs < 1:
        parser.error("--sweep-jobs must be >= 2, --rss-jobs and --runs >= 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    tools = Tools.find(args.python)
    if runner_broken(tools):
        return 1
    used: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-first-job-") as tmp:
            project = write_project(Path(tmp), {"conf/config.yaml": "x: 0\ny: 0\n", "app.py": STAMP_APP})
            tables = [first_job_table(tools, project, args, used), memory_table(tools, project, args, used),
                      overhead_table(tools, project, args, used)]
    except CommandFailed as exc:
        return command_failed(exc)
    publish(report(tools, tables, used, args), args.markdown, SECTION)
    return 0


if __name__ == "__main__":
    sys.exit(main())
