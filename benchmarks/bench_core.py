"""Core overhead: plain Hydra vs hydra-runner on a trivial app.

Generates a throw-away project (``conf/config.yaml`` with ``x: 0`` and an
``app.py`` whose ``@hydra.main`` task returns ``cfg.x``) and measures, with
both tools run from that project with the same interpreter:

a. CLI start-up for one job: ``python app.py`` vs ``hydra-runner run app.py``
   (median of ``--runs`` runs, interleaved);
b. per-job overhead: (time of an M-job multirun - time of a 1-job multirun)
   / (M - 1), with ``x=range(0,M)`` and ``x=0`` (M = ``--sweep-jobs``, 301);
c. total time of a ``--jobs``-job multirun (1000).

Usage (from the repository root)::

    python benchmarks/bench_core.py                # everything (~3-4 min)
    python benchmarks/bench_core.py --quick        # skip (c) for plain Hydra
    python benchmarks/bench_core.py --only plain   # plain Hydra only
    python benchmarks/bench_core.py --quick --markdown docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

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
    make_trivial_project,
    markdown_table,
    median_time,
    median_times,
    progress,
    publish,
    runner_broken,
    time_command,
)

SECTION = "bench_core"
PLAIN, RUNNER = "plain", "runner"


@dataclass
class Row:
    """One measured quantity for both tools; ``None`` where not measured."""

    label: str
    plain: float | None
    runner: float | None
    goal: float
    speedup_goal: bool  # True: Hydra / hydra-runner >= goal; False: hydra-runner / Hydra <= goal
    plain_estimated: bool = False
    words: tuple[str, str] = ("faster", "slower")  # how to say "better" and "worse"

    def cells(self) -> list[str]:
        plain = fmt_seconds(self.plain) + (" (est.)" if self.plain_estimated else "")
        better, worse = self.words
        goal = f">= {self.goal:g}x {better}" if self.speedup_goal else f"<= {self.goal:g}x {worse}"
        ratio, met = "—", "—"
        if self.plain is not None and self.runner is not None:
            if self.runner <= 0:
                ratio = "n/a (hydra-runner <= 0: below noise, use more jobs or runs)"
            else:
                speedup = self.plain / self.runner
                ratio = f"{speedup:.1f}x {better}" if speedup >= 1 else f"{1 / speedup:.2f}x {worse}"
                ok = speedup >= self.goal if self.speedup_goal else 1 / speedup <= self.goal
                met = "yes" if ok else "no"
            if self.plain_estimated:
                ratio, met = f"~{ratio} (est.)", f"{met} (est.)"
        return [self.label, plain, fmt_seconds(self.runner), ratio, goal, met]


def commands(tools: Tools, which: Sequence[str], mode: str, *overrides: str) -> dict[str, list[str]]:
    """The command for each tool in ``which``: one job (``mode="run"``) or a multirun."""
    cmds = {
        PLAIN: tools.plain("app.py", *(["-m"] if mode == "multirun" else []), *overrides),
        RUNNER: tools.hydra_runner(mode, "app.py", *overrides),
    }
    return {tool: cmds[tool] for tool in which}


def run_benchmarks(tools: Tools, project: Path, args: argparse.Namespace) -> tuple[list[Row], list[str]]:
    which = [PLAIN, RUNNER] if args.only == "both" else [args.only]
    env = bench_env()
    used: list[str] = []

    def note(cmds: dict[str, list[str]]) -> dict[str, list[str]]:
        used.extend(shlex.join(cmd) for cmd in cmds.values())
        return cmds

    def clean() -> None:
        clean_outputs(project)

    progress("warming up")
    median_times(commands(tools, which, "run"), project, 1, env, clean)

    progress(f"(a) start-up, {args.runs} interleaved runs per tool")
    startup = median_times(note(commands(tools, which, "run")), project, args.runs, env, clean)

    m = args.sweep_jobs
    progress(f"(b) 1-job multirun, {args.runs} runs per tool")
    one = median_times(note(commands(tools, which, "multirun", "x=0")), project, args.runs, env, clean)
    many: dict[str, float] = {}
    for tool, cmd in note(commands(tools, which, "multirun", f"x=range(0,{m})")).items():
        progress(f"(b) {m}-job multirun with {tool}")
        many[tool] = median_time(cmd, project, 1, env, clean)
    per_job = {tool: (many[tool] - one[tool]) / (m - 1) for tool in which}

    total: dict[str, float] = {}
    skip = [PLAIN] if args.quick else []
    big = commands(tools, [t for t in which if t not in skip], "multirun", f"x=range(0,{args.jobs})")
    for tool, cmd in note(big).items():
        progress(f"(c) {args.jobs}-job multirun with {tool}")
        clean()
        total[tool] = time_command(cmd, project, env)
    clean()

    plain_total, estimated = total.get(PLAIN), False
    if plain_total is None and PLAIN in which:  # --quick: extrapolate from (b)
        plain_total, estimated = one[PLAIN] + (args.jobs - 1) * per_job[PLAIN], True
    rows = [
        Row("(a) start-up, one job", startup.get(PLAIN), startup.get(RUNNER), 1.2, False),
        Row(f"(b) per-job overhead ({m}-job sweep)", per_job.get(PLAIN), per_job.get(RUNNER), 30, True,
            words=("lower", "higher")),
        Row(f"(c) {args.jobs}-job multirun, total", plain_total, total.get(RUNNER), 30, True, estimated),
    ]
    return rows, used


def report(tools: Tools, rows: list[Row], used: list[str], args: argparse.Namespace) -> str:
    facts = "\n".join(f"- {key}: {value}" for key, value in machine_facts(tools))
    table = markdown_table(["Measure", "Hydra", "hydra-runner", "hydra-runner vs Hydra", "Goal", "Met"],
                           [row.cells() for row in rows])
    notes = [
        f"(a) median of {args.runs} interleaved runs; (b) (T({args.sweep_jobs} jobs) - T(1 job)) / "
        f"{args.sweep_jobs - 1}, T(1 job) a median of {args.runs} runs; (c) one run.",
        "Wall-clock times (`time.perf_counter`) of whole processes started from the generated "
        "project, stdout discarded; `outputs/` and `multirun/` removed before each run.",
    ]
    if rows[2].plain_estimated:
        notes.append("`--quick`: (c) not run with plain Hydra; estimated as T(1 job) + "
                     f"{args.jobs - 1} x its per-job overhead from (b).")
    cmds = "\n".join(f"    {cmd}" for cmd in used)
    return (
        "## Core overhead: Hydra vs hydra-runner\n\n"
        f"Machine:\n\n{facts}\n\n"
        f"Command (from the repository root):\n\n    {invocation()}\n\n"
        f"{table}\n\n" + "\n".join(f"- {n}" for n in notes) + "\n\n"
        f"Commands timed (in the generated project):\n\n{cmds}\n"
    )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", "-n", type=int, default=7, help="runs per median (default: 7)")
    parser.add_argument("--jobs", type=int, default=1000, help="jobs in the (c) multirun (default: 1000)")
    parser.add_argument("--sweep-jobs", type=int, default=301,
                        help="jobs in the large (b) multirun (default: 301)")
    parser.add_argument("--quick", action="store_true",
                        help="skip (c) for plain Hydra (~140 s) and estimate it from (b)")
    parser.add_argument("--only", choices=["both", PLAIN, RUNNER], default="both",
                        help="measure only one tool (default: both)")
    parser.add_argument("--python", help="interpreter for plain Hydra; hydra-runner is the console "
                        "script beside it (default: the project's .venv)")
    parser.add_argument("--markdown", type=Path, metavar="PATH",
                        help=f"write/replace the {SECTION} section of this markdown file")
    args = parser.parse_args(argv)
    if args.sweep_jobs < 2 or args.jobs < 1 or args.runs < 1:
        parser.error("--sweep-jobs must be >= 2, --jobs and --runs >= 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    tools = Tools.find(args.python)
    if args.only != PLAIN and runner_broken(tools, "; try --only plain"):
        return 1
    try:
        with tempfile.TemporaryDirectory(prefix="bench-core-") as tmp:
            rows, used = run_benchmarks(tools, make_trivial_project(Path(tmp)), args)
    except CommandFailed as exc:
        return command_failed(exc)
    text = report(tools, rows, used, args)
    publish(text, args.markdown, SECTION)
    return 0


if __name__ == "__main__":
    sys.exit(main())
