"""Helpers shared by the benchmark scripts in this folder.

Project generation, wall-clock timing of commands, machine facts and
markdown output (tables, and sections of a markdown file delimited by
``<!-- NAME:start -->`` / ``<!-- NAME:end -->`` markers).
"""

from __future__ import annotations

import os
import platform
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

REPO_ROOT = Path(__file__).resolve().parents[1]

TRIVIAL_CONFIG = "x: 0\n"
TRIVIAL_APP = '''\
import hydra
from omegaconf import DictConfig


@hydra.main(version_base=None, config_path="conf", config_name="config")
def main(cfg: DictConfig) -> int:
    return cfg.x


if __name__ == "__main__":
    main()
'''


class CommandFailed(RuntimeError):
    """A benchmarked command exited with a non-zero status."""

    def __init__(self, cmd: Sequence[str], cwd: Path, returncode: int, stderr: str) -> None:
        super().__init__(f"command failed with exit code {returncode}: {shlex.join(cmd)}")
        self.cmd = list(cmd)
        self.cwd = cwd
        self.returncode = returncode
        self.stderr = stderr


@dataclass(frozen=True)
class Tools:
    """The interpreter running plain Hydra apps and the hydra-runner CLI beside it."""

    python: Path
    runner: Path

    @classmethod
    def find(cls, python: str | None = None) -> Tools:
        """Use ``python`` if given, else the project's venv, else this interpreter.

        ``hydra-runner`` is the console script installed next to that interpreter.
        The path is not resolved: a venv's ``bin/python`` is usually a symlink.
        """
        if python is None:
            venv_python = REPO_ROOT / ".venv" / "bin" / "python"
            python = str(venv_python if venv_python.exists() else sys.executable)
        interpreter = Path(python).absolute()
        return cls(python=interpreter, runner=interpreter.parent / "hydra-runner")

    def plain(self, *args: str) -> list[str]:
        return [str(self.python), *args]

    def hydra_runner(self, *args: str) -> list[str]:
        return [str(self.runner), *args]

    def runner_works(self) -> bool:
        """True if ``python -m hydra_runner --help`` and the console script both succeed."""
        for cmd in (self.plain("-m", "hydra_runner", "--help"), self.hydra_runner("--help")):
            try:
                done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
            except (OSError, subprocess.TimeoutExpired):
                return False
            if done.returncode != 0:
                return False
        return True


def write_project(root: Path, files: Mapping[str, str]) -> Path:
    """Write ``files`` (relative path -> text) under ``root`` and return ``root``."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def make_trivial_project(root: Path) -> Path:
    """A Hydra app whose task returns ``cfg.x`` from ``conf/config.yaml`` (``x: 0``)."""
    return write_project(root, {"conf/config.yaml": TRIVIAL_CONFIG, "app.py": TRIVIAL_APP})


def clean_outputs(project: Path) -> None:
    """Remove the ``outputs/`` and ``multirun/`` folders Hydra writes into ``project``."""
    for name in ("outputs", "multirun"):
        shutil.rmtree(project / name, ignore_errors=True)


def time_command(cmd: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None) -> float:
    """Run ``cmd`` in ``cwd`` and return its wall-clock time in seconds.

    stdout goes to DEVNULL; stderr goes to an unread temporary file (so nothing
    is read while the command runs) and is attached to :class:`CommandFailed`.
    """
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        code = subprocess.call(list(cmd), cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=err)
        elapsed = time.perf_counter() - start
        if code != 0:
            err.seek(0)
            raise CommandFailed(cmd, cwd, code, err.read().decode(errors="replace"))
    return elapsed


def median_time(
    cmd: Sequence[str],
    cwd: Path,
    runs: int,
    env: Mapping[str, str] | None = None,
    before_each: Callable[[], None] | None = None,
) -> float:
    """Median wall-clock time of ``runs`` runs; ``before_each`` runs untimed."""
    return median_times({"cmd": cmd}, cwd, runs, env, before_each)["cmd"]


def median_times(
    cmds: Mapping[str, Sequence[str]],
    cwd: Path,
    runs: int,
    env: Mapping[str, str] | None = None,
    before_each: Callable[[], None] | None = None,
) -> dict[str, float]:
    """Like :func:`median_time` for several commands, interleaving their runs.

    Round ``i`` runs every command once, so slow drifts of a shared machine
    affect all of them alike.
    """
    times: dict[str, list[float]] = {key: [] for key in cmds}
    for _ in range(max(1, runs)):
        for key, cmd in cmds.items():
            if before_each is not None:
                before_each()
            times[key].append(time_command(cmd, cwd, env))
    return {key: statistics.median(values) for key, values in times.items()}


def bench_env(**extra: str) -> dict[str, str]:
    """The current environment plus ``extra``, with full Hydra tracebacks on failure."""
    env = dict(os.environ)
    env.setdefault("HYDRA_FULL_ERROR", "1")
    env.update(extra)
    return env


def machine_facts(tools: Tools) -> list[tuple[str, str]]:
    """CPU, OS and the versions of Python, Hydra, OmegaConf and hydra-runner in use."""
    probe = (
        "import platform, importlib.metadata as m\n"
        "print(platform.python_version())\n"
        "for d in ('hydra-core', 'omegaconf', 'hydra-runner'):\n"
        "    try: print(m.version(d))\n"
        "    except m.PackageNotFoundError: print('not installed')\n"
    )
    out = subprocess.run(tools.plain("-c", probe), capture_output=True, text=True, check=True)
    py, hydra, omegaconf, runner = out.stdout.split("\n")[:4]
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(ln.split(":", 1)[1].strip() for ln in info if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return [
        ("CPUs", f"{os.cpu_count()} ({cpu})"),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", f"{py} ({tools.python})"),
        ("hydra-core", hydra),
        ("omegaconf", omegaconf),
        ("hydra-runner", runner),
    ]


def invocation() -> str:
    """The command line that started this script, as it could be typed again."""
    script = os.path.relpath(sys.argv[0], Path.cwd())
    return shlex.join(["python", script, *sys.argv[1:]])


def fmt_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if abs(seconds) < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if abs(seconds) < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s" if abs(seconds) < 100 else f"{seconds:.1f} s"


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub-flavoured markdown table, columns padded for readable plain text."""
    cells = [list(headers), *[list(row) for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths)) + " |"

    separator = "| " + " | ".join("-" * w for w in widths) + " |"
    return "\n".join([line(cells[0]), separator, *(line(row) for row in cells[1:])])


def publish(text: str, markdown: Optional[Path], section: str) -> None:
    """Print a benchmark's report, and put it in its section of ``markdown`` when given."""
    print(text)
    if markdown is not None:
        update_markdown_section(markdown, section, text)
        print(f"wrote section '{section}' of {markdown}", file=sys.stderr)


def command_failed(exc: "CommandFailed") -> int:
    print(f"error: {exc}\n(in {exc.cwd})\n{exc.stderr}", file=sys.stderr)
    return 1


def runner_broken(tools: "Tools", hint: str = "") -> bool:
    """Whether hydra-runner cannot run with ``tools`` (then it says so)."""
    if tools.runner_works():
        return False
    print(f"hydra-runner does not work with {tools.python} "
          f"(`python -m hydra_runner --help` or the console script failed){hint}", file=sys.stderr)
    return True


def update_markdown_section(path: Path, name: str, body: str) -> None:
    """Put ``body`` between ``<!-- name:start -->`` and ``<!-- name:end -->`` in ``path``.

    An existing section is replaced in place; otherwise the section is appended
    (the file and its folders are created if missing).
    """
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    section = f"{start}\n{body.strip()}\n{end}"
    text = path.read_text() if path.exists() else ""
    i = text.find(start)
    j = text.find(end, i + len(start)) if i != -1 else -1
    if i != -1 and j != -1:
        text = text[:i] + section + text[j + len(end) :]
    else:
        text = (text.rstrip() + "\n\n" if text.strip() else "") + section + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


# -- progress and machine load -------------------------------------------------------------


def progress(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)


def busy_cpu_seconds() -> Optional[float]:
    """CPU seconds all cores spent busy since boot (``/proc/stat``), or None off Linux."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class LoadMeter:
    """Over a ``with`` block: wall time, CPU of the waited-for children, and the machine's other load."""

    def __enter__(self) -> "LoadMeter":
        self._busy0, self._cpu0 = busy_cpu_seconds(), children_cpu_seconds()
        self.started = time.time()
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._start
        self._busy1 = busy_cpu_seconds()
        self.cpu = children_cpu_seconds() - self._cpu0

    def others(self, cpu: Optional[float] = None) -> Optional[float]:
        """Mean cores busy with anything but the command (whose CPU is ``cpu``, else its children's)."""
        if self._busy0 is None or self._busy1 is None:
            return None
        return max(0.0, (self._busy1 - self._busy0 - (self.cpu if cpu is None else cpu)) / self.wall)


def median_or_none(values: Sequence[Optional[float]]) -> Optional[float]:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def load_text(cores: Optional[float]) -> str:
    """Cores busy with other work, as a table shows it."""
    return "—" if cores is None else f"{cores:.2f}"
